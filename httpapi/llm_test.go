package httpapi_test

import (
	"context"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot/llm/llmtest"
)

// TestLLMBotConfig: an llm bot's configuration is checked field by field
// (each bad field named), its action tools against the workspace's
// integrations, its base_url against the address policy; the api_key is
// stored sealed and never shown, and kept when a new configuration leaves
// it out.
func TestLLMBotConfig(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	ctx := context.Background()
	bad := e.call("POST", "/api/v1/bots", e.admin, map[string]any{"name": "LLM", "engine": "llm", "config": map[string]any{
		"base_url": "ftp://x", "history": 0, "max_tokens": 0, "temperature": 3, "tools": []any{"weather", "knowledge", "knowledge"}}})
	bad.problem(t, 400, sb.EInvalid, "config.base_url")
	for _, f := range []string{"config.model", "config.history", "config.max_tokens", "config.temperature", "config.tools[0]", "config.tools[2]"} {
		if !strings.Contains(string(bad.body), `"field":"`+f+`"`) {
			t.Errorf("the refusal does not name %s: %s", f, bad.body)
		}
	}
	e.call("POST", "/api/v1/bots", e.admin, map[string]any{"name": "LLM", "engine": "llm", "config": map[string]any{
		"base_url": "http://127.0.0.1:9/v1", "model": "m"}}).problem(t, 400, sb.EInvalid, "config.base_url")

	in := &sb.Integration{WorkspaceID: e.ws.ID, Type: "http", Name: "CRM", Status: sb.IntegrationConnected,
		Config: map[string]any{"base_url": "https://crm.example.com"}}
	if err := e.db.CreateIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	cfg := func(tools ...any) map[string]any {
		return map[string]any{"name": "LLM", "engine": "llm", "config": map[string]any{"base_url": "https://llm.example.com/v1",
			"model": "gpt-4o-mini", "api_key": "sk-test-0123456789", "tools": tools}}
	}
	e.call("POST", "/api/v1/bots", e.admin, cfg("int_01JHF3Q8R5ZK7M2W9XN4T6B0CD:call")).problem(t, 400, sb.EInvalid, "config.tools[0]")
	e.call("POST", "/api/v1/bots", e.admin, cfg("knowledge", in.ID+":teleport")).problem(t, 400, sb.EInvalid, "config.tools[1]")

	created := e.must(201, "POST", "/api/v1/bots", e.admin, cfg("knowledge", "handoff", "contact", in.ID+":call"))
	id := created.str(t, "id")
	got := e.must(200, "GET", "/api/v1/bots/"+id, e.admin, nil)
	for _, body := range [][]byte{created.body, got.body} {
		if strings.Contains(string(body), "sk-test") || strings.Contains(string(body), "api_key") {
			t.Fatalf("the api key is shown: %s", body)
		}
	}
	c := got.obj(t)["config"].(map[string]any)
	if c["history"] != 20.0 || c["max_tokens"] != 1024.0 || len(c["tools"].([]any)) != 4 {
		t.Fatalf("defaults: %v", c)
	}
	e.must(200, "PUT", "/api/v1/bots/"+id+"/config", e.admin, map[string]any{"base_url": "https://llm.example.com/v2", "model": "other"})
	bot, err := e.db.GetBot(ctx, e.ws.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if bot.Secrets["api_key"] != "sk-test-0123456789" {
		t.Fatalf("the api key was not kept: %v", bot.Secrets)
	}
}

// TestLLMBotParseAndTurns: POST /bots/{id}/parse asks the model; a
// knowledge lookup runs (workspace facts only), a handoff is described,
// not done; GET /conversations/{id}/turns lists a conversation's turns.
func TestLLMBotParseAndTurns(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db", platformsOnLoopback)
	model := llmtest.New(t,
		llmtest.CallTools(llmtest.Call{Name: "knowledge", Arguments: `{"key":"hours"}`}),
		llmtest.CallTools(llmtest.Call{Name: "handoff", Arguments: `{"reason":"wants a person"}`}),
		llmtest.Reply(func(req *llmtest.Request) string {
			return "From the facts: " + req.Body.Messages[len(req.Body.Messages)-3].Text()
		}))
	model.Key = "sk-test-0123456789"
	e.must(201, "POST", "/api/v1/knowledge", e.admin, map[string]any{"key": "hours", "text": "9 to 5"})
	id := e.must(201, "POST", "/api/v1/bots", e.admin, map[string]any{"name": "LLM", "engine": "llm", "config": map[string]any{
		"base_url": model.BaseURL(), "model": "m", "api_key": model.Key, "system_prompt": "Be brief.",
		"tools": []any{"knowledge", "handoff"}}}).str(t, "id")
	res := e.must(200, "POST", "/api/v1/bots/"+id+"/parse", e.admin, map[string]any{"text": "when are you open?"}).obj(t)
	replies := res["replies"].([]any)
	if len(replies) != 1 || !strings.Contains(replies[0].(string), "9 to 5") || res["handoff"] != true {
		t.Fatalf("parse: %v", res)
	}
	calls := res["tool_calls"].([]any)
	if len(calls) != 2 || calls[1].(map[string]any)["dry_run"] != true || calls[0].(map[string]any)["dry_run"] != nil {
		t.Fatalf("tool calls: %v", calls)
	}
	reqs := model.Requests()
	if len(reqs) != 3 || reqs[0].Body.Messages[0].Role != "system" || reqs[0].Body.Messages[1].Text() != "when are you open?" {
		t.Fatalf("requests: %+v", reqs)
	}

	_, convID, _ := e.conversationFixture(t)
	list := e.must(200, "GET", "/api/v1/conversations/"+convID+"/turns", e.reader, nil)
	if len(list.data(t)) != 0 {
		t.Fatalf("turns of a new conversation: %s", list.body)
	}
	e.must(404, "GET", "/api/v1/conversations/conv_01JHF3Q8R5ZK7M2W9XN4T6B0CD/turns", e.reader, nil)
	e.must(400, "GET", "/api/v1/conversations/"+convID+"/turns?cursor=msg_01JHF3Q8R5ZK7M2W9XN4T6B0CD", e.reader, nil)
}

// TestLLMBotVersions: training and deploying version an llm bot's
// configuration: parse of version 1 asks its model, version 2 (trained,
// then deployed) the new one, with the key kept.
func TestLLMBotVersions(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db", platformsOnLoopback)
	model := llmtest.New(t)
	model.Key = "sk-test-0123456789"
	model.Always(llmtest.Reply(func(req *llmtest.Request) string { return "I am " + req.Body.Model }))
	id := e.must(201, "POST", "/api/v1/bots", e.admin, map[string]any{"name": "LLM", "engine": "llm", "config": map[string]any{
		"base_url": model.BaseURL(), "model": "one", "api_key": model.Key}}).str(t, "id")
	e.must(200, "PUT", "/api/v1/bots/"+id+"/config", e.admin, map[string]any{"base_url": model.BaseURL(), "model": "two"})
	reply := func(version int) string {
		body := map[string]any{"text": "who are you?"}
		if version > 0 {
			body["version"] = version
		}
		r := e.must(200, "POST", "/api/v1/bots/"+id+"/parse", e.admin, body).obj(t)
		return r["replies"].([]any)[0].(string)
	}
	if got := reply(0); got != "I am one" {
		t.Fatalf("a new draft: the deployed version answers %q", got)
	}
	e.must(202, "POST", "/api/v1/bots/"+id+"/train", e.admin, nil)
	e.runJobs()
	if got := reply(2); got != "I am two" {
		t.Fatalf("version 2 answers %q", got)
	}
	e.must(200, "POST", "/api/v1/bots/"+id+"/deploy", e.admin, "")
	if got := reply(0); got != "I am two" {
		t.Fatalf("deployed version 2 answers %q", got)
	}
	for _, r := range model.Requests() {
		if r.Authorization != "Bearer "+model.Key {
			t.Fatalf("a request without the kept key: %q", r.Authorization)
		}
	}
}
