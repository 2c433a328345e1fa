// Package webchat is the channel of Switchboard's own web chat widget: a
// small script that any site embeds with one tag,
//
//	<script src="{PUBLIC_URL}/webchat/widget.js" data-channel="ch_…" async></script>
//
// and that talks to Switchboard over a WebSocket.
//
// # Sessions
//
// A visitor is anonymous: a random id "wc_…" that becomes the contact's
// external id. The server hands the widget a session token binding the
// channel, the origin of the page (scheme://host[:port]), the visitor and
// the issue time, signed with HMAC-SHA256 under the channel's secret
// session_secret (generated when the channel is created):
//
//	wct1.<base64url JSON {"ch","org","vis","iat"}>.<base64url HMAC of "wct1.<payload>">
//
// A token is refused on another channel, from another origin, when tampered
// with, and 90 days after it was issued; every connection hands out a fresh
// one. The page's origin must also match the channel's allowed_origins
// (exact origins, https://*.example.com for subdomains, or * for any); an
// empty list allows no site. The Origin header is what browsers send and
// pages cannot forge; it is no defence against programs that are not
// browsers, which can only ever speak as a visitor of their own.
//
// # The WebSocket
//
// GET /webchat/{channel_id}/ws?token=…&after=msg_… (see Handler). Frames are
// JSON text frames; see serverFrame and clientFrame for their shapes. A
// message from the browser becomes an InboundMessage with ExternalID
// "<visitor>:<client id>", so that a message resent after a reconnect is
// dropped as a repeat by the pipeline. The server closes with 1001 when it
// shuts down (the widget reconnects, with backoff, and catches up with
// after) and with 1008 when the channel is deleted or disconnected or the
// page's origin is no longer allowed (the widget stops).
//
// # Inbound through the hook route
//
// HandleHook accepts the same message from programs that prefer plain HTTP:
// POST /hooks/channels/{id} with "Authorization: Bearer <token>", the
// page's Origin header, and the body {"type": "message", "id": "…",
// "text": "…"}.
//
// # Outbound
//
// Send hands the message to the visitor's open connections in this process
// (Hub) and returns the msg_ id as the external id. It does not fail when
// nobody is connected: the message is stored, and the widget gets it on its
// next connection, or from the database check that every connection makes
// every few seconds (which also covers messages sent by another process).
package webchat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard"
)

// Adapter is the webchat channel adapter. Its only state is the hub it
// publishes to; it is safe for concurrent use.
type Adapter struct {
	hub    *Hub
	now    func() time.Time
	maxAge time.Duration
}

var _ switchboard.ChannelAdapter = (*Adapter)(nil)

// New returns an adapter that publishes sent messages to hub (the same hub
// as the Handler's).
func New(hub *Hub) *Adapter {
	if hub == nil {
		hub = NewHub()
	}
	return &Adapter{hub: hub, now: time.Now, maxAge: DefaultTokenMaxAge}
}

// Spec describes the webchat channel type: allowed_origins, a list, and
// session_secret, generated when the channel is created and never shown
// (only the server signs tokens). Repeats are safe: the widget keeps
// messages by their msg_ id.
func (*Adapter) Spec() switchboard.ChannelSpec { return spec }

// spec is what Spec returns, one value for every call.
var spec = switchboard.ChannelSpec{
	Type: switchboard.ChannelWebchat,
	Fields: []switchboard.ConfigField{
		{Name: "allowed_origins", List: true},
		{Name: "session_secret", Secret: true, Generate: newSessionSecret, Internal: true},
	},
	RepeatSafe: true,
}

// newSessionSecret returns 64 random hex digits.
func newSessionSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// HandleHook verifies the bearer session token against the request's
// Origin and decodes one message. Errors: forbidden for an origin that
// allowed_origins does not list, unauthorized for a bad token, invalid for
// a malformed body.
func (a *Adapter) HandleHook(_ context.Context, ch *switchboard.Channel, req *switchboard.HookRequest) (*switchboard.HookResult, error) {
	origin := NormalizeOrigin(req.Header.Get("Origin"))
	if !OriginAllowed(origin, AllowedOrigins(ch)) {
		return nil, switchboard.Errorf(switchboard.EForbidden, "webchat: the origin is not in the channel's allowed_origins")
	}
	token, ok := bearer(req.Header)
	if !ok {
		return nil, unauthorized("send the session token as Authorization: Bearer <token>")
	}
	now := req.Now
	if now.IsZero() {
		now = a.now()
	}
	sess, err := VerifyToken(ch.Setting("session_secret"), token, ch.ID, origin, now, a.maxAge)
	if err != nil {
		return nil, err
	}
	f, err := parseClientFrame(req.Body)
	if err != nil {
		return nil, switchboard.Invalid("body", err.(*frameErr).Message)
	}
	if f.Type != frameMessage {
		return nil, switchboard.Invalid("type", "must be message")
	}
	return &switchboard.HookResult{Messages: []switchboard.InboundMessage{inbound(sess.Visitor, f, req.Body)}}, nil
}

func bearer(h http.Header) (string, bool) {
	v := h.Get("Authorization")
	if len(v) < 7 || !equalFoldASCII(v[:7], "bearer ") {
		return "", false
	}
	return v[7:], v[7:] != ""
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Send pushes the message to the visitor's connections and returns its
// msg_ id. It fails (not retryable) only for a contact that is not a widget
// visitor: a conversation started through the API with a made-up user id
// has nobody to show it to.
func (a *Adapter) Send(_ context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (string, error) {
	if !ValidVisitorID(msg.To) {
		return "", &switchboard.SendError{Message: "webchat: " + msg.To + " is not a widget visitor (wc_…)"}
	}
	a.hub.publish(ch.ID, msg.To, serverFrame{Type: frameMessage, ID: msg.MessageID, Sender: msg.Sender, Text: msg.Text})
	return msg.MessageID, nil
}
