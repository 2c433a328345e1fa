package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot/llm"
	"github.com/switchboardhq/switchboard/bot/llm/llmtest"
)

const key = "sk-test-secret-0123456789"

// tools is an in-memory switchboard.TurnTools: facts by key, a contact,
// one integration with a "lookup_order" action taking {"number": string}.
type tools struct {
	mu      sync.Mutex
	history []*sb.Message
	facts   map[string]*sb.Fact
	contact sb.Contact
	runs    map[int]*sb.Run // by call number
	started int
}

func newTools() *tools {
	return &tools{facts: map[string]*sb.Fact{}, runs: map[int]*sb.Run{}}
}

func (f *tools) History(ctx context.Context, n int) ([]*sb.Message, error) {
	h := f.history
	if len(h) > n {
		h = h[len(h)-n:]
	}
	return h, nil
}

func (f *tools) Facts(ctx context.Context, key string, prefix bool, limit int) ([]*sb.Fact, error) {
	var out []*sb.Fact
	for k, v := range f.facts {
		if k == key || (prefix && strings.HasPrefix(k, key)) {
			out = append(out, v)
		}
	}
	return out, nil
}

func (f *tools) UpdateContact(ctx context.Context, u sb.ContactUpdate) (*sb.Contact, error) {
	if u.Email != nil && !strings.Contains(*u.Email, "@") {
		return nil, sb.Invalid("email", "must be an email address")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if u.Name != nil {
		f.contact.Name = *u.Name
	}
	if u.Email != nil {
		f.contact.Email = *u.Email
	}
	c := f.contact
	return &c, nil
}

var orderSchema = json.RawMessage(`{"type":"object","properties":{"number":{"type":"string"}},"required":["number"],"additionalProperties":false}`)

func (f *tools) DescribeAction(ctx context.Context, id, action string) (*sb.Integration, sb.ActionSpec, error) {
	if id != "int_01JHF3Q8R5ZK7M2W9XN4T6B0CD" || action != "lookup_order" {
		return nil, sb.ActionSpec{}, sb.ErrNotFound("integration")
	}
	return &sb.Integration{ID: id, Type: "shopify", Name: "Shop"}, sb.ActionSpec{Name: action, Description: "Finds an order.", Params: orderSchema}, nil
}

func (f *tools) CheckAction(ctx context.Context, a sb.ToolAction) error {
	var p struct {
		Number *string `json:"number"`
	}
	if err := json.Unmarshal(a.Params, &p); err != nil || p.Number == nil {
		return sb.Invalid("params.number", "is required")
	}
	return nil
}

func (f *tools) RunAction(ctx context.Context, a sb.ToolAction, wait time.Duration) (*sb.Run, error) {
	if err := f.CheckAction(ctx, a); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.runs[a.Call]; r != nil {
		return r, nil
	}
	f.started++
	r := &sb.Run{ID: "run_1", Status: sb.RunSucceeded, Result: json.RawMessage(`{"status":"shipped"}`)}
	f.runs[a.Call] = r
	return r, nil
}

// turn is a turn of a bot on the fake model with the given tools.
func turn(model *llmtest.Server, ts *tools, text string, cfgTools ...string) *sb.BotTurn {
	if cfgTools == nil {
		cfgTools = []string{}
	}
	cfg, _ := json.Marshal(map[string]any{"base_url": model.BaseURL(), "model": "test-model", "system_prompt": "You help.",
		"temperature": 0.2, "max_tokens": 100, "history": 3, "tools": cfgTools})
	msg := &sb.Message{ID: "msg_01JHF3Q8R5ZK7M2W9XN4T6B0CD", Direction: sb.DirectionInbound, Text: text}
	if ts != nil {
		ts.history = append(ts.history, msg)
	}
	t := &sb.BotTurn{Bot: &sb.Bot{ID: "bot_1", Config: cfg, Secrets: map[string]string{"api_key": key}}, Message: msg, Attempt: 1}
	if ts != nil {
		t.Tools = ts
	}
	return t
}

func newEngine() *llm.Engine { return llm.New(http.DefaultClient, "test") }

func TestParseConfig(t *testing.T) {
	e := newEngine()
	pub, secrets, err := e.ParseConfig(json.RawMessage(`{"base_url":"https://api.openai.com/v1","model":"gpt-4o-mini","api_key":"sk-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	if secrets["api_key"] != "sk-1" || strings.Contains(string(pub), "sk-1") {
		t.Fatalf("secrets %v, public %s", secrets, pub)
	}
	var c llm.Config
	_ = json.Unmarshal(pub, &c)
	if c.History != 20 || c.MaxTokens != 1024 || c.Temperature != nil || c.Tools == nil {
		t.Fatalf("defaults: %s", pub)
	}
	_, _, err = e.ParseConfig(json.RawMessage(`{"base_url":"x","history":101,"max_tokens":-1,"temperature":2.5,"tools":["knowledge","int_bad:x","int_01JHF3Q8R5ZK7M2W9XN4T6B0CD:lookup order"],"colour":1}`))
	var se *sb.Error
	if !errors.As(err, &se) || len(se.Fields) != 1 || se.Fields[0].Field != "config.colour" {
		t.Fatalf("unknown field: %v", err)
	}
	_, _, err = e.ParseConfig(json.RawMessage(`{"base_url":"x","history":101,"max_tokens":-1,"temperature":2.5,"tools":["knowledge","int_bad:x","int_01JHF3Q8R5ZK7M2W9XN4T6B0CD:lookup order"]}`))
	if !errors.As(err, &se) {
		t.Fatal(err)
	}
	var fields []string
	for _, f := range se.Fields {
		fields = append(fields, f.Field)
	}
	if got := strings.Join(fields, " "); got != "config.base_url config.model config.temperature config.max_tokens config.history config.tools[1] config.tools[2]" {
		t.Fatalf("fields: %s", got)
	}
}

// TestPlainAnswer: the request carries the system prompt, the history
// mapped to roles, the tools, temperature, max_tokens and the key; the
// answer is the model's text with its usage.
func TestPlainAnswer(t *testing.T) {
	model := llmtest.New(t, llmtest.Answer("Hello! How can I help?"))
	model.Key = key
	ts := newTools()
	ts.history = []*sb.Message{
		{Direction: sb.DirectionInbound, Text: "old, beyond the history"},
		{Direction: sb.DirectionInbound, Text: "hi"},
		{Direction: sb.DirectionOutbound, Sender: sb.SenderAgent, Text: "Agent here."},
	}
	a, err := newEngine().Reply(context.Background(), turn(model, ts, "hello", "knowledge", "handoff", "contact", "int_01JHF3Q8R5ZK7M2W9XN4T6B0CD:lookup_order"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Replies) != 1 || a.Replies[0] != "Hello! How can I help?" || a.Model != "test-model" || a.PromptTokens == 0 || a.CompletionTokens != 5 || len(a.ToolCalls) != 0 {
		t.Fatalf("answer %+v", a)
	}
	req := model.Requests()[0]
	var roles []string
	for _, m := range req.Body.Messages {
		roles = append(roles, m.Role+":"+m.Text())
	}
	if got := strings.Join(roles, "|"); got != "system:You help.|user:hi|assistant:Agent here.|user:hello" {
		t.Fatalf("messages: %s", got)
	}
	var names []string
	for _, tool := range req.Body.Tools {
		names = append(names, tool.Function.Name)
	}
	if strings.Join(names, " ") != "knowledge handoff contact lookup_order" || string(req.Body.Tools[3].Function.Parameters) != string(orderSchema) {
		t.Fatalf("tools: %v %s", names, req.Body.Tools[3].Function.Parameters)
	}
	if req.Authorization != "Bearer "+key || req.Body.MaxTokens != 100 || *req.Body.Temperature != 0.2 || req.Body.Model != "test-model" {
		t.Fatalf("request: %s", req.Raw)
	}
	if strings.Contains(string(req.Raw), key) {
		t.Fatal("the key is in the request body")
	}
}

// TestKnowledgeThenAnswer: the model looks a fact up and quotes it.
func TestKnowledgeThenAnswer(t *testing.T) {
	model := llmtest.New(t,
		llmtest.CallTools(llmtest.Call{Name: "knowledge", Arguments: `{"key":"order.","prefix":true}`}),
		llmtest.Reply(func(req *llmtest.Request) string {
			var res struct {
				Facts []struct{ Key, Text string }
			}
			_ = json.Unmarshal([]byte(req.Last().Text()), &res)
			if req.Last().Role != "tool" || len(res.Facts) != 1 {
				return "no fact: " + req.Last().Text()
			}
			return "Your order " + res.Facts[0].Text
		}))
	ts := newTools()
	ts.facts["order.latest"] = &sb.Fact{Key: "order.latest", Text: "#1001 has shipped"}
	a, err := newEngine().Reply(context.Background(), turn(model, ts, "where is my order?", "knowledge"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Replies) != 1 || a.Replies[0] != "Your order #1001 has shipped" || len(a.ToolCalls) != 1 || a.ToolCalls[0].Name != "knowledge" {
		t.Fatalf("answer %+v", a)
	}
	second := model.Requests()[1].Body.Messages
	if len(second) != 4 || second[2].Role != "assistant" || len(second[2].ToolCalls) != 1 || second[3].ToolCallID != second[2].ToolCalls[0].ID {
		t.Fatalf("second request: %+v", second)
	}
	if a.PromptTokens == 0 || a.CompletionTokens == 0 {
		t.Fatalf("usage not summed: %+v", a)
	}
}

// TestHandoffAndContactAndAction: the model hands off with a reason,
// updates the contact and runs an action, then answers.
func TestHandoffAndContactAndAction(t *testing.T) {
	model := llmtest.New(t,
		llmtest.CallTools(
			llmtest.Call{Name: "contact", Arguments: `{"name":"Ada","email":"ada@example.com"}`},
			llmtest.Call{Name: "lookup_order", Arguments: `{"number":"1001"}`}),
		llmtest.CallTools(llmtest.Call{Name: "handoff", Arguments: `{"reason":"asks for a refund"}`}),
		llmtest.Answer("A colleague will take over."))
	ts := newTools()
	a, err := newEngine().Reply(context.Background(), turn(model, ts, "refund please", "handoff", "contact", "int_01JHF3Q8R5ZK7M2W9XN4T6B0CD:lookup_order"))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Handoff || a.HandoffReason != "asks for a refund" || ts.contact.Name != "Ada" || ts.started != 1 || len(a.ToolCalls) != 3 {
		t.Fatalf("answer %+v, tools %+v", a, ts)
	}
	if !strings.Contains(string(a.ToolCalls[1].Result), `"status":"succeeded"`) || !strings.Contains(string(a.ToolCalls[1].Result), "shipped") {
		t.Fatalf("action result: %s", a.ToolCalls[1].Result)
	}
}

// TestInvalidArgumentsOnce: invalid arguments are answered with the error
// once; the corrected call runs; a second invalid call fails the turn.
func TestInvalidArgumentsOnce(t *testing.T) {
	model := llmtest.New(t,
		llmtest.CallTools(llmtest.Call{Name: "lookup_order", Arguments: `{"order":1001}`}),
		llmtest.CallTools(llmtest.Call{Name: "lookup_order", Arguments: `{"number":"1001"}`}),
		llmtest.Answer("Shipped."))
	ts := newTools()
	tools := []string{"knowledge", "int_01JHF3Q8R5ZK7M2W9XN4T6B0CD:lookup_order"}
	a, err := newEngine().Reply(context.Background(), turn(model, ts, "order?", tools...))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ToolCalls) != 2 || a.ToolCalls[0].Error == "" || !strings.Contains(model.Requests()[1].Last().Text(), "params.number is required") {
		t.Fatalf("answer %+v; the model was told %s", a, model.Requests()[1].Last().Text())
	}

	model = llmtest.New(t,
		llmtest.CallTools(llmtest.Call{Name: "knowledge", Arguments: `not json`}),
		llmtest.CallTools(llmtest.Call{Name: "weather", Arguments: `{}`}))
	_, err = newEngine().Reply(context.Background(), turn(model, newTools(), "?", tools...))
	var re *sb.ReplyError
	if !errors.As(err, &re) || re.Retryable || !strings.Contains(re.Message, "invalid arguments again") {
		t.Fatalf("second invalid call: %v", err)
	}
	if re.Partial == nil || len(re.Partial.ToolCalls) != 2 || re.Partial.ToolCalls[1].Name != "weather" || re.Partial.PromptTokens == 0 {
		t.Fatalf("what the failed turn did: %+v", re.Partial)
	}
	// Placeholders from the model are refused: only the model reads the
	// user's text, never Switchboard's templates.
	model = llmtest.New(t,
		llmtest.CallTools(llmtest.Call{Name: "lookup_order", Arguments: `{"number":"{{knowledge.secret}}"}`}),
		llmtest.Answer("ok"))
	ts = newTools()
	if _, err := newEngine().Reply(context.Background(), turn(model, ts, "?", tools...)); err != nil || ts.started != 0 {
		t.Fatalf("a placeholder in arguments: %v, %d runs", err, ts.started)
	}
}

// TestFailures: 429 with Retry-After, 5xx and a dropped connection are
// retryable; a refused key is not, and the key never appears in errors; a
// slow model past the deadline is a timeout, retried.
func TestFailures(t *testing.T) {
	model := llmtest.New(t,
		llmtest.RateLimited("7"),
		llmtest.Fail(503, "server_error", "", "overloaded"),
		llmtest.Drop(),
		llmtest.Fail(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided: "+key),
		llmtest.Answer("back"))
	e := newEngine()
	check := func(wantRetry bool, wantAfter time.Duration, wantIn string) {
		t.Helper()
		_, err := e.Reply(context.Background(), turn(model, nil, "hi"))
		var re *sb.ReplyError
		if !errors.As(err, &re) || re.Retryable != wantRetry || re.RetryAfter != wantAfter || !strings.Contains(re.Message, wantIn) {
			t.Fatalf("got %#v, want retryable %v after %v containing %q", err, wantRetry, wantAfter, wantIn)
		}
		if strings.Contains(err.Error(), key) {
			t.Fatalf("the key leaks: %v", err)
		}
	}
	check(true, 7*time.Second, "429: Rate limit reached")
	check(true, 0, "503: overloaded")
	check(true, 0, "llm bot:")
	check(false, 0, "401: Incorrect API key provided: [api_key]")
	if a, err := e.Reply(context.Background(), turn(model, nil, "hi")); err != nil || a.Replies[0] != "back" {
		t.Fatalf("model up again: %v %v", a, err)
	}

	slow := llmtest.New(t, llmtest.Slow(5*time.Second, llmtest.Answer("too late")))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := e.Reply(ctx, turn(slow, nil, "hi"))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not answer in time") {
		t.Fatalf("slow model: %v", err)
	}
}

// TestEmptyAnswerAndRounds: an empty answer sends nothing; after five
// rounds of tools the model is asked to answer (tool_choice none), and one
// that still calls tools fails the turn.
func TestEmptyAnswerAndRounds(t *testing.T) {
	model := llmtest.New(t, llmtest.Answer("  "))
	a, err := newEngine().Reply(context.Background(), turn(model, nil, "hi"))
	if err != nil || len(a.Replies) != 0 {
		t.Fatalf("empty answer: %+v %v", a, err)
	}
	call := llmtest.CallTools(llmtest.Call{Name: "knowledge", Arguments: `{"key":"a"}`})
	model = llmtest.New(t, call, call, call, call, call, llmtest.Answer("done"))
	a, err = newEngine().Reply(context.Background(), turn(model, newTools(), "hi", "knowledge"))
	if err != nil || a.Replies[0] != "done" || len(a.ToolCalls) != 5 {
		t.Fatalf("five rounds: %+v %v", a, err)
	}
	reqs := model.Requests()
	if reqs[4].Body.ToolChoice != nil || reqs[5].Body.ToolChoice != "none" {
		t.Fatalf("tool_choice: %v then %v", reqs[4].Body.ToolChoice, reqs[5].Body.ToolChoice)
	}
	model = llmtest.New(t, call, call, call, call, call, call)
	if _, err := newEngine().Reply(context.Background(), turn(model, newTools(), "hi", "knowledge")); err == nil || !strings.Contains(err.Error(), "after 5 rounds") {
		t.Fatalf("a sixth round: %v", err)
	}
	// A server that ignores tool_choice, calling tools with a text: the
	// text answers.
	saying := llmtest.CallToolsSaying("Here is what I know.", llmtest.Call{Name: "knowledge", Arguments: `{"key":"a"}`})
	model = llmtest.New(t, call, call, call, call, call, saying)
	a, err = newEngine().Reply(context.Background(), turn(model, newTools(), "hi", "knowledge"))
	if err != nil || len(a.Replies) != 1 || a.Replies[0] != "Here is what I know." || len(a.ToolCalls) != 5 {
		t.Fatalf("tools and text after five rounds: %+v %v", a, err)
	}
}

// TestDryRun: a dry run looks facts up but only describes what changes.
func TestDryRun(t *testing.T) {
	model := llmtest.New(t,
		llmtest.CallTools(
			llmtest.Call{Name: "handoff", Arguments: `{"reason":"r"}`},
			llmtest.Call{Name: "lookup_order", Arguments: `{"number":"1"}`}),
		llmtest.Answer("ok"))
	ts := newTools()
	tr := turn(model, ts, "hi", "handoff", "int_01JHF3Q8R5ZK7M2W9XN4T6B0CD:lookup_order")
	tr.DryRun = true
	a, err := newEngine().Reply(context.Background(), tr)
	if err != nil || !a.Handoff || ts.started != 0 || !a.ToolCalls[0].DryRun || !a.ToolCalls[1].DryRun {
		t.Fatalf("dry run: %+v %v (runs %d)", a, err, ts.started)
	}
}
