// Package llmtest is a fake OpenAI-compatible chat-completions server on
// loopback, for tests of the llm engine. It speaks the real wire format:
// POST /v1/chat/completions with a bearer key; answers with choices[].message
// (content, or tool_calls [{id, type: "function", function: {name,
// arguments}}]), finish_reason "stop" or "tool_calls", usage {prompt_tokens,
// completion_tokens, total_tokens}; refusals with {"error": {"message",
// "type", "code"}} and, for 429, Retry-After.
//
// Each test scripts the answers, one step per request, in order; a request
// past the script fails the test (unless Always set a standing answer).
// The server records every request it got.
package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is a request as the server got it.
type Request struct {
	Authorization string
	Body          ChatRequest
	Raw           []byte
}

// ChatRequest is the body of a chat-completions request.
type ChatRequest struct {
	Model       string        `json:"model"`
	Messages    []ChatMessage `json:"messages"`
	Tools       []ChatTool    `json:"tools"`
	ToolChoice  any           `json:"tool_choice"`
	Temperature *float64      `json:"temperature"`
	MaxTokens   int           `json:"max_tokens"`
}

// ChatMessage is one message of a request.
type ChatMessage struct {
	Role       string     `json:"role"`
	Content    *string    `json:"content"`
	ToolCalls  []ToolCall `json:"tool_calls"`
	ToolCallID string     `json:"tool_call_id"`
}

// Text is the message's content, "" for null.
func (m ChatMessage) Text() string {
	if m.Content == nil {
		return ""
	}
	return *m.Content
}

// ChatTool is a tool definition of a request.
type ChatTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// ToolCall is a call of a tool, in an answer or in an assistant message of
// a request.
type ToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// Last is the last message of the request.
func (r *Request) Last() ChatMessage {
	if len(r.Body.Messages) == 0 {
		return ChatMessage{}
	}
	return r.Body.Messages[len(r.Body.Messages)-1]
}

// Step answers one request.
type Step func(w http.ResponseWriter, r *http.Request, req *Request)

// Server is the fake.
type Server struct {
	*httptest.Server
	// Key is the API key the server expects ("" accepts any, or none).
	Key string

	t        testing.TB
	mu       sync.Mutex
	script   []Step
	always   Step
	requests []*Request
}

// New starts a server answering with the steps, in order.
func New(t testing.TB, steps ...Step) *Server {
	s := &Server{t: t, script: steps}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// BaseURL is the base_url of a bot using the server ({url}/v1).
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Push adds steps to the script.
func (s *Server) Push(steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, steps...)
}

// Always makes step the answer to every request past the script.
func (s *Server) Always(step Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always = step
}

// Requests returns the requests received so far.
func (s *Server) Requests() []*Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Request(nil), s.requests...)
}

// Left is the number of scripted steps not used yet.
func (s *Server) Left() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.script)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		writeError(w, http.StatusNotFound, "invalid_request_error", "unknown_url", "Unknown request URL: "+r.Method+" "+r.URL.Path)
		return
	}
	if s.Key != "" && r.Header.Get("Authorization") != "Bearer "+s.Key {
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
		return
	}
	req := &Request{Authorization: r.Header.Get("Authorization")}
	var err error
	if req.Raw, err = readAll(r); err == nil {
		err = json.Unmarshal(req.Raw, &req.Body)
	}
	if err != nil || req.Body.Model == "" || len(req.Body.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_body", fmt.Sprintf("bad request body: %v", err))
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	var step Step
	if len(s.script) > 0 {
		step, s.script = s.script[0], s.script[1:]
	} else {
		step = s.always
	}
	s.mu.Unlock()
	if step == nil {
		s.t.Errorf("llmtest: a request past the script: %s", req.Raw)
		writeError(w, http.StatusInternalServerError, "server_error", "", "script exhausted")
		return
	}
	step(w, r, req)
}

func readAll(r *http.Request) ([]byte, error) { return io.ReadAll(r.Body) }

// Answer answers with a text (finish_reason "stop").
func Answer(text string) Step {
	return func(w http.ResponseWriter, r *http.Request, req *Request) {
		writeChoice(w, req, map[string]any{"role": "assistant", "content": text}, "stop", words(text))
	}
}

// Reply answers with what f makes of the request (finish_reason "stop"):
// an answer quoting a tool's result.
func Reply(f func(req *Request) string) Step {
	return func(w http.ResponseWriter, r *http.Request, req *Request) { Answer(f(req))(w, r, req) }
}

// Call is a tool call to answer with.
type Call struct {
	Name      string
	Arguments string // a JSON object, as the model writes it
}

// CallTools answers with tool calls (finish_reason "tool_calls", no
// content).
func CallTools(calls ...Call) Step { return CallToolsSaying("", calls...) }

// CallToolsSaying answers with tool calls and a text beside them (some
// models write both); "" is no content (null).
func CallToolsSaying(text string, calls ...Call) Step {
	return func(w http.ResponseWriter, r *http.Request, req *Request) {
		out := make([]map[string]any, len(calls))
		n := 0
		for i, c := range calls {
			out[i] = map[string]any{"id": "call_" + strconv.Itoa(i) + "_" + strconv.FormatInt(time.Now().UnixNano(), 36),
				"type": "function", "function": map[string]any{"name": c.Name, "arguments": c.Arguments}}
			n += words(c.Arguments)
		}
		var content any
		if text != "" {
			content = text
		}
		writeChoice(w, req, map[string]any{"role": "assistant", "content": content, "tool_calls": out}, "tool_calls", n+3+words(text))
	}
}

// Fail refuses with a status and an error body.
func Fail(status int, typ, code, message string) Step {
	return func(w http.ResponseWriter, r *http.Request, req *Request) { writeError(w, status, typ, code, message) }
}

// RateLimited refuses with 429 and Retry-After (seconds, or an HTTP date).
func RateLimited(retryAfter string) Step {
	return func(w http.ResponseWriter, r *http.Request, req *Request) {
		w.Header().Set("Retry-After", retryAfter)
		w.Header().Set("X-Ratelimit-Remaining-Requests", "0")
		writeError(w, http.StatusTooManyRequests, "requests", "rate_limit_exceeded", "Rate limit reached for requests.")
	}
}

// Drop closes the connection without answering: the model's server is
// down.
func Drop() Step {
	return func(w http.ResponseWriter, r *http.Request, req *Request) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("llmtest: cannot hijack")
		}
		c, _, err := hj.Hijack()
		if err == nil {
			_ = c.Close()
		}
	}
}

// Slow waits d (or until the client gives up), then answers with next.
func Slow(d time.Duration, next Step) Step {
	return func(w http.ResponseWriter, r *http.Request, req *Request) {
		select {
		case <-time.After(d):
			next(w, r, req)
		case <-r.Context().Done():
		}
	}
}

func writeChoice(w http.ResponseWriter, req *Request, msg map[string]any, finish string, completion int) {
	prompt := 0
	for _, m := range req.Body.Messages {
		prompt += words(m.Text()) + 4
	}
	body := map[string]any{
		"id": "chatcmpl-" + strconv.FormatInt(time.Now().UnixNano(), 36), "object": "chat.completion",
		"created": time.Now().Unix(), "model": req.Body.Model, "system_fingerprint": "fp_test",
		"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
		"usage":   map[string]any{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func writeError(w http.ResponseWriter, status int, typ, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	var c any
	if code != "" {
		c = code
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": message, "type": typ, "param": nil, "code": c}})
}

// words counts a text's words, the fake's tokens.
func words(s string) int { return len(strings.Fields(s)) }
