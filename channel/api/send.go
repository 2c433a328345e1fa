package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/wire"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// maxErrorBody bounds how much of a refusal is quoted in the error.
const maxErrorBody = 512

// callbackBody is what the callback URL receives for each reply.
type callbackBody struct {
	MessageID string `json:"message_id"`
	UserID    string `json:"user_id"`
	Text      string `json:"text"`
	Thread    string `json:"thread,omitempty"`
}

// Send POSTs msg, signed, to the channel's callback_url.
func (a *Adapter) Send(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (string, error) {
	req, err := a.newRequest(ctx, ch, msg)
	if err != nil {
		return "", err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		// An address the SSRF guard refuses stays refused until someone
		// changes the callback_url or the policy: trying again cannot help.
		return "", &switchboard.SendError{Retryable: !errors.Is(err, egress.ErrBlocked), Message: "api: " + err.Error()}
	}
	defer resp.Body.Close()
	if err := a.check(resp); err != nil {
		return "", err
	}
	return msg.MessageID, nil
}

// newRequest builds the signed callback; its errors are not retryable.
func (a *Adapter) newRequest(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (*http.Request, error) {
	target := ch.Setting("callback_url")
	if target == "" {
		return nil, &switchboard.SendError{Message: "api: the channel has no callback_url, so replies cannot be delivered"}
	}
	if msg.MessageID == "" {
		return nil, &switchboard.SendError{Message: "api: the message has no id"}
	}
	key, err := signature.Key(ch.Setting("secret"))
	if err != nil {
		return nil, &switchboard.SendError{Message: "api: the channel secret is not a whsec_ secret"}
	}
	body, err := wire.JSON(callbackBody{MessageID: msg.MessageID, UserID: msg.To, Text: msg.Text, Thread: msg.Thread})
	if err != nil {
		return nil, &switchboard.SendError{Message: "api: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, &switchboard.SendError{Message: "api: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", a.userAgent)
	signature.SetHeaders(req.Header, [][]byte{key}, msg.MessageID, a.now(), body)
	req.Header.Set("X-Signature", signature.BodySignature(key, body))
	req.Header.Set("X-Attempt", strconv.Itoa(max(msg.Attempt, 1)))
	return req, nil
}

// check classifies the receiver's answer: 2xx is success, 429 and 5xx are
// retryable, anything else is final.
func (a *Adapter) check(resp *http.Response) error {
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	e := &switchboard.SendError{StatusCode: code, Message: describe(resp, head)}
	if wire.RetryableStatus(code) {
		e.Retryable = true
		e.RetryAfter = wire.RetryAfter(resp.Header.Get("Retry-After"), a.now())
	}
	return e
}

// describe is the status text with the start of the body, or a note that
// a redirect was not followed.
func describe(resp *http.Response, head []byte) string {
	msg := http.StatusText(resp.StatusCode)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return msg + ": redirects are not followed (to " + resp.Header.Get("Location") + ")"
	}
	if s := strings.TrimSpace(strings.ToValidUTF8(string(head), "")); s != "" {
		msg += ": " + s
	}
	return msg
}
