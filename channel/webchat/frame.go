package webchat

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard"
)

// Limits of what a browser may send.
const (
	// MaxTextLen is the longest message text, in characters.
	MaxTextLen = 4096
	// MaxFrameBytes is the largest frame read from a browser; larger frames
	// close the connection (1009, message too big).
	MaxFrameBytes = 32 << 10
	// maxClientIDLen bounds the client's id of a message.
	maxClientIDLen = 64
)

// Frame types.
const (
	frameMessage = "message" // both ways: a message
	frameSession = "session" // server: the session token to keep
	frameReady   = "ready"   // server: the catch-up is complete
	frameAck     = "ack"     // server: a browser message is stored
	frameError   = "error"   // server: a frame was refused
	framePing    = "ping"    // browser: are you there (answered pong)
	framePong    = "pong"    // server
)

// Error codes of error frames.
const (
	errInvalidFrame = "invalid_frame"
	errTooLong      = "too_long"
	errRateLimited  = "rate_limited"
	errInternal     = "internal"
)

// clientFrame is a frame from the browser.
//
//	{"type": "message", "id": "<client id>", "text": "Hello"}
//	{"type": "ping"}
type clientFrame struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Text string `json:"text"`
}

// frameError is a refused frame: code and message go back in an error
// frame, with the frame's id when it had one.
type frameErr struct {
	ID      string
	Code    string
	Message string
}

func (e *frameErr) Error() string { return e.Code + ": " + e.Message }

// parseClientFrame decodes and checks one frame from the browser: strict
// JSON (unknown fields and trailing data refused), a known type, for a
// message a client id of 1–64 characters [A-Za-z0-9_-] and a text of 1–4096
// characters, trimmed, without NUL characters.
func parseClientFrame(data []byte) (*clientFrame, error) {
	if !utf8.Valid(data) {
		return nil, &frameErr{Code: errInvalidFrame, Message: "the frame is not UTF-8"}
	}
	var f clientFrame
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, &frameErr{Code: errInvalidFrame, Message: "the frame is not a JSON object of type, id and text"}
	}
	if _, err := dec.Token(); err == nil {
		return nil, &frameErr{Code: errInvalidFrame, Message: "the frame has data after its JSON object"}
	}
	switch f.Type {
	case framePing:
		return &f, nil
	case frameMessage:
	default:
		return nil, &frameErr{Code: errInvalidFrame, Message: "unknown frame type; send message or ping"}
	}
	if !validClientID(f.ID) {
		return nil, &frameErr{Code: errInvalidFrame, Message: "id must be 1 to 64 letters, digits, - or _"}
	}
	f.Text = strings.TrimSpace(f.Text)
	switch n := utf8.RuneCountInString(f.Text); {
	case n == 0:
		return nil, &frameErr{ID: f.ID, Code: errInvalidFrame, Message: "text is empty"}
	case n > MaxTextLen:
		return nil, &frameErr{ID: f.ID, Code: errTooLong, Message: "text is longer than 4096 characters"}
	}
	if strings.ContainsRune(f.Text, 0) {
		return nil, &frameErr{ID: f.ID, Code: errInvalidFrame, Message: "text contains a NUL character"}
	}
	return &f, nil
}

func validClientID(id string) bool {
	if id == "" || len(id) > maxClientIDLen {
		return false
	}
	for _, r := range id {
		if !isBase64URL(r) {
			return false
		}
	}
	return true
}

// externalID is the inbound message's ExternalID: the client id scoped to
// the visitor, so that one visitor's ids never collide with another's and a
// resent message is dropped as a repeat.
func externalID(visitor, clientID string) string { return visitor + ":" + clientID }

// clientIDOf returns the client id of an inbound message's external id, if
// the message came from that visitor's widget.
func clientIDOf(visitor string, ext *string) string {
	if ext == nil {
		return ""
	}
	id, ok := strings.CutPrefix(*ext, visitor+":")
	if !ok {
		return ""
	}
	return id
}

// inbound turns a browser message into the pipeline's form.
func inbound(visitor string, f *clientFrame, raw []byte) switchboard.InboundMessage {
	return switchboard.InboundMessage{
		ExternalID: externalID(visitor, f.ID),
		Contact:    switchboard.ContactInfo{ExternalID: visitor},
		Kind:       "text",
		Text:       f.Text,
		Raw:        json.RawMessage(raw),
	}
}

// serverFrame is a frame to the browser. Only the fields of its type are
// set:
//
//	{"type": "session", "token": "wct1.…", "visitor": "wc_…"}
//	{"type": "message", "id": "msg_…", "sender": "user|bot|agent|system",
//	 "text": "…", "created_at": "…", "client_id": "…"}
//	{"type": "ready"}
//	{"type": "ack", "id": "<client id>", "message_id": "msg_…"}
//	{"type": "error", "code": "invalid_frame|too_long|rate_limited|internal",
//	 "message": "…", "id": "<client id>"}
//	{"type": "pong"}
type serverFrame struct {
	Type      string     `json:"type"`
	ID        string     `json:"id,omitempty"`
	Token     string     `json:"token,omitempty"`
	Visitor   string     `json:"visitor,omitempty"`
	Sender    string     `json:"sender,omitempty"`
	Text      string     `json:"text,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	ClientID  string     `json:"client_id,omitempty"`
	MessageID string     `json:"message_id,omitempty"`
	Code      string     `json:"code,omitempty"`
	Message   string     `json:"message,omitempty"`
}

// messageFrame is the frame of a stored message.
func messageFrame(visitor string, m *switchboard.Message) serverFrame {
	f := serverFrame{Type: frameMessage, ID: m.ID, Sender: m.Sender, Text: m.Text}
	if !m.CreatedAt.IsZero() {
		t := m.CreatedAt.UTC()
		f.CreatedAt = &t
	}
	if m.Direction == switchboard.DirectionInbound {
		f.ClientID = clientIDOf(visitor, m.ExternalID)
	}
	return f
}

// shown reports whether a stored message belongs in the widget: the
// visitor's own text messages, and outbound messages once they were sent.
func shown(m *switchboard.Message) bool {
	if m.Text == "" {
		return false
	}
	if m.Direction == switchboard.DirectionInbound {
		return true
	}
	switch m.Status {
	case switchboard.MessageSent, switchboard.MessageDelivered, switchboard.MessageRead:
		return true
	}
	return false
}
