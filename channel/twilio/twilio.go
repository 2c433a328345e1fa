// Package twilio connects Switchboard to a Twilio phone number, or a
// WhatsApp sender on Twilio, through Programmable Messaging.
//
// # Inbound
//
// Twilio POSTs application/x-www-form-urlencoded parameters to the URL set
// as the number's "A message comes in" webhook, and to the status callback
// URL. It signs each request: X-Twilio-Signature is base64 HMAC-SHA1 keyed
// with the account's auth token over the full URL Twilio called (scheme,
// host, path and query string, exactly as configured) followed by every
// POST parameter's name and value, sorted by name (byte order), without
// separators. A name given several times contributes each of its distinct
// values once, in sorted order, as Twilio's own helper libraries do.
// HandleHook recomputes it over HookRequest.URL (the public URL the hook
// handler rebuilds from SWITCHBOARD_PUBLIC_URL, path and query), and also
// over that URL with the default port added or removed, since Twilio's
// libraries accept both; the comparison is constant time. A missing or
// wrong signature, a channel without an auth_token, and a body that is not
// a form (so its signature cannot be computed) are unauthorized; nothing
// about a body is reported before it is authenticated. A webhook set to
// GET is accepted too: its parameters are in the query string, which the
// signature already covers.
//
// Every verified request is answered with an empty TwiML document,
// <?xml version="1.0" encoding="UTF-8"?><Response></Response> as
// text/xml, so that Twilio sends no reply of its own.
//
// A request with a MessageStatus other than "received" is a status
// callback: delivered and read become MessageDelivered and MessageRead;
// failed and undelivered become MessageFailed with "Twilio error
// <ErrorCode>" and the ErrorMessage when there is one. The other statuses
// (accepted, scheduled, queued, sending, sent, canceled, partially_delivered)
// are dropped: Send has already recorded the message as sent.
//
// Any other request is an incoming message. ExternalID is the MessageSid
// (SM…/MM…), which Twilio keeps when it retries. The contact's ExternalID
// is From exactly as Twilio gives it, with its channel prefix
// ("whatsapp:+14155550123"), so that replies go back over the same
// channel; Phone is the number without the prefix, and Name is the
// WhatsApp ProfileName when there is one. Kind is "text" when there is a
// Body (a media message's Body is its caption, and a WhatsApp button reply
// carries its button's text as Body); "media" without a Body but with
// NumMedia > 0; else the WhatsApp MessageType ("location", with the
// place's label and address as Text, …), else "empty". Raw is the
// parameters as a JSON object (a name sent several times maps to an array).
//
// # Outbound
//
// Send calls POST {base}/2010-04-01/Accounts/{account_sid}/Messages.json
// with HTTP basic auth (account_sid:auth_token) and the form fields To,
// Body and From, the channel's "from" setting. When To is a WhatsApp
// address and "from" is a bare number, From is prefixed with "whatsapp:"
// too. A "from" that is a Messaging Service SID (MG…) is sent as
// MessagingServiceSid instead. It returns the new Message's sid. Twilio
// answers errors as {"code", "message", "more_info", "status"}: 429 and
// 5xx are retryable (honouring Retry-After), anything else is final with
// Twilio's message and error code.
//
// Twilio only posts status callbacks for a message if it was created with
// a StatusCallback URL or through a Messaging Service whose delivery
// status callback is set; Send sets none, so point the Messaging Service's
// callback (or use a Messaging Service SID as "from") at the channel's
// webhook URL to receive delivery receipts.
package twilio

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/wire"
)

// DefaultBaseURL is Twilio's REST API host; a channel's api_base_url
// overrides it.
const DefaultBaseURL = "https://api.twilio.com"

// EmptyTwiML is the answer to every verified request: no reply from
// Twilio itself.
const EmptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// Adapter is the twilio channel adapter. It is stateless and safe for
// concurrent use.
type Adapter struct {
	client *http.Client
	now    func() time.Time
}

var _ switchboard.ChannelAdapter = (*Adapter)(nil)

// New returns an adapter calling the REST API with client (nil: a client
// with a 30-second timeout).
func New(client *http.Client) *Adapter {
	return &Adapter{client: wire.Client(client), now: time.Now}
}

// TextLimit is the longest body Twilio takes in one message, in UTF-16
// code units.
const TextLimit = 1600

// Spec describes the twilio channel type: account_sid, auth_token (secret)
// and from, all required.
func (*Adapter) Spec() switchboard.ChannelSpec { return spec }

// spec is what Spec returns, one value for every call.
var spec = switchboard.ChannelSpec{
	Type: switchboard.ChannelTwilio,
	Fields: []switchboard.ConfigField{
		{Name: "account_sid", Required: true},
		{Name: "auth_token", Secret: true, Required: true},
		{Name: "from", Required: true},
	},
	TextLimit: TextLimit,
}

// HandleHook verifies the request signature and parses an incoming
// message or a status callback.
func (a *Adapter) HandleHook(_ context.Context, ch *switchboard.Channel, req *switchboard.HookRequest) (*switchboard.HookResult, error) {
	params, signedParams, err := requestParams(req)
	if err != nil {
		return nil, err
	}
	if err := Verify(ch.Setting("auth_token"), req.URL, req.Header.Get(HeaderSignature), signedParams); err != nil {
		return nil, err
	}
	res, err := parseParams(params)
	if err != nil {
		return nil, err
	}
	res.Response = &switchboard.HookResponse{
		Status:      http.StatusOK,
		ContentType: "text/xml",
		Body:        []byte(EmptyTwiML),
	}
	return res, nil
}

// requestParams are the request's parameters and the part of them the
// signature covers after the URL: the form body of a POST, nothing for a
// GET (its parameters are in the signed URL).
func requestParams(req *switchboard.HookRequest) (params, signedParams url.Values, err error) {
	if req.Method == http.MethodGet {
		if req.Query != nil {
			return req.Query, nil, nil
		}
		u, err := url.Parse(req.URL)
		if err != nil {
			return nil, nil, unauthorized("the request URL cannot be read, so its signature cannot be checked")
		}
		return u.Query(), nil, nil
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return nil, nil, unauthorized("the body is not a form, so its signature cannot be checked")
	}
	return form, form, nil
}
