package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/bot/llm/llmtest"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
)

// helpDesk is a fake ticket system behind an http integration: it counts
// the tickets opened and answers {"ticket": "T-<n>"}.
func helpDesk(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		k := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ticket":"T-`+string(rune('0'+k))+`"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// llmBot is an llm bot on the fake model with the given tools.
func llmBot(model *llmtest.Server, tools ...string) map[string]any {
	return map[string]any{"name": "Assistant", "engine": "llm", "config": map[string]any{
		"base_url": model.BaseURL(), "model": "e2e-model", "api_key": model.Key, "system_prompt": "You are Acme's assistant.",
		"tools": tools}}
}

// lastToolResult is the content of the last tool message of a request.
func lastToolResult(req *llmtest.Request) string {
	for i := len(req.Body.Messages) - 1; i >= 0; i-- {
		if m := req.Body.Messages[i]; m.Role == "tool" {
			return m.Text()
		}
	}
	return ""
}

// TestLLMBotEndToEnd runs the binary with an llm bot on a fake model and a
// fake Telegram: a message comes in, the model looks a fact up and opens a
// ticket through an http integration, and its answer quoting both goes out
// at sendMessage; the turn, its tool calls and its tokens are in the API
// and /metrics. The next message makes the model hand off, with a reason
// the conversation keeps.
func TestLLMBotEndToEnd(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	desk, tickets := helpDesk(t)
	model := llmtest.New(t,
		llmtest.CallTools(llmtest.Call{Name: "knowledge", Arguments: `{"key":"hours"}`}),
		llmtest.CallTools(llmtest.Call{Name: "call", Arguments: `{"subject":"printer on fire"}`}),
		llmtest.Reply(func(req *llmtest.Request) string {
			var facts struct{ Facts []struct{ Text string } }
			_ = json.Unmarshal([]byte(req.Body.Messages[len(req.Body.Messages)-3].Text()), &facts)
			var run struct{ Result struct{ Ticket string } }
			_ = json.Unmarshal([]byte(lastToolResult(req)), &run)
			if len(facts.Facts) != 1 {
				return "no facts"
			}
			return "Ticket " + run.Result.Ticket + " is open. We work " + facts.Facts[0].Text + "."
		}),
		llmtest.CallTools(llmtest.Call{Name: "handoff", Arguments: `{"reason":"the customer asks for a person"}`}),
		llmtest.Answer("I am passing you to a colleague."))
	model.Key = "sk-e2e-0123456789"
	const metricsToken = "metrics-token-0123456789"
	p := serve(t, append([]string{"SWITCHBOARD_DATA_DIR=" + t.TempDir(), "SWITCHBOARD_METRICS_TOKEN=" + metricsToken}, integrationEnv...)...)
	in := p.create(t, "/api/v1/integrations", map[string]any{"type": "http", "name": "Help desk", "config": map[string]any{"url": desk.URL + "/tickets"}})
	p.create(t, "/api/v1/knowledge", map[string]any{"key": "hours", "text": "9 to 5"})
	hookURL, token := telegramChannel(t, p, tg, llmBot(model, "knowledge", "handoff", in["id"].(string)+":call"))

	p.post(t, hookURL, "", telegramtest.Update(9001, 77, "Ada", "my printer is on fire"), telegram.HeaderSecretToken, token)
	calls := tg.Wait("sendMessage", 1, 60*time.Second)
	if len(calls) != 1 || calls[0].Text() != "Ticket T-1 is open. We work 9 to 5." {
		t.Fatalf("sendMessage: %+v", calls)
	}
	if n := tickets.Load(); n != 1 {
		t.Fatalf("%d tickets, want 1", n)
	}
	for _, r := range model.Requests() {
		if r.Authorization != "Bearer "+model.Key || strings.Contains(string(r.Raw), model.Key) {
			t.Fatalf("request %d: authorization %q", len(r.Raw), r.Authorization)
		}
	}

	_, convs := p.json(t, "GET", "/api/v1/conversations", nil)
	convID := convs["data"].([]any)[0].(map[string]any)["id"].(string)
	_, turns := p.json(t, "GET", "/api/v1/conversations/"+convID+"/turns", nil)
	list := turns["data"].([]any)
	if len(list) != 1 {
		t.Fatalf("turns: %v", turns)
	}
	turn := list[0].(map[string]any)
	tcs := turn["tool_calls"].([]any)
	if turn["engine"] != "llm" || turn["model"] != "e2e-model" || turn["prompt_tokens"].(float64) == 0 || len(tcs) != 2 ||
		tcs[0].(map[string]any)["name"] != "knowledge" || !strings.Contains(mustJSON(tcs[1].(map[string]any)["result"]), `"ticket":"T-1"`) {
		t.Fatalf("turn: %v", turn)
	}
	_, runs := p.json(t, "GET", "/api/v1/integrations/"+in["id"].(string)+"/runs", nil)
	if r := runs["data"].([]any)[0].(map[string]any); r["trigger"] != "tool" || r["status"] != "succeeded" {
		t.Fatalf("run: %v", r)
	}

	p.post(t, hookURL, "", telegramtest.Update(9002, 77, "Ada", "I want a person"), telegram.HeaderSecretToken, token)
	calls = tg.Wait("sendMessage", 2, 60*time.Second)
	if calls[1].Text() != "I am passing you to a colleague." {
		t.Fatalf("second reply: %q", calls[1].Text())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, conv := p.json(t, "GET", "/api/v1/conversations/"+convID, nil)
		md, _ := conv["metadata"].(map[string]any)
		if conv["status"] == "handoff" && md["handoff_reason"] == "the customer asks for a person" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("conversation after the handoff: %v", conv)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mreq, _ := http.NewRequest("GET", p.base+"/metrics", nil)
	mreq.Header.Set("Authorization", "Bearer "+metricsToken)
	res, err := http.DefaultClient.Do(mreq)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(metrics), `switchboard_bot_tokens_total{bot_id="`+turn["bot_id"].(string)+`",kind="completion",model="e2e-model"}`) {
		t.Errorf("/metrics lacks the tokens of the bot:\n%s", grepLines(string(metrics), "tokens"))
	}
	if strings.Contains(string(metrics), model.Key) {
		t.Error("/metrics shows the api key")
	}
	p.stop(t)
}

// TestLLMActionOnceThroughKill kills the process (SIGKILL) after the model
// called an action and while it writes its answer; the restarted process
// runs the turn again, the model calls the same action again, and the run
// its first attempt made is found: one ticket, one reply.
func TestLLMActionOnceThroughKill(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	desk, tickets := helpDesk(t)
	arrived := make(chan struct{})
	var once sync.Once
	hang := func(w http.ResponseWriter, r *http.Request, req *llmtest.Request) {
		once.Do(func() { close(arrived) })
		<-r.Context().Done() // the caller is killed meanwhile
	}
	openTicket := llmtest.CallTools(llmtest.Call{Name: "call", Arguments: `{"subject":"refund"}`})
	model := llmtest.New(t, openTicket, hang, openTicket,
		llmtest.Reply(func(req *llmtest.Request) string { return "Done: " + lastToolResult(req) }))
	env := append([]string{"SWITCHBOARD_DATA_DIR=" + t.TempDir()}, integrationEnv...)
	p := serve(t, env...)
	in := p.create(t, "/api/v1/integrations", map[string]any{"type": "http", "name": "Help desk", "config": map[string]any{"url": desk.URL}})
	hookURL, token := telegramChannel(t, p, tg, llmBot(model, in["id"].(string)+":call"))
	p.post(t, hookURL, "", telegramtest.Update(1, 42, "Ada", "refund please"), telegram.HeaderSecretToken, token)
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		t.Fatal("the model was never asked for its answer")
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done

	again := serve(t, env...)
	calls := tg.Wait("sendMessage", 1, 60*time.Second)
	if len(calls) != 1 || !strings.Contains(calls[0].Text(), `"ticket":"T-1"`) {
		t.Fatalf("after the restart: %+v", calls)
	}
	if n := tickets.Load(); n != 1 {
		t.Fatalf("%d tickets, want 1", n)
	}
	if left := model.Left(); left != 0 {
		t.Fatalf("%d model steps unused", left)
	}
	_, runs := again.json(t, "GET", "/api/v1/integrations/"+in["id"].(string)+"/runs", nil)
	if n := len(runs["data"].([]any)); n != 1 {
		t.Fatalf("%d runs, want 1: %v", n, runs)
	}
	again.stop(t)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestLLMModelDownThenUp: a model that is down (a dropped connection, a
// 503, a 429 with Retry-After) is retried on the bot schedule and the
// reply goes out once it is up; a model that stays down ends the turn in
// bot.error, recorded on the turn.
func TestLLMModelDownThenUp(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	model := llmtest.New(t,
		llmtest.Drop(),
		llmtest.Fail(503, "server_error", "", "The server is overloaded."),
		llmtest.RateLimited("0"),
		llmtest.Answer("Back online."),
		llmtest.Fail(500, "server_error", "", "down"),
		llmtest.Fail(500, "server_error", "", "down"),
		llmtest.Fail(500, "server_error", "", "down"),
		llmtest.Fail(500, "server_error", "", "still down"))
	p := serve(t, "SWITCHBOARD_DATA_DIR="+t.TempDir(), "SWITCHBOARD_BOOTSTRAP_KEY="+e2eKey, "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true",
		"SWITCHBOARD_BOT_RETRY_SCHEDULE=50ms,50ms,50ms")
	hookURL, token := telegramChannel(t, p, tg, llmBot(model))
	p.post(t, hookURL, "", telegramtest.Update(1, 42, "Ada", "are you there?"), telegram.HeaderSecretToken, token)
	if calls := tg.Wait("sendMessage", 1, 60*time.Second); len(calls) != 1 || calls[0].Text() != "Back online." {
		t.Fatalf("sendMessage: %+v", calls)
	}
	p.events(t, 4) // the reply is recorded (message.sent) before the next message comes
	p.post(t, hookURL, "", telegramtest.Update(2, 42, "Ada", "and now?"), telegram.HeaderSecretToken, token)
	got := p.events(t, 6)
	if strings.Join(got, " ") != "integration.connected conversation.started message.received message.sent message.received bot.error" {
		t.Fatalf("events: %v", got)
	}
	_, convs := p.json(t, "GET", "/api/v1/conversations", nil)
	convID := convs["data"].([]any)[0].(map[string]any)["id"].(string)
	_, turns := p.json(t, "GET", "/api/v1/conversations/"+convID+"/turns", nil)
	list := turns["data"].([]any)
	if len(list) != 2 {
		t.Fatalf("turns: %v", turns)
	}
	failed, answered := list[0].(map[string]any), list[1].(map[string]any)
	if e, _ := failed["error"].(string); !strings.Contains(e, "after 4 attempts") || !strings.Contains(e, "still down") || answered["error"] != nil {
		t.Fatalf("turns: %v", list)
	}
	if model.Left() != 0 {
		t.Fatalf("%d model steps unused", model.Left())
	}
	p.stop(t)
}
