package switchboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"time"
	"unicode/utf8"
)

// HookRequest is one inbound request from a platform to
// /hooks/channels/{id}, read whole.
type HookRequest struct {
	Method string
	// URL is the full public URL the platform called (PUBLIC_URL + path +
	// query); Twilio signs it.
	URL    string
	Header http.Header
	Query  url.Values
	Body   []byte
	// Now is the time the request arrived, for timestamp windows.
	Now time.Time
	// ClientIP is the address of the client that sent the request (the
	// peer, or what trusted proxies said); checked against the channel's
	// allowed_ips.
	ClientIP netip.Addr
}

// HookResponse is a response an adapter wants written back to the platform
// as is (Slack's url_verification challenge, Meta's hub.challenge).
type HookResponse struct {
	Status      int
	ContentType string
	Body        []byte
}

// HookResult is what an adapter made of one verified inbound request.
type HookResult struct {
	Response *HookResponse    // nil: answer 200 with an empty JSON object
	Messages []InboundMessage // messages from users, in platform order
	Statuses []StatusUpdate   // delivery receipts for outbound messages
}

// InboundMessage is one message a user sent on a platform.
type InboundMessage struct {
	// ExternalID is the platform's id for this message (Telegram update_id,
	// Slack event_id, WhatsApp message id, ...); repeats are dropped on it.
	ExternalID string
	Contact    ContactInfo
	// Kind is "text" for text messages; anything else (a sticker, a photo,
	// an edit) is stored and ignored by bots.
	Kind string
	Text string
	// Thread is where replies go when the platform has threads (Slack
	// thread_ts; Telegram chat id when it differs from the user id).
	Thread string
	Raw    json.RawMessage
}

// ContactInfo is what a platform says about the sender.
type ContactInfo struct {
	ExternalID string
	Name       string
	Email      string
	Phone      string
}

// StatusUpdate is a platform's receipt for an outbound message.
type StatusUpdate struct {
	ExternalID string // the platform id of the outbound message
	Status     string // MessageDelivered, MessageRead or MessageFailed
	Error      string
}

// OutboundMessage is a message to send to a contact on a platform.
type OutboundMessage struct {
	MessageID string // Switchboard's msg_ id (the api channel uses it)
	To        string // the contact's external id
	Sender    string // SenderBot or SenderAgent (the web chat shows who answers)
	Text      string
	Thread    string // from the conversation's last inbound message, if any
	// Attempt is 1 for the first attempt to send this message, 2 for the
	// first retry, ... (the api channel sends it as X-Attempt).
	Attempt int
}

// ChannelAdapter connects one type of platform. Adapters are stateless:
// everything they need comes in the *Channel (config and opened secrets).
// Each lives in its own package, channel/<type>, and describes its type
// itself (Spec); cmd/switchboard registers it (Channels).
type ChannelAdapter interface {
	// Spec describes the channel type: its name, configuration fields, text
	// limit and whether its receivers drop repeats. It is the same on
	// every call; callers must not change it.
	Spec() ChannelSpec
	// HandleHook verifies an inbound request with the platform's own scheme
	// and parses it. Errors: EUnauthorized for a bad or missing signature,
	// EForbidden for a wrong verify token, EInvalid for a malformed body.
	HandleHook(ctx context.Context, ch *Channel, req *HookRequest) (*HookResult, error)
	// Send delivers one message and returns the platform's id for it.
	// Errors are *SendError.
	Send(ctx context.Context, ch *Channel, msg *OutboundMessage) (externalID string, err error)
}

// Registrar is implemented by adapters whose platform API can register the
// inbound webhook URL (Telegram setWebhook).
type Registrar interface {
	Register(ctx context.Context, ch *Channel, webhookURL string) error
}

// SendError is a failed send. Retryable errors (429, 5xx, network) may be
// tried again after RetryAfter (zero: use the backoff schedule).
type SendError struct {
	Retryable  bool
	RetryAfter time.Duration
	StatusCode int    // the platform's HTTP status, 0 if none
	Message    string // the platform's error, as it said it
}

// MaxSendErrorText bounds how much of a platform's error text a SendError
// carries into a message's error and the logs.
const MaxSendErrorText = 300

func (e *SendError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("platform answered %d: %s", e.StatusCode, e.Text())
	}
	return e.Text()
}

// Text is Message, cut to at most MaxSendErrorText bytes (on a character
// boundary, marked with "…").
func (e *SendError) Text() string {
	m := e.Message
	if len(m) <= MaxSendErrorText {
		return m
	}
	cut := MaxSendErrorText
	for cut > 0 && !utf8.RuneStart(m[cut]) {
		cut--
	}
	return m[:cut] + "…"
}

// APIBaseURL returns the channel's api_base_url override, or def.
func (c *Channel) APIBaseURL(def string) string {
	if s, ok := c.Config["api_base_url"].(string); ok && s != "" {
		return s
	}
	return def
}

// Setting returns a string setting of the channel, secret or public.
func (c *Channel) Setting(name string) string {
	if s, ok := c.Secrets[name]; ok {
		return s
	}
	s, _ := c.Config[name].(string)
	return s
}
