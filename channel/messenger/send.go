package messenger

import (
	"context"
	"net/http"
	"net/url"

	"github.com/switchboardhq/switchboard"
)

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
	RecipientID string `json:"recipient_id"`
	MessageID   string `json:"message_id"`
}

// Send posts msg as a text message and returns its message_id.
func (a *Adapter) Send(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (string, error) {
	req, err := a.newSendRequest(ctx, ch, msg)
	if err != nil {
		return "", err
	}
	var r sendResponse
	status, err := a.graph.Send(req, &r)
	if err != nil {
		return "", err
	}
	if r.MessageID == "" {
		// Meta may have sent it: not retryable.
		return "", &switchboard.SendError{StatusCode: status, Message: "messenger: the answer has no message_id"}
	}
	return r.MessageID, nil
}

// newSendRequest builds the call; its errors are not retryable and never
// contain the URL, which holds the token.
func (a *Adapter) newSendRequest(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (*http.Request, error) {
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
	return a.graph.NewRequest(ctx, ch, "/me/messages?"+url.Values{"access_token": {token}}.Encode(), payload)
}
