// Package webhook is the bot engine whose logic lives in the customer's own
// service. For each inbound text message of a conversation the bot answers,
// it POSTs to the bot's config.url:
//
//	{"bot_id": "bot_…", "attempt": 1,
//	 "message": {Message}, "conversation": {Conversation}, "contact": {Contact}}
//
// signed like every outbound webhook (Standard Webhooks): webhook-id is the
// inbound message's id, the same on every attempt, so the service can drop
// repeats; webhook-timestamp, webhook-signature ("v1," + base64 HMAC-SHA256
// of "{id}.{timestamp}.{body}" under the bot's whsec_ secret), X-Signature
// ("sha256=" + hex HMAC of the body), X-Attempt, X-Idempotency-Key (the
// message id) and User-Agent Switchboard/<version>. The secret is the
// bot's config.secret, generated on create when none is given and shown
// once in the create response.
//
// The service answers:
//
//	200 {"replies": [{"text": "…"}, …], "handoff": false}
//	    the replies are sent at once, in order; "handoff": true hands the
//	    conversation to agents. An empty body is no reply.
//	202 (or any other 2xx)
//	    no reply now: the service replies later with
//	    POST /api/v1/conversations/{id}/messages {"text", "sender": "bot"}.
//
// Anything else (another status, a timeout, a network error) is retried on
// the pipeline's bot schedule, honouring Retry-After; when the attempts run
// out the turn ends with a bot.error event (the inbound message itself is
// stored whatever happens). A 200 whose body is not of that shape, and a
// URL that resolves to a refused address, fail at once.
//
// The URL is the customer's: give New the SSRF-safe client of package
// egress.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/retry"
	"github.com/switchboardhq/switchboard/telemetry"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// maxAnswer bounds the answer read from the service; maxQuoted the part of
// a refusal quoted in the error.
const (
	maxAnswer = 1 << 20
	maxQuoted = 512
)

// ErrDryRun refuses a dry run (POST /bots/{id}/parse): the answer is the
// service's, and calling it with a message that was never received could
// make it act (reply later through the API, record it).
var ErrDryRun = &sb.Error{Code: sb.EInvalid, Message: "The request is invalid.", Fields: []sb.FieldError{{Field: "engine",
	Message: "a webhook bot answers from its own service, which parse does not call: send it a test message instead"}}}

// Engine is the webhook engine. It is stateless and safe for concurrent use.
type Engine struct {
	client    *http.Client
	userAgent string
	now       func() time.Time
}

var (
	_ sb.BotEngine       = (*Engine)(nil)
	_ sb.SecretGenerator = (*Engine)(nil)
	_ sb.OutboundURLs    = (*Engine)(nil)
)

// New returns the engine, calling out with client (nil: an egress client
// that refuses private addresses) and the given version in User-Agent.
func New(client *http.Client, version string) *Engine {
	if client == nil {
		client = egress.NewClient(egress.Policy{}, 0)
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Engine{client: &c, userAgent: "Switchboard/" + version, now: time.Now}
}

// Config is the configuration of a webhook bot. Secret (the whsec_ key
// that signs the calls) is secret: ParseConfig moves it to the bot's
// secrets, and GenerateSecrets makes one on create when none is given.
type Config struct {
	URL    string `json:"url"`
	Secret string `json:"secret,omitempty"`
}

// Name returns "webhook".
func (e *Engine) Name() string { return sb.EngineWebhook }

// ParseConfig validates a webhook bot's configuration: url an absolute
// http(s) URL, secret (if given) a whsec_ secret.
func (e *Engine) ParseConfig(raw json.RawMessage) (json.RawMessage, map[string]string, error) {
	var c Config
	if err := sb.DecodeConfig(raw, &c); err != nil {
		return nil, nil, err
	}
	var v sb.Validation
	if msg := sb.CheckHTTPURL(c.URL); msg != "" {
		v.Add("config.url", msg)
	}
	if c.Secret != "" && !validSecret(c.Secret) {
		v.Add("config.secret", "must be whsec_ followed by base64")
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	var secrets map[string]string
	if c.Secret != "" {
		secrets = map[string]string{"secret": c.Secret}
	}
	c.Secret = ""
	out, err := json.Marshal(c)
	return out, secrets, err
}

// OutboundURLs returns the url of a configuration as sent, when it is an
// absolute http(s) URL, so that the API can check it against the address
// policy.
func (e *Engine) OutboundURLs(raw json.RawMessage) map[string]string {
	var c struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(raw, &c) != nil || sb.CheckHTTPURL(c.URL) != "" {
		return nil
	}
	return map[string]string{"config.url": c.URL}
}

// validSecret reports whether s is "whsec_" followed by non-empty standard
// base64.
func validSecret(s string) bool {
	_, err := signature.Key(s)
	return err == nil && strings.HasPrefix(s, signature.SecretPrefix)
}

// GenerateSecrets makes the signing secret of a bot created without one;
// it is shown once.
func (e *Engine) GenerateSecrets(secrets map[string]string) map[string]string {
	if secrets["secret"] != "" {
		return nil
	}
	secrets["secret"] = signature.NewSecret()
	return map[string]string{"secret": secrets["secret"]}
}

// request is the body POSTed to the service.
type request struct {
	BotID        string           `json:"bot_id"`
	Attempt      int              `json:"attempt"`
	Message      *sb.Message      `json:"message"`
	Conversation *sb.Conversation `json:"conversation"`
	Contact      *sb.Contact      `json:"contact"`
}

// answer is the body of a 200.
type answer struct {
	Replies []struct {
		Text string `json:"text"`
	} `json:"replies"`
	Handoff bool `json:"handoff"`
}

// Reply calls the bot's service.
func (e *Engine) Reply(ctx context.Context, t *sb.BotTurn) (*sb.BotAnswer, error) {
	if t.DryRun { // the service would act on a message that does not exist
		return nil, ErrDryRun
	}
	req, err := e.newRequest(ctx, t)
	if err != nil {
		return nil, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		if errors.Is(err, egress.ErrBlocked) {
			return nil, sb.ReplyErrorf(false, "webhook bot: %s (set SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true to allow private addresses)", unwrapURL(err))
		}
		return nil, sb.ReplyErrorf(true, "webhook bot: %s", unwrapURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, sb.ReplyErrorf(true, "webhook bot: reading the answer: %s", unwrapURL(err))
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return decodeAnswer(body)
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return &sb.BotAnswer{}, nil // replies come later, through the API
	}
	re := sb.ReplyErrorf(true, "webhook bot: %s answered %d%s", req.URL.Host, resp.StatusCode, quote(body))
	if ra, ok := retry.RetryAfter(resp.Header, e.now()); ok {
		re.RetryAfter = ra
	}
	return nil, re
}

// newRequest builds the signed POST.
func (e *Engine) newRequest(ctx context.Context, t *sb.BotTurn) (*http.Request, error) {
	var cfg Config
	if err := json.Unmarshal(t.Bot.Config, &cfg); err != nil || cfg.URL == "" {
		return nil, sb.ReplyErrorf(false, "webhook bot: the bot's configuration has no url")
	}
	key, err := signature.Key(t.Bot.Secrets["secret"])
	if err != nil {
		return nil, sb.ReplyErrorf(false, "webhook bot: the bot has no whsec_ signing secret; set config.secret with PUT /api/v1/bots/{id}/config")
	}
	body, err := json.Marshal(request{BotID: t.Bot.ID, Attempt: t.Attempt, Message: t.Message,
		Conversation: t.Conversation, Contact: t.Contact})
	if err != nil {
		return nil, sb.ReplyErrorf(false, "webhook bot: %s", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, sb.ReplyErrorf(false, "webhook bot: the url is not valid: %s", err)
	}
	id := t.Message.ID
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", e.userAgent)
	signature.SetHeaders(req.Header, [][]byte{key}, id, e.now(), body)
	req.Header.Set("X-Signature", signature.BodySignature(key, body))
	req.Header.Set("X-Attempt", strconv.Itoa(max(t.Attempt, 1)))
	req.Header.Set("X-Idempotency-Key", id)
	telemetry.SetHeader(ctx, req.Header) // the bot turn's trace, for the bot's own tracing
	return req, nil
}

// decodeAnswer reads a 200 body: {"replies": [{"text"}], "handoff"}; an
// empty body is no reply.
func decodeAnswer(body []byte) (*sb.BotAnswer, error) {
	if len(body) > maxAnswer {
		return nil, sb.ReplyErrorf(false, "webhook bot: the answer is larger than %d bytes", maxAnswer)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &sb.BotAnswer{}, nil
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, sb.ReplyErrorf(false, `webhook bot: the 200 answer is not {"replies": [{"text": "…"}]}: %s`, err)
	}
	out := &sb.BotAnswer{Handoff: a.Handoff}
	for _, r := range a.Replies {
		out.Replies = append(out.Replies, r.Text)
	}
	return out, nil
}

// quote is ": " and the start of a body, for errors.
func quote(body []byte) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(body[:min(len(body), maxQuoted)]), ""))
	if s == "" {
		return ""
	}
	return ": " + s
}

// unwrapURL drops the "Post <url>:" prefix of client errors.
func unwrapURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
