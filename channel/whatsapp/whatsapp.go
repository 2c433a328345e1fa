// Package whatsapp connects Switchboard to a WhatsApp Business phone number
// through Meta's WhatsApp Cloud API.
//
// # Subscription
//
// When the webhook URL is saved in the Meta app dashboard, Meta calls it
// with GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…. If the
// token equals the channel's verify_token (compared in constant time) the
// challenge is echoed as text/plain with 200. A wrong token, or a channel
// without one, is forbidden; a request missing any of the three
// parameters, or with a mode other than subscribe, is invalid.
//
// # Inbound
//
// Every POST carries X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of
// the raw body keyed with the Meta app's app secret. HandleHook recomputes
// it and compares in constant time; a missing or wrong signature, or a
// channel without an app_secret, is unauthorized. The older SHA-1
// X-Hub-Signature header is not accepted. Meta signs no timestamp, so
// replays of a captured request are dropped on message ids only.
//
// The body is a notification {"object": "whatsapp_business_account",
// "entry": [{"changes": [{"field": "messages", "value": {…}}]}]}. Changes
// of other fields (template, quality and account updates), notifications
// for other objects, and changes whose value.metadata.phone_number_id is
// another number than the channel's phone_number_id are skipped: one Meta
// app may serve several numbers, and a reply must leave from the number
// that was written to. value.errors (account-level problems) are skipped
// too.
//
// Each value.messages[] entry becomes one message. ExternalID is the
// message id (wamid.…), which Meta keeps when it retries. The contact is
// the sender: ExternalID is "from" (the wa_id, digits of the phone number),
// Phone is "+" + from, and Name is the profile name of the value.contacts[]
// entry with that wa_id. A user who hides their phone number behind a
// WhatsApp username has no "from", only a business-scoped user id
// (from_user_id, "US.1349…"): that id is then the contact's ExternalID and
// Phone stays empty. Kind is the message type; Text is what a person would
// read as the message:
//
//	text         Kind "text", the body
//	image video document
//	             the caption
//	interactive  the title of the chosen reply button or list row (the body
//	             of a flow reply)
//	button       the text of a template's quick-reply button
//	reaction     the emoji (empty when a reaction is removed)
//	location     the place's name and address, when given
//	order system the order's note, the system notice
//	anything else (audio, sticker, contacts, unsupported, request_welcome,
//	             types added later): no text
//
// Only Kind "text" is answered by bots; the others are stored. A message
// type this package does not know is never an error. Raw is the message
// object itself, not the whole body, since one body can carry several
// messages.
//
// value.statuses[] are receipts for messages the channel sent: delivered,
// read and failed become StatusUpdates (a failure carries the first
// error's title, message, details and code). "sent" is dropped: Send has
// already recorded the message as sent when Meta accepted it, and a late
// "sent" must not look like news. Other statuses ("played" for voice
// messages, "deleted", anything new) are dropped as well.
//
// # Outbound
//
// Send calls POST {base}/v21.0/{phone_number_id}/messages with the
// access_token as Bearer and a text message,
//
//	{"messaging_product": "whatsapp", "recipient_type": "individual",
//	 "to": "16505551234", "type": "text", "text": {"body": "…"}}
//
// and returns messages[0].id. A recipient that is a business-scoped user
// id rather than a phone number is sent as "recipient" instead of "to".
// Free-form text is only delivered within 24 hours of the user's last
// message; outside that window Meta refuses it (code 131047) and the
// error is final. Errors are Graph API errors, {"error": {"message",
// "code", "error_data": {"details"}, "is_transient"}}: HTTP 429 and 5xx,
// is_transient, the rate-limit codes (4, 17, 32, 613, 80007, 130429,
// 131056) and the temporary-outage codes (1, 2, 131000, 131016) are
// retryable, honouring Retry-After when Meta sends one; the rest are final
// and carry Meta's message and details.
package whatsapp

import (
	"context"
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/meta"
	"github.com/switchboardhq/switchboard/channel/internal/wire"
)

// DefaultBaseURL is the Graph API host; a channel's api_base_url overrides
// it.
const DefaultBaseURL = meta.DefaultBaseURL

// APIVersion is the Graph API version of every call.
const APIVersion = meta.APIVersion

// Adapter is the whatsapp channel adapter. It is stateless and safe for
// concurrent use.
type Adapter struct {
	graph *meta.Graph
}

var _ switchboard.ChannelAdapter = (*Adapter)(nil)

// New returns an adapter calling the Cloud API with client (nil: a client
// with a 30-second timeout).
func New(client *http.Client) *Adapter {
	return &Adapter{graph: &meta.Graph{
		Platform:   "whatsapp",
		RetryCodes: retryCodes,
		Describe:   errorText,
		Client:     wire.Client(client),
		Now:        time.Now,
	}}
}

// TextLimit is the longest text the Cloud API takes in one message, in
// UTF-16 code units.
const TextLimit = 4096

// Spec describes the whatsapp channel type: access_token, app_secret and
// verify_token (secret) and phone_number_id, all required.
func (*Adapter) Spec() switchboard.ChannelSpec { return spec }

// spec is what Spec returns, one value for every call.
var spec = switchboard.ChannelSpec{
	Type: switchboard.ChannelWhatsApp,
	Fields: []switchboard.ConfigField{
		{Name: "access_token", Secret: true, Required: true},
		{Name: "phone_number_id", Required: true},
		{Name: "app_secret", Secret: true, Required: true},
		{Name: "verify_token", Secret: true, Required: true},
	},
	TextLimit: TextLimit,
}

// HandleHook answers the GET subscription handshake, and verifies and
// parses every other request as a signed notification.
func (a *Adapter) HandleHook(_ context.Context, ch *switchboard.Channel, req *switchboard.HookRequest) (*switchboard.HookResult, error) {
	return meta.HandleHook("whatsapp", ch, req, func(body []byte) (*switchboard.HookResult, error) {
		return parseNotification(body, ch.Setting("phone_number_id"))
	})
}
