// Package slack connects Switchboard to a Slack app through the Events API
// and the Web API.
//
// # Inbound
//
// Slack signs every request with the app's signing secret:
// X-Slack-Signature is "v0=" + hex HMAC-SHA256(signing_secret,
// "v0:" + X-Slack-Request-Timestamp + ":" + raw body). HandleHook recomputes
// it, compares in constant time, and refuses timestamps more than five
// minutes from the arrival time (either way) so that a captured request
// cannot be replayed. A channel without a signing_secret accepts nothing.
//
// The url_verification handshake is answered with its challenge as
// text/plain. An event_callback becomes a message when its event is a
// "message" (no subtype, thread_broadcast, or file_share as Kind "file") or
// an "app_mention"; ExternalID is the envelope's event_id, which Slack keeps
// when it retries. Everything else yields no messages, and so do bot
// messages: events with a bot_id, subtype bot_message, the app's own app_id,
// or a user that is one of the envelope's bot authorizations. Edits,
// deletions and channel joins are not stored.
//
// The text is given as the user typed it: Slack's &amp; &lt; &gt; escapes
// are undone and a leading mention of the app's bot user is dropped.
//
// Apps that subscribe both to app_mention and to message.channels receive a
// mention twice, under two event_ids; subscribe to one of them for channels.
//
// # Threads
//
// Contact is the Slack user id, so OutboundMessage.To is a user id, and
// Thread carries where the reply goes: "<channel>" or "<channel>:<thread_ts>".
// A direct message (channel type im) is answered in the conversation, or in
// its thread if the user wrote in one; in channels, group DMs and for
// mentions the reply goes in the thread of the user's message (its
// thread_ts, or its own ts when it started no thread yet), so a bot never
// floods a channel. With no Thread, Send posts to the user id, which Slack
// delivers as a direct message from the app.
//
// # Outbound
//
// Send calls POST {base}/api/chat.postMessage with the bot token as Bearer
// and {channel, text, thread_ts}, and returns the message's ts. Slack
// answers errors as HTTP 200 with {"ok": false, "error": "..."}: these are
// not retryable except ratelimited and service_unavailable. HTTP 429
// (honouring Retry-After) and 5xx are retryable.
package slack

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/wire"
)

// DefaultBaseURL is Slack's Web API host; a channel's api_base_url
// overrides it.
const DefaultBaseURL = "https://slack.com"

// Adapter is the slack channel adapter. It is stateless and safe for
// concurrent use.
type Adapter struct {
	client *http.Client
}

var _ switchboard.ChannelAdapter = (*Adapter)(nil)

// New returns an adapter calling the Web API with client (nil: a client
// with a 30-second timeout).
func New(client *http.Client) *Adapter {
	return &Adapter{client: wire.Client(client)}
}

// Spec describes the slack channel type: bot_token and signing_secret,
// both secret and required.
func (*Adapter) Spec() switchboard.ChannelSpec { return spec }

// spec is what Spec returns, one value for every call.
var spec = switchboard.ChannelSpec{
	Type: switchboard.ChannelSlack,
	Fields: []switchboard.ConfigField{
		{Name: "bot_token", Secret: true, Required: true},
		{Name: "signing_secret", Secret: true, Required: true},
	},
}

// HandleHook verifies the request signature and parses the Events API body.
func (a *Adapter) HandleHook(_ context.Context, ch *switchboard.Channel, req *switchboard.HookRequest) (*switchboard.HookResult, error) {
	if err := Verify(ch.Setting("signing_secret"), req.Header, req.Body, req.Now); err != nil {
		return nil, err
	}
	env, err := parseEnvelope(req.Body)
	if err != nil {
		return nil, err
	}
	switch env.Type {
	case "url_verification":
		return challenge(env)
	case "event_callback":
		msgs, err := env.messages(req.Body)
		if err != nil {
			return nil, err
		}
		return &switchboard.HookResult{Messages: msgs}, nil
	}
	return &switchboard.HookResult{}, nil
}

// challenge answers the url_verification handshake.
func challenge(env *envelope) (*switchboard.HookResult, error) {
	if env.Challenge == "" {
		return nil, switchboard.Invalid("challenge", "is required")
	}
	return &switchboard.HookResult{Response: &switchboard.HookResponse{
		Status:      http.StatusOK,
		ContentType: "text/plain; charset=utf-8",
		Body:        []byte(env.Challenge),
	}}, nil
}

func parseEnvelope(body []byte) (*envelope, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, switchboard.JSONError(err, "")
	}
	return &env, nil
}
