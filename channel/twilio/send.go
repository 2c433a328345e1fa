package twilio

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/wire"
)

// whatsAppPrefix marks a WhatsApp address.
const whatsAppPrefix = "whatsapp:"

type messageResource struct {
	Sid string `json:"sid"`
}

// apiError is the body of every REST API refusal.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// Send creates a Message and returns its sid.
func (a *Adapter) Send(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (string, error) {
	req, err := newSendRequest(ctx, ch, msg)
	if err != nil {
		return "", err
	}
	resp, raw, err := wire.Do(a.client, "twilio", req)
	if err != nil {
		return "", err
	}
	return a.readSid(resp, raw)
}

// newSendRequest builds the call; its errors are not retryable.
func newSendRequest(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (*http.Request, error) {
	sid, token, from := ch.Setting("account_sid"), ch.Setting("auth_token"), ch.Setting("from")
	switch {
	case sid == "":
		return nil, &switchboard.SendError{Message: "twilio: the channel has no account_sid"}
	case token == "":
		return nil, &switchboard.SendError{Message: "twilio: the channel has no auth_token"}
	case from == "":
		return nil, &switchboard.SendError{Message: "twilio: the channel has no from number"}
	case msg.To == "":
		return nil, &switchboard.SendError{Message: "twilio: the message has no recipient"}
	}
	fields := url.Values{"To": {msg.To}, "Body": {msg.Text}}
	switch {
	case isMessagingService(from):
		fields.Set("MessagingServiceSid", from)
	case strings.HasPrefix(msg.To, whatsAppPrefix) && !strings.Contains(from, ":"):
		fields.Set("From", whatsAppPrefix+from)
	default:
		fields.Set("From", from)
	}
	endpoint := strings.TrimRight(ch.APIBaseURL(DefaultBaseURL), "/") + "/2010-04-01/Accounts/" + url.PathEscape(sid) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(fields.Encode()))
	if err != nil {
		return nil, &switchboard.SendError{Message: "twilio: the api_base_url is not a valid URL"}
	}
	req.SetBasicAuth(sid, token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// isMessagingService reports whether from is a Messaging Service SID
// (MG and 32 hex digits) rather than an address.
func isMessagingService(from string) bool {
	hex, ok := strings.CutPrefix(from, "MG")
	return ok && len(hex) == 32 && strings.Trim(strings.ToLower(hex), "0123456789abcdef") == ""
}

// readSid reads the answer: the Message's sid on success, else a
// *switchboard.SendError.
func (a *Adapter) readSid(resp *http.Response, raw []byte) (string, error) {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		var m messageResource
		if json.Unmarshal(raw, &m) != nil || m.Sid == "" {
			// Twilio may have queued it: not retryable.
			return "", &switchboard.SendError{StatusCode: resp.StatusCode, Message: "twilio: the answer has no message sid"}
		}
		return m.Sid, nil
	}
	var e apiError
	json.Unmarshal(raw, &e)
	se := &switchboard.SendError{StatusCode: resp.StatusCode, Message: e.text(resp.StatusCode)}
	if wire.RetryableStatus(resp.StatusCode) {
		se.Retryable = true
		se.RetryAfter = wire.RetryAfter(resp.Header.Get("Retry-After"), a.now())
	}
	return "", se
}

// text is Twilio's message with its error code, or the HTTP status text.
func (e *apiError) text(status int) string {
	msg := strings.TrimSpace(e.Message)
	switch {
	case msg == "" && e.Code == 0:
		return http.StatusText(status)
	case msg == "":
		return "Twilio error " + strconv.Itoa(e.Code)
	case e.Code == 0:
		return msg
	}
	return msg + " (Twilio error " + strconv.Itoa(e.Code) + ")"
}
