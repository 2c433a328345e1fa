// Package telegram connects Switchboard to the Telegram Bot API.
//
// # Inbound
//
// Telegram POSTs one Update (JSON) per request to the URL given to
// setWebhook. Telegram signs nothing: it echoes the secret_token given to
// setWebhook in the X-Telegram-Bot-Api-Secret-Token header. HandleHook
// compares that header in constant time with the channel's secret_token and
// answers unauthorized when they differ, and also when the channel has no
// secret_token at all: a hook that anyone who knows the URL could call is
// not accepted.
//
// Updates become messages as follows (ExternalID is always the update_id,
// which Telegram repeats when it retries):
//
//	message              Kind "text" with text; otherwise the content kind
//	                     ("photo", "sticker", "voice", ...), caption as Text
//	edited_message       Kind "edited_message"
//	channel_post         Kind "channel_post"
//	edited_channel_post  Kind "edited_channel_post"
//	callback_query       Kind "callback_query", Text = the button's data
//
// Service messages (members joining, pins, ...) and every other update kind
// (inline_query, poll, my_chat_member, message_reaction, business_*, ...)
// yield no messages: the hook answers 200 and nothing is stored, so
// Telegram does not retry them and no conversation is started for them.
//
// The contact is the sender (from: id, first and last name or username).
// Thread is set when replies must go somewhere other than the sender's
// private chat: "<chat_id>" for a group, "<chat_id>:<message_thread_id>" for
// a topic of a forum supergroup.
//
// # Outbound
//
// Send calls POST {base}/bot{token}/sendMessage with {chat_id, text,
// message_thread_id}, where the chat is OutboundMessage.Thread if set, else
// OutboundMessage.To, and returns the message_id. Telegram answers
// {"ok": false, "error_code", "description", "parameters": {"retry_after"}}
// on errors: 429 and 5xx are retryable (honouring retry_after), other errors
// are not. Register calls setWebhook with the URL, the secret_token and the
// update kinds above. The bot token is part of every URL, so error messages
// never include the URL.
package telegram

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/wire"
)

// DefaultBaseURL is the Bot API server; a channel's api_base_url overrides it.
const DefaultBaseURL = "https://api.telegram.org"

// HeaderSecretToken carries the webhook's secret_token on every update.
const HeaderSecretToken = "X-Telegram-Bot-Api-Secret-Token"

// Adapter is the telegram channel adapter. It is stateless and safe for
// concurrent use.
type Adapter struct {
	client *http.Client
}

var (
	_ switchboard.ChannelAdapter = (*Adapter)(nil)
	_ switchboard.Registrar      = (*Adapter)(nil)
)

// New returns an adapter calling the Bot API with client (nil: a client
// with a 30-second timeout).
func New(client *http.Client) *Adapter {
	return &Adapter{client: wire.Client(client)}
}

// TextLimit is the longest text the Bot API takes in one message, in UTF-16
// code units.
const TextLimit = 4096

// Spec describes the telegram channel type: bot_token and secret_token,
// both secret; a secret_token is generated (and shown once) when none is
// given.
func (*Adapter) Spec() switchboard.ChannelSpec { return spec }

// spec is what Spec returns, one value for every call.
var spec = switchboard.ChannelSpec{
	Type: switchboard.ChannelTelegram,
	Fields: []switchboard.ConfigField{
		{Name: "bot_token", Secret: true, Required: true},
		{Name: "secret_token", Secret: true, Generate: newSecretToken},
	},
	TextLimit: TextLimit,
}

// newSecretToken returns 48 random hex digits (the Bot API takes 1 to 256
// of A-Z, a-z, 0-9, _ and -).
func newSecretToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// HandleHook checks the secret token and parses the update.
func (a *Adapter) HandleHook(_ context.Context, ch *switchboard.Channel, req *switchboard.HookRequest) (*switchboard.HookResult, error) {
	if err := verify(ch.Setting("secret_token"), req.Header.Get(HeaderSecretToken)); err != nil {
		return nil, err
	}
	msgs, err := parseUpdate(req.Body)
	if err != nil {
		return nil, err
	}
	return &switchboard.HookResult{Messages: msgs}, nil
}

// verify compares the header with the configured secret token in constant
// time. A channel without a secret token accepts nothing.
func verify(want, got string) error {
	if want == "" {
		return switchboard.Errorf(switchboard.EUnauthorized, "the channel has no secret_token; register the webhook with one")
	}
	if got == "" {
		return switchboard.Errorf(switchboard.EUnauthorized, "missing %s header", HeaderSecretToken)
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return switchboard.Errorf(switchboard.EUnauthorized, "wrong %s header", HeaderSecretToken)
	}
	return nil
}
