// Package llm is the bot engine whose answers come from a language model
// behind an OpenAI-compatible chat-completions endpoint: OpenAI itself,
// Ollama (http://localhost:11434/v1), vLLM, llama.cpp's server. For each
// inbound text message it POSTs {base_url}/chat/completions with:
//
//   - the bot's system_prompt (a system message);
//   - the conversation's last `history` messages up to the one answered,
//     inbound ones as user messages, the bot's and agents' as assistant
//     messages;
//   - the enabled tools as function definitions with the JSON Schema of
//     their arguments: knowledge (look facts up for the contact and the
//     workspace), handoff (pass the conversation to agents, with a reason),
//     contact (change the contact's name, email, phone or attributes) and
//     one per integration action the configuration names
//     ("int_…:ACTION", with that action's parameter schema);
//   - temperature and max_tokens.
//
// When the model calls tools (finish_reason "tool_calls"), the engine runs
// them and calls the model again with their results, for at most MaxRounds
// rounds; the next call then asks for an answer (tool_choice "none"). The
// model's text is the reply; an empty one sends nothing. Each tool call, its
// arguments and its result (or error) are returned with the answer, with
// the model's name and the tokens spent, and the pipeline records them on
// the turn (GET /conversations/{id}/turns) and counts the tokens in
// /metrics.
//
// Arguments that are not valid (not JSON, missing fields, params that do
// not fit an action's schema, an unknown tool) are answered to the model
// with the validation error, once per turn; a second invalid call fails the
// turn (bot.error). A call to the model that fails with a network error, a
// timeout, a 429 (honouring Retry-After) or a 5xx is retried by the
// pipeline on the bot retry schedule, then bot.error; other refusals (a
// wrong key, an unknown model) fail the turn at once. Integration actions
// started by a turn run once per (inbound message, call) however often the
// turn runs (see switchboard.TurnTools.RunAction).
//
// The API key (config.api_key) is a secret: stored sealed, never returned,
// sent only in the Authorization header, and masked in errors. The user's
// text only ever goes to the model: nothing the model answers is read as a
// placeholder or an instruction to Switchboard (tool arguments holding
// "{{" are refused).
//
// In a dry run (POST /bots/{id}/parse) the model is called as for a turn;
// knowledge lookups run, and tools that change something (handoff, contact,
// actions) are checked and described to the model and in the answer, not
// run.
//
// The engine is slow by nature (a model takes seconds): it implements
// switchboard.SlowReplier, and the pipeline runs its turns outside its
// worker slots, so that slow models do not hold back other bots' turns.
package llm

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
)

// Limits of the configuration and of a turn.
const (
	DefaultHistory   = 20
	MaxHistory       = 100
	DefaultMaxTokens = 1024
	MaxMaxTokens     = 128_000
	MaxSystemPrompt  = 50_000
	// MaxRounds bounds the rounds of tool calls in one turn.
	MaxRounds = 5
	// MaxToolCalls bounds the tool calls of one turn, all rounds together.
	MaxToolCalls = 20
)

// Built-in tools.
const (
	ToolKnowledge = "knowledge"
	ToolHandoff   = "handoff"
	ToolContact   = "contact"
)

// Engine is the llm engine. It is stateless and safe for concurrent use.
type Engine struct {
	client    *http.Client
	userAgent string
	now       func() time.Time
	// ActionWait bounds the wait for an integration action's outcome
	// before the model is told it is still running.
	actionWait time.Duration
}

var (
	_ sb.BotEngine    = (*Engine)(nil)
	_ sb.OutboundURLs = (*Engine)(nil)
	_ sb.SlowReplier  = (*Engine)(nil)
)

// DefaultActionWait is how long a turn waits for an action's outcome.
const DefaultActionWait = 10 * time.Second

// New returns the engine, calling models with client (nil: an egress
// client that refuses private addresses) and the given version in
// User-Agent.
func New(client *http.Client, version string) *Engine {
	if client == nil {
		client = egress.NewClient(egress.Policy{}, 0)
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Engine{client: &c, userAgent: "Switchboard/" + version, now: time.Now, actionWait: DefaultActionWait}
}

// WithActionWait returns a copy of the engine that waits d for an action's
// outcome (for tests).
func (e *Engine) WithActionWait(d time.Duration) *Engine {
	c := *e
	c.actionWait = d
	return &c
}

// Config is the configuration of an llm bot. APIKey is secret: ParseConfig
// moves it to the bot's secrets.
type Config struct {
	BaseURL      string   `json:"base_url"`
	Model        string   `json:"model"`
	APIKey       string   `json:"api_key,omitempty"`
	SystemPrompt string   `json:"system_prompt"`
	Temperature  *float64 `json:"temperature"`
	MaxTokens    int      `json:"max_tokens"`
	History      int      `json:"history"`
	Tools        []string `json:"tools"`
}

// Name returns "llm".
func (e *Engine) Name() string { return sb.EngineLLM }

// SlowReplies marks the engine as slow (switchboard.SlowReplier).
func (e *Engine) SlowReplies() {}

// ParseConfig validates an llm bot's configuration: base_url an absolute
// http(s) URL, model required, temperature 0 to 2, max_tokens 1 to
// MaxMaxTokens (default DefaultMaxTokens), history 1 to MaxHistory
// (default DefaultHistory), tools each known and given once. Whether an
// "int_…:ACTION" tool names an integration of the workspace and one of its
// actions is the API's to check.
func (e *Engine) ParseConfig(raw json.RawMessage) (json.RawMessage, map[string]string, error) {
	var c Config
	if len(raw) > 0 && string(raw) != "null" {
		var probe map[string]json.RawMessage
		if json.Unmarshal(raw, &probe) == nil {
			// max_tokens and history default when absent or null, not when 0.
			if v, ok := probe["max_tokens"]; !ok || string(v) == "null" {
				c.MaxTokens = DefaultMaxTokens
			}
			if v, ok := probe["history"]; !ok || string(v) == "null" {
				c.History = DefaultHistory
			}
		}
	} else {
		c.MaxTokens, c.History = DefaultMaxTokens, DefaultHistory
	}
	if err := sb.DecodeConfig(raw, &c); err != nil {
		return nil, nil, err
	}
	var v sb.Validation
	if msg := sb.CheckHTTPURL(c.BaseURL); msg != "" {
		v.Add("config.base_url", msg)
	}
	if c.Model == "" || len(c.Model) > 200 || strings.ContainsFunc(c.Model, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		v.Add("config.model", "is required: the model's name, at most 200 characters")
	}
	if len(c.SystemPrompt) > MaxSystemPrompt {
		v.Addf("config.system_prompt", "must be at most %d bytes", MaxSystemPrompt)
	}
	if c.Temperature != nil && (*c.Temperature < 0 || *c.Temperature > 2) {
		v.Add("config.temperature", "must be from 0 to 2")
	}
	if c.MaxTokens < 1 || c.MaxTokens > MaxMaxTokens {
		v.Addf("config.max_tokens", "must be from 1 to %d", MaxMaxTokens)
	}
	if c.History < 1 || c.History > MaxHistory {
		v.Addf("config.history", "must be from 1 to %d", MaxHistory)
	}
	if len(c.APIKey) > 1000 || strings.ContainsFunc(c.APIKey, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		v.Add("config.api_key", "must be at most 1000 characters, without spaces")
	}
	seen := map[string]bool{}
	for i, t := range c.Tools {
		f := "config.tools[" + strconv.Itoa(i) + "]"
		if _, _, ok := ParseActionTool(t); !ok && t != ToolKnowledge && t != ToolHandoff && t != ToolContact {
			v.Add(f, `must be knowledge, handoff, contact or "int_<integration id>:<action>"`)
			continue
		}
		if seen[t] {
			v.Add(f, "is given twice")
		}
		seen[t] = true
	}
	if len(c.Tools) > 64 {
		v.Add("config.tools", "must have at most 64 tools")
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	var secrets map[string]string
	if c.APIKey != "" {
		secrets = map[string]string{"api_key": c.APIKey}
	}
	c.APIKey = ""
	if c.Tools == nil {
		c.Tools = []string{}
	}
	out, err := json.Marshal(c)
	return out, secrets, err
}

// ParseActionTool splits an action tool, "int_<integration id>:<action>",
// into the integration's id and the action's name.
func ParseActionTool(tool string) (integrationID, action string, ok bool) {
	id, action, found := strings.Cut(tool, ":")
	if !found || !sb.HasPrefix(id, sb.PrefixIntegration) || action == "" || len(action) > 100 ||
		strings.ContainsFunc(action, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", "", false
	}
	return id, action, true
}

// OutboundURLs returns the base_url of a configuration as sent, when it is
// an absolute http(s) URL, so that the API checks it against the address
// policy.
func (e *Engine) OutboundURLs(raw json.RawMessage) map[string]string {
	var c struct {
		BaseURL string `json:"base_url"`
	}
	if json.Unmarshal(raw, &c) != nil || sb.CheckHTTPURL(c.BaseURL) != "" {
		return nil
	}
	return map[string]string{"config.base_url": c.BaseURL}
}

// Reply asks the model, running the tools it calls.
func (e *Engine) Reply(ctx context.Context, t *sb.BotTurn) (*sb.BotAnswer, error) {
	var cfg Config
	if err := json.Unmarshal(t.Bot.Config, &cfg); err != nil || cfg.BaseURL == "" || cfg.Model == "" {
		return nil, sb.ReplyErrorf(false, "llm bot: the bot's configuration has no base_url or model")
	}
	if cfg.History < 1 {
		cfg.History = DefaultHistory
	}
	key := t.Bot.Secrets["api_key"]
	msgs, err := e.prompt(ctx, t, &cfg)
	if err != nil {
		return nil, err
	}
	tools, err := e.toolSet(ctx, t, &cfg)
	if err != nil {
		return nil, err
	}
	turn := &turnState{e: e, t: t, tools: tools, answer: &sb.BotAnswer{Model: cfg.Model, ToolCalls: []sb.ToolCall{}}}
	req := &Request{Model: cfg.Model, Messages: msgs, Tools: tools.defs, Temperature: cfg.Temperature, MaxTokens: cfg.MaxTokens}
	for round := 0; ; round++ {
		if round == MaxRounds {
			req.ToolChoice = "none" // enough tools: answer now
		}
		resp, err := e.complete(ctx, cfg.BaseURL, key, req)
		if err != nil {
			return nil, turn.failed(err)
		}
		turn.answer.PromptTokens += resp.Usage.PromptTokens
		turn.answer.CompletionTokens += resp.Usage.CompletionTokens
		if resp.Model != "" {
			turn.answer.Model = resp.Model
		}
		m := resp.Choices[0].Message
		if round == MaxRounds && m.Content != nil && strings.TrimSpace(*m.Content) != "" {
			m.ToolCalls = nil // a server that ignores tool_choice: its text is the answer
		}
		if len(m.ToolCalls) == 0 {
			if m.Content != nil && strings.TrimSpace(*m.Content) != "" {
				turn.answer.Replies = []string{strings.TrimSpace(*m.Content)}
			}
			return turn.answer, nil
		}
		if round == MaxRounds {
			return nil, turn.failed(sb.ReplyErrorf(false, "llm bot: the model kept calling tools after %d rounds", MaxRounds))
		}
		req.Messages = append(req.Messages, Message{Role: "assistant", Content: m.Content, ToolCalls: m.ToolCalls})
		for _, c := range m.ToolCalls {
			result, err := turn.call(ctx, c)
			if err != nil {
				return nil, turn.failed(err)
			}
			req.Messages = append(req.Messages, Message{Role: "tool", ToolCallID: c.ID, Content: &result})
		}
	}
}

// prompt is the system prompt and the conversation's last messages.
func (e *Engine) prompt(ctx context.Context, t *sb.BotTurn, cfg *Config) ([]Message, error) {
	var msgs []Message
	if cfg.SystemPrompt != "" {
		sp := cfg.SystemPrompt
		msgs = append(msgs, Message{Role: "system", Content: &sp})
	}
	history := []*sb.Message{t.Message}
	if t.Tools != nil {
		h, err := t.Tools.History(ctx, cfg.History)
		if err != nil {
			return nil, sb.ReplyErrorf(true, "llm bot: reading the conversation: %s", err)
		}
		if len(h) > 0 {
			history = h
		}
	}
	for _, m := range history {
		text := strings.TrimSpace(m.Text)
		if text == "" {
			continue
		}
		role := "assistant"
		if m.Direction == sb.DirectionInbound {
			role = "user"
		}
		msgs = append(msgs, Message{Role: role, Content: &text})
	}
	return msgs, nil
}
