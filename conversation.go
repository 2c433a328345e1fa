package switchboard

import (
	"encoding/json"
	"time"
)

// Contact is a person on one channel, unique per (channel, external id).
type Contact struct {
	ID          string         `json:"id"`
	WorkspaceID string         `json:"-"`
	ChannelID   string         `json:"channel_id"`
	ExternalID  string         `json:"external_id"`
	Name        string         `json:"name"`
	Email       string         `json:"email"`
	Phone       string         `json:"phone"`
	Attributes  map[string]any `json:"attributes"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// Conversation statuses.
const (
	ConversationActive  = "active"  // the bot answers
	ConversationHandoff = "handoff" // the bot is paused; agents answer
	ConversationEnded   = "ended"   // closed; the contact's next message starts a new one
)

// DefaultInactivityTimeout ends a conversation nobody wrote in for this long.
const DefaultInactivityTimeout = 24 * time.Hour

// Conversation is one thread between a contact and a bot or agents.
type Conversation struct {
	ID             string         `json:"id"`
	WorkspaceID    string         `json:"-"`
	ChannelID      string         `json:"channel_id"`
	BotID          *string        `json:"bot_id"`
	ContactID      string         `json:"contact_id"`
	Status         string         `json:"status"`
	Assignee       *string        `json:"assignee"`
	Metadata       map[string]any `json:"metadata"`
	StartedAt      time.Time      `json:"started_at"`
	LastActivityAt time.Time      `json:"last_activity_at"`
	EndedAt        *time.Time     `json:"ended_at"`
}

// ValidConversationStatus reports whether s is a conversation status.
func ValidConversationStatus(s string) bool {
	return s == ConversationActive || s == ConversationHandoff || s == ConversationEnded
}

// CanTransition reports whether a conversation may go from one status to
// another: active and handoff move freely between each other and to ended;
// ended is final.
func CanTransition(from, to string) bool {
	if !ValidConversationStatus(to) {
		return false
	}
	return from != ConversationEnded || to == ConversationEnded
}

// Change is one field's change, as carried by conversation.updated.
type Change struct {
	Field    string `json:"field"`
	OldValue any    `json:"old_value"`
	NewValue any    `json:"new_value"`
}

// Message directions, senders and statuses.
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"

	SenderUser   = "user"
	SenderBot    = "bot"
	SenderAgent  = "agent"
	SenderSystem = "system"

	MessageReceived  = "received"
	MessageQueued    = "queued"
	MessageSent      = "sent"
	MessageDelivered = "delivered"
	MessageRead      = "read"
	MessageFailed    = "failed"
)

// Message is one message of a conversation. ExternalID is the platform's id
// for it; an inbound message is unique per (channel, external id).
type Message struct {
	ID             string          `json:"id"`
	WorkspaceID    string          `json:"-"`
	ConversationID string          `json:"conversation_id"`
	ChannelID      string          `json:"-"`
	Direction      string          `json:"direction"`
	Sender         string          `json:"sender"`
	Text           string          `json:"text"`
	Status         string          `json:"status"`
	ExternalID     *string         `json:"external_id"`
	Error          *string         `json:"error"`
	Raw            json.RawMessage `json:"-"`
	Thread         string          `json:"-"` // where replies go on the platform (InboundMessage.Thread)
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"-"`
}
