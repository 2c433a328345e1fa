package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/retry"
	"github.com/switchboardhq/switchboard/telemetry"
)

// The chat-completions wire format (OpenAI's, which Ollama, vLLM and
// llama.cpp's server speak too): only the fields Switchboard sends or reads.

// Message is one message of a chat: role system, user, assistant or tool.
// Content is a string; an assistant's message that only calls tools has
// none (null).
type Message struct {
	Role       string     `json:"role"`
	Content    *string    `json:"content"`
	ToolCalls  []WireCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// WireCall is a tool call as the model sends it: function.arguments is a
// JSON object encoded as a string.
type WireCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// Tool is a function the model may call, with the JSON Schema of its
// arguments.
type Tool struct {
	Type     string       `json:"type"` // "function"
	Function ToolFunction `json:"function"`
}

// ToolFunction describes a tool's function.
type ToolFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
}

// Request is the body of POST {base_url}/chat/completions.
type Request struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Tools       []Tool    `json:"tools,omitempty"`
	ToolChoice  string    `json:"tool_choice,omitempty"` // "none": answer now
	Temperature *float64  `json:"temperature,omitempty"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
}

// Response is a 200's body.
type Response struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int     `json:"index"`
		Message      Message `json:"message"`
		FinishReason string  `json:"finish_reason"`
	} `json:"choices"`
	Usage Usage `json:"usage"`
}

// Usage is what a call spent.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// errorBody is the body of a refusal: {"error": {"message", "type", "code"}}.
type errorBody struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    any    `json:"code"`
	} `json:"error"`
}

// maxResponse bounds a response read from the model's server.
const maxResponse = 4 << 20

// complete makes one chat-completions call. Failures are ReplyErrors:
// retryable for network errors, timeouts, 408, 409, 429 and 5xx (with the
// server's Retry-After), final for the rest (a refused key, an unknown
// model, an address the policy refuses). The API key never appears in an
// error: it is not in the URL, and any echo of it in the server's message
// is masked.
func (e *Engine) complete(ctx context.Context, baseURL, apiKey string, body *Request) (*Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, sb.ReplyErrorf(false, "llm bot: encoding the request: %s", err)
	}
	endpoint := strings.TrimSuffix(baseURL, "/") + "/chat/completions"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(b))
	if err != nil {
		return nil, sb.ReplyErrorf(false, "llm bot: the base_url is not valid: %s", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", e.userAgent)
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	telemetry.SetHeader(ctx, req.Header)
	resp, err := e.client.Do(req)
	if err != nil {
		msg := mask(unwrapURL(err), apiKey)
		switch {
		case errors.Is(err, egress.ErrBlocked):
			return nil, sb.ReplyErrorf(false, "llm bot: %s (set SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true to allow private addresses)", msg)
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
			return nil, &timeoutError{msg: "llm bot: the model did not answer in time: " + msg}
		}
		return nil, sb.ReplyErrorf(true, "llm bot: %s", msg)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, &timeoutError{msg: "llm bot: the model did not answer in time"}
		}
		return nil, sb.ReplyErrorf(true, "llm bot: reading the answer: %s", mask(unwrapURL(err), apiKey))
	}
	if resp.StatusCode != http.StatusOK {
		retryable := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 ||
			resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusConflict
		re := sb.ReplyErrorf(retryable, "llm bot: %s answered %d%s", req.URL.Host, resp.StatusCode, mask(refusal(data), apiKey))
		if ra, ok := retry.RetryAfter(resp.Header, e.now()); ok && retryable {
			re.RetryAfter = max(ra, time.Millisecond)
		}
		return nil, re
	}
	if len(data) > maxResponse {
		return nil, sb.ReplyErrorf(false, "llm bot: the answer is larger than %d bytes", maxResponse)
	}
	var out Response
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, sb.ReplyErrorf(false, "llm bot: the answer is not a chat completion: %s", err)
	}
	if len(out.Choices) == 0 {
		return nil, sb.ReplyErrorf(false, "llm bot: the answer has no choices")
	}
	return &out, nil
}

// timeoutError is a model call cut short by the turn's deadline: retried
// like a network error (the pipeline retries context.DeadlineExceeded).
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string { return e.msg }
func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// refusal is ": " and the message of an error body, or the start of any
// other body.
func refusal(body []byte) string {
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error.Message != "" {
		s := eb.Error.Message
		if eb.Error.Type != "" {
			s += " (" + eb.Error.Type + ")"
		}
		return ": " + clip(s)
	}
	s := clip(string(body))
	if s == "" {
		return ""
	}
	return ": " + s
}

// clip is the start of a text quoted in an error.
func clip(s string) string {
	const n = 512
	s = strings.TrimSpace(strings.ToValidUTF8(s, ""))
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

// mask hides a secret in a text.
func mask(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[api_key]")
}

// unwrapURL drops the "Post <url>:" prefix of client errors.
func unwrapURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return fmt.Sprint(err)
}
