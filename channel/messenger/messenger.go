// Package messenger connects Switchboard to a Facebook Page through the
// Messenger Platform.
//
// # Subscription
//
// When the callback URL is saved in the Meta app dashboard, Meta calls it
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
// X-Hub-Signature is not accepted.
//
// The body is {"object": "page", "entry": [{"id": page id, "messaging":
// [event, …]}]}; Meta may batch several events, of several pages, in one
// body. Notifications for other objects (instagram, whatsapp…) and entries
// without "messaging" (standby events of the handover protocol, page feed
// changes) are skipped. Each event names the sender by its page-scoped id
// (PSID), which is the contact's ExternalID; Messenger gives no name or
// phone number. The events become, in order:
//
//	message           ExternalID the message's mid. Kind "text" with the
//	                  text (a quick reply is a text message: the text is the
//	                  button's title); without text, the first attachment's
//	                  type ("image", "audio", "video", "file", "location",
//	                  "fallback", "template", "sticker", or any newer type);
//	                  "empty" with neither.
//	                  Echoes of the page's own messages (is_echo) and
//	                  unsent messages (is_deleted) are dropped.
//	message_edit      Kind "message_edit", the new text; ExternalID
//	                  "<mid>:edit:<num_edit>" (the mid is the edited
//	                  message's).
//	postback          Kind "postback" (a button or the Get Started button);
//	                  Text is the button's title, else its payload; Raw has
//	                  both. ExternalID is the postback's mid, or
//	                  "postback:<psid>:<timestamp>" for events without one.
//	reaction          Kind "reaction", the emoji (empty when removed);
//	                  ExternalID "reaction:<psid>:<timestamp>".
//	delivery          one MessageDelivered status per mid in delivery.mids.
//	read              dropped: a read receipt carries only a watermark (every
//	                  message sent before it was read), no message ids, and
//	                  an adapter is stateless; the pipeline would have to
//	                  mark the conversation's earlier messages itself.
//	anything else     dropped (optin, referral, account_linking,
//	                  pass_thread_control, policy enforcement…): they carry
//	                  no message id to store them under.
//
// Meta retries an event unchanged, so the synthesized ids drop repeats
// too. Raw is the event object itself, not the whole body.
//
// # Outbound
//
// Send calls POST {base}/v21.0/me/messages?access_token={page_access_token}
// (the access_token parameter is how the Send API documents it; the token
// never appears in errors) with
//
//	{"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
//	 "message": {"text": "…"}}
//
// and returns the message_id. RESPONSE is only allowed within 24 hours of
// the person's last message; outside that window Meta refuses the send
// (code 10, subcode 2018278) and the error is final. Errors are Graph API
// errors, {"error": {"message", "code", "error_subcode", "is_transient"}}:
// HTTP 429 and 5xx, is_transient, the rate-limit codes (4, 17, 32, 613)
// and the temporary-failure codes (1, 2, 1200) are retryable, honouring
// Retry-After when Meta sends one; the rest are final with Meta's message.
package messenger

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

// Adapter is the messenger channel adapter. It is stateless and safe for
// concurrent use.
type Adapter struct {
	graph *meta.Graph
}

var _ switchboard.ChannelAdapter = (*Adapter)(nil)

// New returns an adapter calling the Send API with client (nil: a client
// with a 30-second timeout).
func New(client *http.Client) *Adapter {
	return &Adapter{graph: &meta.Graph{
		Platform:   "messenger",
		RetryCodes: retryCodes,
		Client:     wire.Client(client),
		Now:        time.Now,
	}}
}

// TextLimit is the longest text the Send API takes in one message, in
// UTF-16 code units.
const TextLimit = 2000

// Spec describes the messenger channel type: page_access_token, app_secret
// and verify_token, all secret and required.
func (*Adapter) Spec() switchboard.ChannelSpec { return spec }

// spec is what Spec returns, one value for every call.
var spec = switchboard.ChannelSpec{
	Type: switchboard.ChannelMessenger,
	Fields: []switchboard.ConfigField{
		{Name: "page_access_token", Secret: true, Required: true},
		{Name: "app_secret", Secret: true, Required: true},
		{Name: "verify_token", Secret: true, Required: true},
	},
	TextLimit: TextLimit,
}

// HandleHook answers the GET subscription handshake, and verifies and
// parses every other request as a signed notification.
func (a *Adapter) HandleHook(_ context.Context, ch *switchboard.Channel, req *switchboard.HookRequest) (*switchboard.HookResult, error) {
	return meta.HandleHook("messenger", ch, req, parseNotification)
}
