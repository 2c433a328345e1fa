package messenger

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
// temporary failures (1 unknown error, 2 service unavailable, 1200
// temporary send failure) and the rate limits: application (4), user (17),
// page (32) and custom (613).
var retryCodes = map[int]bool{1: true, 2: true, 1200: true, 4: true, 17: true, 32: true, 613: true}

type sendRequest struct {
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	MessagingType string `json:"messaging_type"`
	Message       struct {
		Text string `json:"text"`
	} `json:"message"`
}

type sendResponse struct {
	RecipientID string      `json:"recipient_id"`
	MessageID   string      `json:"message_id"`
	Error       *graphError `json:"error"`
}

// graphError is the error object of every Graph API refusal.
type graphError struct {
	Message     string `json:"message"`
	Code        int    `json:"code"`
	IsTransient bool   `json:"is_transient"`
}

// Send posts msg as a text message and returns its message_id.
func (a *Adapter) Send(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (string, error) {
	req, err := newSendRequest(ctx, ch, msg)
	if err != nil {
		return "", err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return "", wire.NetworkError("messenger", err)
	}
	defer resp.Body.Close()
	return a.readID(resp)
}

// newSendRequest builds the call; its errors are not retryable and never
// contain the URL, which holds the token.
func newSendRequest(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (*http.Request, error) {
	token := ch.Setting("page_access_token")
	switch {
	case token == "":
		return nil, &switchboard.SendError{Message: "messenger: the channel has no page_access_token"}
	case msg.To == "":
		return nil, &switchboard.SendError{Message: "messenger: the message has no recipient"}
	}
	var payload sendRequest
	payload.Recipient.ID = msg.To
	payload.MessagingType = "RESPONSE"
	payload.Message.Text = msg.Text
	body, err := wire.JSON(payload)
	if err != nil {
		return nil, &switchboard.SendError{Message: "messenger: " + err.Error()}
	}
	endpoint := strings.TrimRight(ch.APIBaseURL(DefaultBaseURL), "/") + "/" + APIVersion + "/me/messages?" +
		url.Values{"access_token": {token}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, &switchboard.SendError{Message: "messenger: the api_base_url is not a valid URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// readID reads the answer: the message_id on success, else a
// *switchboard.SendError.
func (a *Adapter) readID(resp *http.Response) (string, error) {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", wire.NetworkError("messenger", err)
	}
	var r sendResponse
	jsonErr := json.Unmarshal(raw, &r)
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if ok && jsonErr == nil && r.Error == nil {
		if r.MessageID == "" {
			// Meta may have sent it: not retryable.
			return "", &switchboard.SendError{StatusCode: resp.StatusCode, Message: "messenger: the answer has no message_id"}
		}
		return r.MessageID, nil
	}
	if ok && jsonErr != nil {
		return "", &switchboard.SendError{StatusCode: resp.StatusCode, Message: "messenger: unreadable answer"}
	}
	return "", a.apiError(resp, r.Error)
}

// apiError classifies a refusal: 429, 5xx, transient errors and rate
// limits are retryable, the rest final.
func (a *Adapter) apiError(resp *http.Response, g *graphError) *switchboard.SendError {
	if g == nil {
		g = &graphError{}
	}
	e := &switchboard.SendError{StatusCode: resp.StatusCode, Message: strings.TrimSpace(g.Message)}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || g.IsTransient || retryCodes[g.Code] {
		e.Retryable = true
		e.RetryAfter = wire.RetryAfter(resp.Header.Get("Retry-After"), a.now())
	}
	return e
}
