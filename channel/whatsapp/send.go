package whatsapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/meta"
)

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
}

// Send posts msg as a text message and returns its wamid.
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
	if len(r.Messages) == 0 || r.Messages[0].ID == "" {
		// Meta may have sent it: not retryable.
		return "", &switchboard.SendError{StatusCode: status, Message: "whatsapp: the answer has no message id"}
	}
	return r.Messages[0].ID, nil
}

// newSendRequest builds the call; its errors are not retryable.
func (a *Adapter) newSendRequest(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (*http.Request, error) {
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
	req, err := a.graph.NewRequest(ctx, ch, "/"+url.PathEscape(phoneID)+"/messages", payload)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req, nil
}

// errorText is Meta's message followed by error_data.details when it adds
// something.
func errorText(g *meta.GraphError) string {
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
