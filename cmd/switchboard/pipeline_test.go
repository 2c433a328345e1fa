package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
)

const e2eKey = "sbk_end-to-end-test-key-0001"

// post sends a JSON body to the server with headers (name, value pairs)
// and returns the status and the decoded answer.
func (p *process) post(t *testing.T, url, key string, body []byte, headers ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// create POSTs a resource and returns it, failing unless it is 201.
func (p *process) create(t *testing.T, path string, body any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(body)
	st, got := p.post(t, p.base+path, e2eKey, raw)
	if st != 201 {
		t.Fatalf("POST %s: %d %v", path, st, got)
	}
	return got
}

// events waits until the workspace has at least n events besides the
// bot.trained and bot.deployed of its bots' creation, and returns their
// types, oldest first.
func (p *process) events(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, got := p.call(t, "GET", "/api/v1/events?limit=100", e2eKey, "")
		data, _ := got["data"].([]any)
		var types []string
		for i := len(data) - 1; i >= 0; i-- {
			switch typ := data[i].(map[string]any)["event"].(string); typ {
			case "bot.trained", "bot.deployed": // the bot's creation (tested in httpapi)
			default:
				types = append(types, typ)
			}
		}
		if len(types) >= n || time.Now().After(deadline) {
			return types
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// telegramChannel creates a bot and a Telegram channel answered by it on
// the fake Bot API, registers the channel, and returns the URL and secret
// token Telegram was given.
func telegramChannel(t *testing.T, p *process, tg *telegramtest.Server, bot map[string]any) (hookURL, token string) {
	t.Helper()
	botID := p.create(t, "/api/v1/bots", bot)["id"].(string)
	ch := p.create(t, "/api/v1/channels", map[string]any{"type": "telegram", "name": "Support", "bot_id": botID,
		"config": map[string]any{"bot_token": "123:E2E", "api_base_url": tg.URL}})
	if st, got := p.post(t, p.base+"/api/v1/channels/"+ch["id"].(string)+"/register", e2eKey, nil); st != 200 || got["status"] != "connected" {
		t.Fatalf("register: %d %v", st, got)
	}
	calls := tg.Calls("setWebhook")
	if len(calls) != 1 {
		t.Fatalf("setWebhook calls: %v", calls)
	}
	hookURL, _ = calls[0].Body["url"].(string)
	token, _ = calls[0].Body["secret_token"].(string)
	if hookURL != p.base+"/hooks/channels/"+ch["id"].(string) || token == "" {
		t.Fatalf("setWebhook body: %v", calls[0].Body)
	}
	return hookURL, token
}

var greeter = map[string]any{"name": "Support", "engine": "builtin", "config": map[string]any{
	"intents":  []any{map[string]any{"name": "greet", "examples": []any{"hello", "hi"}, "responses": []any{"Hello! How can I help?"}}},
	"fallback": "Sorry, I did not get that."}}

// TestTelegramEndToEnd runs the real binary against a fake Telegram: the
// channel is registered, a signed update comes in, the bot's reply goes out
// at sendMessage, a repeated update is dropped, and the events tell it all
// in order.
func TestTelegramEndToEnd(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	p := serve(t, "SWITCHBOARD_DATA_DIR="+filepath.Join(t.TempDir(), "data"), "SWITCHBOARD_BOOTSTRAP_KEY="+e2eKey,
		"SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true") // the fake Bot API is on loopback
	hookURL, token := telegramChannel(t, p, tg, greeter)

	if st, _ := p.post(t, hookURL, "", telegramtest.Update(5001, 42, "Ada", "hello")); st != 401 {
		t.Fatalf("an unsigned update answered %d, want 401", st)
	}
	update := telegramtest.Update(5002, 42, "Ada", "hello")
	if st, got := p.post(t, hookURL, "", update, telegram.HeaderSecretToken, token); st != 200 || len(got) != 0 {
		t.Fatalf("update: %d %v", st, got)
	}
	calls := tg.Wait("sendMessage", 1, 60*time.Second)
	if len(calls) != 1 || calls[0].ChatID() != "42" || calls[0].Text() != "Hello! How can I help?" || calls[0].Token != "123:E2E" {
		t.Fatalf("sendMessage: %+v", calls)
	}
	p.events(t, 4) // the reply is recorded
	// Telegram retries the same update; then the user writes again.
	if st, _ := p.post(t, hookURL, "", update, telegram.HeaderSecretToken, token); st != 200 {
		t.Fatalf("repeat: %d", st)
	}
	p.post(t, hookURL, "", telegramtest.Update(5003, 42, "Ada", "what?"), telegram.HeaderSecretToken, token)
	calls = tg.Wait("sendMessage", 2, 60*time.Second)
	want := []string{
		"integration.connected",
		"conversation.started", "message.received", "message.sent",
		"message.received", "message.sent",
	}
	got := p.events(t, len(want))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events:\n got %v\nwant %v", got, want)
	}
	if len(tg.Calls("sendMessage")) != 2 || calls[1].Text() != "Sorry, I did not get that." {
		t.Fatalf("replies: %+v", tg.Calls("sendMessage"))
	}
	res, err := http.Get(p.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, line := range []string{
		`switchboard_inbound_messages_total{channel_type="telegram",result="stored"} 2`,
		`switchboard_inbound_messages_total{channel_type="telegram",result="duplicate"} 1`,
		`switchboard_sends_total{channel_type="telegram",outcome="sent"} 2`,
	} {
		if !strings.Contains(string(metrics), line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	p.stop(t)
}

// TestPlatformDownEndsFailed: a Telegram that answers 500 forever ends in
// message.failed with its error once the (short) schedule is spent.
func TestPlatformDownEndsFailed(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	tg.SetReply(func(c telegramtest.Call, n int) telegramtest.Reply {
		if c.Method == "sendMessage" {
			return telegramtest.Error500
		}
		return telegramtest.Reply{}
	})
	p := serve(t, "SWITCHBOARD_DATA_DIR="+t.TempDir(), "SWITCHBOARD_BOOTSTRAP_KEY="+e2eKey,
		"SWITCHBOARD_SEND_RETRY_SCHEDULE=10ms,20ms,40ms", "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true")
	hookURL, token := telegramChannel(t, p, tg, greeter)
	p.post(t, hookURL, "", telegramtest.Update(1, 42, "Ada", "hello"), telegram.HeaderSecretToken, token)
	got := p.events(t, 4)
	if strings.Join(got, " ") != "integration.connected conversation.started message.received message.failed" {
		t.Fatalf("events: %v", got)
	}
	if n := len(tg.Calls("sendMessage")); n != 4 {
		t.Fatalf("%d attempts, want 4", n)
	}
	_, list := p.call(t, "GET", "/api/v1/events?type=message.failed", e2eKey, "")
	msg := list["data"].([]any)[0].(map[string]any)["data"].(map[string]any)["message"].(map[string]any)
	if msg["status"] != "failed" || msg["error"] != "platform answered 500: Internal Server Error" {
		t.Fatalf("failed message: %v", msg)
	}
	p.stop(t)
}

// TestKilledDuringBotTurnResumes kills the process (SIGKILL) while a
// webhook bot's service is thinking; the restarted process asks the
// service again (same webhook-id) and sends the one reply, once.
func TestKilledDuringBotTurnResumes(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	var mu sync.Mutex
	var ids []string
	arrived, release := make(chan struct{}), make(chan struct{})
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		ids = append(ids, r.Header.Get("webhook-id"))
		first := len(ids) == 1
		mu.Unlock()
		if first {
			close(arrived)
			<-release // the caller is killed meanwhile
			return
		}
		io.WriteString(w, `{"replies":[{"text":"Thought about it."}]}`)
	}))
	defer service.Close()
	defer close(release)

	env := []string{"SWITCHBOARD_DATA_DIR=" + t.TempDir(), "SWITCHBOARD_BOOTSTRAP_KEY=" + e2eKey, "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true"}
	p := serve(t, env...)
	hookURL, token := telegramChannel(t, p, tg, map[string]any{"name": "Remote", "engine": "webhook", "config": map[string]any{"url": service.URL}})
	if st, _ := p.post(t, hookURL, "", telegramtest.Update(1, 42, "Ada", "hello"), telegram.HeaderSecretToken, token); st != 200 {
		t.Fatal(st)
	}
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		t.Fatal("the bot's service was never called")
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done

	again := serve(t, env...)
	calls := tg.Wait("sendMessage", 1, 60*time.Second)
	if len(calls) != 1 || calls[0].Text() != "Thought about it." {
		t.Fatalf("after the restart: %+v", calls)
	}
	got := again.events(t, 4)
	if strings.Join(got, " ") != "integration.connected conversation.started message.received message.sent" {
		t.Fatalf("events: %v", got)
	}
	mu.Lock()
	if len(ids) != 2 || ids[0] != ids[1] {
		t.Fatalf("webhook-ids: %v", ids)
	}
	mu.Unlock()
	if n := len(tg.Calls("sendMessage")); n != 1 {
		t.Fatalf("%d replies, want 1", n)
	}
	again.stop(t)
}
