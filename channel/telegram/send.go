package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/wire"
)

// allowedUpdates are the update kinds HandleHook stores; Register asks
// Telegram for these only.
var allowedUpdates = []string{"message", "edited_message", "channel_post", "edited_channel_post", "callback_query"}

type sendMessageRequest struct {
	ChatID          any    `json:"chat_id"` // integer id, or "@channelusername"
	Text            string `json:"text"`
	MessageThreadID int64  `json:"message_thread_id,omitempty"`
}

type setWebhookRequest struct {
	URL            string   `json:"url"`
	SecretToken    string   `json:"secret_token"`
	AllowedUpdates []string `json:"allowed_updates"`
}

// apiResponse is the envelope of every Bot API answer.
type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// Send posts msg with sendMessage and returns Telegram's message_id.
func (a *Adapter) Send(ctx context.Context, ch *switchboard.Channel, msg *switchboard.OutboundMessage) (string, error) {
	target := msg.Thread
	if target == "" {
		target = msg.To
	}
	if target == "" {
		return "", &switchboard.SendError{Message: "telegram: the message has no recipient"}
	}
	chatID, threadID := parseTarget(target)
	req := sendMessageRequest{ChatID: chatID, Text: msg.Text, MessageThreadID: threadID}
	var sent struct {
		MessageID int64 `json:"message_id"`
	}
	if err := a.call(ctx, ch, "sendMessage", req, &sent); err != nil {
		return "", err
	}
	return strconv.FormatInt(sent.MessageID, 10), nil
}

// Register points the bot's webhook at webhookURL with setWebhook. A
// refusal by Telegram (bad token, URL not HTTPS, ...) is an invalid_request
// error carrying Telegram's description; network and server failures are
// *switchboard.SendError.
func (a *Adapter) Register(ctx context.Context, ch *switchboard.Channel, webhookURL string) error {
	secret := ch.Setting("secret_token")
	if secret == "" {
		return switchboard.Invalid("config.secret_token", "is required to register the webhook: unauthenticated Telegram hooks are rejected")
	}
	if ch.Setting("bot_token") == "" {
		return switchboard.Invalid("config.bot_token", "is required to register the webhook")
	}
	req := setWebhookRequest{URL: webhookURL, SecretToken: secret, AllowedUpdates: allowedUpdates}
	err := a.call(ctx, ch, "setWebhook", req, nil)
	var se *switchboard.SendError
	if errors.As(err, &se) && !se.Retryable && se.StatusCode >= 400 && se.StatusCode < 500 {
		return switchboard.Errorf(switchboard.EInvalid, "Telegram refused setWebhook: %s", se.Text())
	}
	return err
}

// parseTarget splits "chat_id[:message_thread_id]". A chat that is not a
// number ("@channelusername") is sent as a string.
func parseTarget(target string) (chatID any, threadID int64) {
	chat, topic, _ := strings.Cut(target, ":")
	threadID, _ = strconv.ParseInt(topic, 10, 64)
	if id, err := strconv.ParseInt(chat, 10, 64); err == nil {
		return id, threadID
	}
	return chat, threadID
}

// call invokes a Bot API method and decodes its result into result (nil:
// discard). Every error is a *switchboard.SendError whose message never
// contains the URL, which holds the bot token.
func (a *Adapter) call(ctx context.Context, ch *switchboard.Channel, method string, payload, result any) error {
	token := ch.Setting("bot_token")
	if token == "" {
		return &switchboard.SendError{Message: "telegram: the channel has no bot_token"}
	}
	body, err := wire.JSON(payload)
	if err != nil {
		return &switchboard.SendError{Message: "telegram: " + err.Error()}
	}
	endpoint := strings.TrimRight(ch.APIBaseURL(DefaultBaseURL), "/") + "/bot" + token + "/" + method
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return &switchboard.SendError{Message: "telegram: the api_base_url is not a valid URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, raw, err := wire.Do(a.client, "telegram", req)
	if err != nil {
		return err
	}
	return decodeResponse(resp, raw, result)
}

// decodeResponse reads the envelope; anything but ok:true is an error.
func decodeResponse(resp *http.Response, raw []byte, result any) error {
	var r apiResponse
	jsonErr := json.Unmarshal(raw, &r)
	if jsonErr != nil || !r.OK || resp.StatusCode >= 300 {
		return apiError(resp, &r, jsonErr != nil)
	}
	if result != nil && json.Unmarshal(r.Result, result) != nil {
		return &switchboard.SendError{StatusCode: resp.StatusCode, Message: "telegram: unreadable result"}
	}
	return nil
}

// apiError classifies a failed call: 429 and 5xx are retryable.
func apiError(resp *http.Response, r *apiResponse, unreadable bool) *switchboard.SendError {
	code := r.ErrorCode
	if code == 0 {
		code = resp.StatusCode
	}
	e := &switchboard.SendError{StatusCode: resp.StatusCode, Message: r.Description}
	if e.Message == "" && unreadable {
		e.Message = "unreadable answer from the Bot API"
	} else if e.Message == "" {
		e.Message = http.StatusText(code)
	}
	switch {
	case code == http.StatusTooManyRequests || resp.StatusCode == http.StatusTooManyRequests:
		e.Retryable = true
		e.RetryAfter = retryAfter(r, resp.Header)
	case code >= 500:
		e.Retryable = true
	}
	return e
}

// retryAfter is parameters.retry_after, else the Retry-After header, in
// seconds.
func retryAfter(r *apiResponse, h http.Header) time.Duration {
	secs := r.Parameters.RetryAfter
	if secs <= 0 {
		secs, _ = strconv.Atoi(h.Get("Retry-After"))
	}
	return time.Duration(max(secs, 0)) * time.Second
}
