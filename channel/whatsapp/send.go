package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/wire"
)

// maxResponse bounds how much of a Graph API answer is read.
const maxResponse = 1 << 20

// retryCodes are the Graph API error codes worth trying again later: the
// temporary outages (1, 2, 131000 "something went wrong", 131016 "service
// unavailable") and the rate limits: application (4), user (17), page (32),
// custom (613), WhatsApp Business Account (80007), Cloud API throughput
// (130429) and the per-recipient pair limit (131056).
var retryCodes = map[int]bool{
	1: true, 2: true, 131000: true, 131016: true,
	4: true, 17: true, 32: true, 613: true, 80007: true, 130429: true, 131056: true,
}

type sendRequest struct {
	MessagingProduct string   `json:"messaging_product"`
	RecipientType    string   `json:"recipient_type"`
	To               string   `json:"to,omitempty"`
	Recipient        string   `json:"recipient,omitempty"`
	Type             string   `json:"type"`
	Text             bodyPart `json:"text"`
}

type sendResponse struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
	Error *graphError `json:"error"`
}

// graphError is the error object of every Graph API refusal. error_data is
// an object with details for messaging errors and a plain string for some
// others, so it stays raw.
type graphError struct {
	Message     string          `json:"message"`
	Code        int             `json:"code"`
	IsTransient bool            `json:"is_transient"`
	ErrorData   json.RawMessage `json:"error_data"`
}

// Send posts msg as a text message and returns its wamid.
func (a *Adapter) Send(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (string, error) {
	req, err := newSendRequest(ctx, ch, msg)
	if err != nil {
		return "", err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return "", wire.NetworkError("whatsapp", err)
	}
	defer resp.Body.Close()
	return a.readID(resp)
}

// newSendRequest builds the call; its errors are not retryable.
func newSendRequest(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (*http.Request, error) {
	token, phoneID := ch.Setting("access_token"), ch.Setting("phone_number_id")
	switch {
	case token == "":
		return nil, &switchboard.SendError{Message: "whatsapp: the channel has no access_token"}
	case phoneID == "":
		return nil, &switchboard.SendError{Message: "whatsapp: the channel has no phone_number_id"}
	case msg.To == "":
		return nil, &switchboard.SendError{Message: "whatsapp: the message has no recipient"}
	}
	payload := sendRequest{MessagingProduct: "whatsapp", RecipientType: "individual", Type: "text", Text: bodyPart{Body: msg.Text}}
	if isDigits(strings.TrimPrefix(msg.To, "+")) {
		payload.To = msg.To
	} else {
		payload.Recipient = msg.To // a business-scoped user id
	}
	body, err := wire.JSON(payload)
	if err != nil {
		return nil, &switchboard.SendError{Message: "whatsapp: " + err.Error()}
	}
	endpoint := strings.TrimRight(ch.APIBaseURL(DefaultBaseURL), "/") + "/" + APIVersion + "/" + url.PathEscape(phoneID) + "/messages"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, &switchboard.SendError{Message: "whatsapp: the api_base_url is not a valid URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	return req, nil
}

// readID reads the answer: messages[0].id on success, else a
// *switchboard.SendError.
func (a *Adapter) readID(resp *http.Response) (string, error) {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", wire.NetworkError("whatsapp", err)
	}
	var r sendResponse
	jsonErr := json.Unmarshal(raw, &r)
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if ok && jsonErr == nil && r.Error == nil {
		if len(r.Messages) == 0 || r.Messages[0].ID == "" {
			// Meta may have sent it: not retryable.
			return "", &switchboard.SendError{StatusCode: resp.StatusCode, Message: "whatsapp: the answer has no message id"}
		}
		return r.Messages[0].ID, nil
	}
	if ok && jsonErr != nil {
		return "", &switchboard.SendError{StatusCode: resp.StatusCode, Message: "whatsapp: unreadable answer"}
	}
	return "", a.apiError(resp, r.Error)
}

// apiError classifies a refusal: 429, 5xx, transient errors and rate
// limits are retryable, the rest final.
func (a *Adapter) apiError(resp *http.Response, g *graphError) *switchboard.SendError {
	if g == nil {
		g = &graphError{}
	}
	e := &switchboard.SendError{StatusCode: resp.StatusCode, Message: g.text()}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || g.IsTransient || retryCodes[g.Code] {
		e.Retryable = true
		e.RetryAfter = wire.RetryAfter(resp.Header.Get("Retry-After"), a.now())
	}
	return e
}

// text is Meta's message followed by error_data.details when it adds
// something.
func (g *graphError) text() string {
	var data struct {
		Details string `json:"details"`
	}
	if json.Unmarshal(g.ErrorData, &data) != nil {
		json.Unmarshal(g.ErrorData, &data.Details)
	}
	msg := strings.TrimSpace(g.Message)
	d := strings.TrimSpace(data.Details)
	// "(#131030) Recipient … list" with details "Recipient … list: Add …"
	// reads best as "(#131030) Recipient … list: Add …".
	code, short := "", msg
	if strings.HasPrefix(msg, "(#") {
		if i := strings.Index(msg, ") "); i > 0 {
			code, short = msg[:i+2], msg[i+2:]
		}
	}
	switch {
	case d == "" || d == msg || d == short:
		return msg
	case msg == "":
		return d
	case short != "" && strings.HasPrefix(d, short):
		return code + d
	}
	return msg + ": " + d
}
