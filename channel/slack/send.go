package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/wire"
)

// retryableErrors are the Web API error strings worth trying again.
var retryableErrors = map[string]bool{
	"ratelimited":         true,
	"rate_limited":        true,
	"service_unavailable": true,
}

type postMessageRequest struct {
	Channel  string `json:"channel"`
	Text     string `json:"text"`
	ThreadTS string `json:"thread_ts,omitempty"`
}

type postMessageResponse struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	TS    string `json:"ts"`
}

// Send posts msg with chat.postMessage and returns its ts.
func (a *Adapter) Send(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (string, error) {
	token := ch.Setting("bot_token")
	if token == "" {
		return "", &switchboard.SendError{Message: "slack: the channel has no bot_token"}
	}
	target := msg.Thread
	if target == "" {
		target = msg.To
	}
	channel, threadTS, _ := strings.Cut(target, ":")
	if channel == "" {
		return "", &switchboard.SendError{Message: "slack: the message has no recipient"}
	}
	req := postMessageRequest{Channel: channel, Text: msg.Text, ThreadTS: threadTS}
	resp, raw, err := a.post(ctx, ch, token, "chat.postMessage", req)
	if err != nil {
		return "", err
	}
	return readTS(resp, raw)
}

// post sends a JSON Web API call with the bot token and reads the answer
// (wire.Do: bounded, redirects refused).
func (a *Adapter) post(ctx context.Context, ch *switchboard.Channel, token, method string, payload any) (*http.Response, []byte, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, nil, &switchboard.SendError{Message: "slack: " + err.Error()}
	}
	endpoint := strings.TrimRight(ch.APIBaseURL(DefaultBaseURL), "/") + "/api/" + method
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, nil, &switchboard.SendError{Message: "slack: the api_base_url is not a valid URL"}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+token)
	return wire.Do(a.client, "slack", req)
}

// readTS reads a chat.postMessage answer: the ts on success, else a
// *switchboard.SendError.
func readTS(resp *http.Response, raw []byte) (string, error) {
	if wire.RetryableStatus(resp.StatusCode) {
		return "", &switchboard.SendError{
			Retryable:  true,
			RetryAfter: retryAfter(resp.Header),
			StatusCode: resp.StatusCode,
			Message:    http.StatusText(resp.StatusCode),
		}
	}
	var r postMessageResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", &switchboard.SendError{StatusCode: resp.StatusCode, Message: "slack: unreadable answer: " + http.StatusText(resp.StatusCode)}
	}
	if !r.OK || resp.StatusCode >= 300 {
		return "", apiError(resp, r.Error)
	}
	return r.TS, nil
}

// apiError is an ok:false answer; only rate limiting and outages retry.
func apiError(resp *http.Response, code string) *switchboard.SendError {
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	e := &switchboard.SendError{StatusCode: resp.StatusCode, Message: code}
	if retryableErrors[code] {
		e.Retryable = true
		e.RetryAfter = retryAfter(resp.Header)
	}
	return e
}

// retryAfter reads Retry-After in seconds (Slack's form).
func retryAfter(h http.Header) time.Duration {
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}
