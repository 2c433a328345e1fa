// Package api is the channel for any application that talks to Switchboard
// over plain HTTPS: a mobile app, a game server, an in-house chat.
//
// # Inbound
//
// The application POSTs each user message to the channel's webhook URL,
// signed the Standard Webhooks way with the channel's secret (whsec_…):
// webhook-id, webhook-timestamp (unix seconds, within five minutes of the
// arrival time) and webhook-signature ("v1," + base64 HMAC-SHA256 of
// "{id}.{timestamp}.{body}"; several space-separated signatures are
// accepted, for secret rotation). The body is decoded strictly:
//
//	{"message_id": "m-123", "user_id": "u-42", "text": "Hi",
//	 "user": {"name": "Ada Lovelace", "email": "ada@example.com"}}
//
// message_id and user_id are required (at most 255 characters each);
// message_id is the ExternalID on which repeats are dropped, user_id the
// contact's external id. Unknown fields and wrong types are refused, naming
// the field. A message with empty text is stored with Kind "empty" so that
// bots do not answer it.
//
// # Outbound
//
// Send POSTs each reply to the channel's callback_url, signed the same way
// (webhook-id is Switchboard's msg_ id, the same on every attempt, so the
// receiver can drop repeats; X-Signature carries "sha256=" + hex HMAC of
// the body for simple receivers), with User-Agent Switchboard/<version>
// and X-Attempt (1 for the first attempt) like every outbound delivery:
//
//	{"message_id": "msg_01J…", "user_id": "u-42", "text": "Hello!"}
//
// plus "thread" when the conversation has one. Any 2xx is success and the
// external id is the message_id. 429, 5xx and network errors are retried
// (honouring Retry-After, in seconds or as an HTTP date); redirects are not
// followed and, like other 4xx, are not retried. Without a callback_url
// nothing can be sent.
//
// The callback URL is the customer's: give New the SSRF-safe client that
// refuses private addresses.
package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// Adapter is the api channel adapter. It is stateless and safe for
// concurrent use.
type Adapter struct {
	client    *http.Client
	userAgent string
	now       func() time.Time
}

var _ switchboard.ChannelAdapter = (*Adapter)(nil)

// New returns an adapter that calls back with a copy of client that does
// not follow redirects (nil: a client with a 15-second timeout), sending
// the given version in User-Agent.
func New(client *http.Client, version string) *Adapter {
	c := http.Client{Timeout: 15 * time.Second}
	if client != nil {
		c = *client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Adapter{client: &c, userAgent: "Switchboard/" + version, now: time.Now}
}

// Spec describes the api channel type: callback_url, and secret, a whsec_
// secret generated (and shown once) when none is given. Repeats are safe:
// webhook-id is the message id, on which receivers drop them.
func (*Adapter) Spec() switchboard.ChannelSpec { return spec }

// spec is what Spec returns, one value for every call.
var spec = switchboard.ChannelSpec{
	Type: switchboard.ChannelAPI,
	Fields: []switchboard.ConfigField{
		{Name: "callback_url", URL: true},
		{Name: "secret", Secret: true, Generate: signature.NewSecret},
	},
	RepeatSafe: true,
}

// HandleHook verifies the Standard Webhooks signature and decodes the
// message.
func (a *Adapter) HandleHook(_ context.Context, ch *switchboard.Channel, req *switchboard.HookRequest) (*switchboard.HookResult, error) {
	if err := verify(ch.Setting("secret"), req); err != nil {
		return nil, err
	}
	msg, err := parseMessage(req.Body)
	if err != nil {
		return nil, err
	}
	return &switchboard.HookResult{Messages: []switchboard.InboundMessage{*msg}}, nil
}

// verify checks the request against the channel secret.
func verify(secret string, req *switchboard.HookRequest) error {
	if secret == "" {
		return switchboard.Errorf(switchboard.EUnauthorized, "api: the channel has no secret")
	}
	key, err := signature.Key(secret)
	if err != nil {
		return switchboard.Errorf(switchboard.EUnauthorized, "api: the channel secret is not a whsec_ secret")
	}
	if err := signature.Verify(key, req.Header, req.Body, req.Now, signature.DefaultTolerance); err != nil {
		return switchboard.Errorf(switchboard.EUnauthorized, "api: %s", strings.TrimPrefix(err.Error(), "signature: "))
	}
	return nil
}
