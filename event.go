package switchboard

import (
	"encoding/json"
	"strings"
	"time"
)

// Event types. A new event type is added here, to EventTypes below, and to the
// OpenAPI document's webhooks section.
const (
	EventConversationStarted     = "conversation.started"
	EventConversationUpdated     = "conversation.updated"
	EventConversationEnded       = "conversation.ended"
	EventMessageReceived         = "message.received"
	EventMessageSent             = "message.sent"
	EventMessageDelivered        = "message.delivered"
	EventMessageRead             = "message.read"
	EventMessageFailed           = "message.failed"
	EventBotTrained              = "bot.trained"
	EventBotDeployed             = "bot.deployed"
	EventBotError                = "bot.error"
	EventIntegrationConnected    = "integration.connected"
	EventIntegrationDisconnected = "integration.disconnected"
	EventIntegrationSyncFailed   = "integration.sync_failed"
	EventEndpointDisabled        = "webhook.endpoint.disabled"
	EventWebhookTest             = "webhook.test"
)

// EventVersion is the version of the event payload format.
const EventVersion = "1.0"

// Event is something that happened in a workspace. It is written in the same
// transaction as the change that caused it, and delivered from there.
type Event struct {
	ID          string          `json:"id"`
	Type        string          `json:"event"`
	Timestamp   time.Time       `json:"timestamp"`
	Version     string          `json:"version"`
	WorkspaceID string          `json:"workspace_id"`
	Data        json.RawMessage `json:"data"`
	// TargetEndpointID, when set, delivers the event to that endpoint only,
	// whatever its event types (webhook.test). It is not stored.
	TargetEndpointID string `json:"-"`
	// Trace is the W3C traceparent of the span that published the event
	// ("" when not tracing): its delivery attempts continue that trace.
	Trace string `json:"-"`
}

// NewEvent builds an event of type typ whose data is data marshalled to JSON.
// Its Timestamp is left zero: publishing stamps it with the process's clock.
func NewEvent(workspaceID, typ string, data any) *Event {
	raw, err := json.Marshal(data)
	if err != nil {
		panic("switchboard: event data does not marshal: " + err.Error())
	}
	return &Event{
		ID:          NewID(PrefixEvent),
		Type:        typ,
		Version:     EventVersion,
		WorkspaceID: workspaceID,
		Data:        raw,
	}
}

// ConversationEvent builds a conversation.* event. A change is given for
// conversation.updated only: one event per changed field, so that
// data.changes is always one object.
func ConversationEvent(typ string, c *Conversation, change *Change) *Event {
	data := map[string]any{"conversation": c}
	if change != nil {
		data["changes"] = change
	}
	return NewEvent(c.WorkspaceID, typ, data)
}

// MessageEvent builds a message.* event.
func MessageEvent(typ string, m *Message) *Event {
	return NewEvent(m.WorkspaceID, typ, map[string]any{"message": m})
}

// BotEvent builds a bot.* event; errMsg is set for bot.error.
func BotEvent(typ string, b *Bot, errMsg string) *Event {
	data := map[string]any{"bot": b}
	if errMsg != "" {
		data["error"] = errMsg
	}
	return NewEvent(b.WorkspaceID, typ, data)
}

// EventType describes one type of event for GET /event-types.
type EventType struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
}

// MatchEventType reports whether an event type matches a filter: an exact
// type, a prefix ending in "*" ("message.*"), or "*".
func MatchEventType(filter, typ string) bool {
	if strings.HasSuffix(filter, "*") {
		return strings.HasPrefix(typ, strings.TrimSuffix(filter, "*"))
	}
	return filter == typ
}

// ValidEventFilter reports whether f is an event type or a prefix filter that
// matches at least one event type.
func ValidEventFilter(f string) bool {
	for _, t := range EventTypes {
		if MatchEventType(f, t.Name) {
			return true
		}
	}
	return false
}

// LookupEventType returns the description of the named type.
func LookupEventType(name string) (EventType, bool) {
	for _, t := range EventTypes {
		if t.Name == name {
			return t, true
		}
	}
	return EventType{}, false
}
