package main

import (
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
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// deskCall is one request to the fake help desk.
type deskCall struct {
	Method, Path string
	Header       http.Header
	Body         map[string]any
	At           time.Time
}

// desk is a fake help desk on loopback: POST /{path} opens a ticket. What
// it answers is up to the test (answer, by path and call number); by
// default 201 with the ticket.
type desk struct {
	srv    *httptest.Server
	mu     sync.Mutex
	calls  map[string][]deskCall
	answer func(w http.ResponseWriter, r *http.Request, n int) bool // true: answered
}

func newDesk(t *testing.T) *desk {
	d := &desk{calls: map[string][]deskCall{}}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		c := deskCall{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), At: time.Now()}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &c.Body); err != nil {
				http.Error(w, `{"error":"the body is not JSON"}`, http.StatusBadRequest)
				c.Body = map[string]any{"invalid": string(raw)}
			}
		}
		d.mu.Lock()
		d.calls[r.URL.Path] = append(d.calls[r.URL.Path], c)
		n := len(d.calls[r.URL.Path])
		answer := d.answer
		d.mu.Unlock()
		if answer != nil && answer(w, r, n) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":`+itoa(n)+`,"status":"open"}`)
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func (d *desk) get(path string) []deskCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]deskCall(nil), d.calls[path]...)
}

// wait waits for n calls to path.
func (d *desk) wait(t *testing.T, path string, n int) []deskCall {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if c := d.get(path); len(c) >= n {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d calls after 60s, want %d", path, len(d.get(path)), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// json sends a JSON body and decodes the answer.
func (p *process) json(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	raw := ""
	if body != nil {
		b, _ := json.Marshal(body)
		raw = string(b)
	}
	return p.call(t, method, path, e2eKey, raw)
}

// waitRun waits until the run is no longer queued and returns it.
func (p *process) waitRun(t *testing.T, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		st, run := p.json(t, "GET", "/api/v1/runs/"+id, nil)
		if st != 200 {
			t.Fatalf("GET run: %d %v", st, run)
		}
		if run["status"] == "succeeded" || run["status"] == "failed" {
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("run still %v after 90s: %v", run["status"], run)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// httpIntegration creates an http integration calling the desk at path.
func httpIntegration(t *testing.T, p *process, d *desk, path string, extra map[string]any) map[string]any {
	t.Helper()
	config := map[string]any{
		"url":     d.srv.URL + path,
		"headers": map[string]string{"Authorization": "Bearer desk-token"},
		"body":    `{"subject": "{{params.subject}}", "conversation": "{{params.conversation}}"}`,
	}
	for k, v := range extra {
		config[k] = v
	}
	in := p.create(t, "/api/v1/integrations", map[string]any{"type": "http", "name": "Help desk", "config": config})
	if cfg := in["config"].(map[string]any); cfg["headers"] != nil || in["status"] != "connected" {
		t.Fatalf("created: %v (headers are write-only)", in)
	}
	return in
}

// runAction runs the call action and returns the run's id.
func runAction(t *testing.T, p *process, integrationID string, params map[string]any) string {
	t.Helper()
	st, run := p.json(t, "POST", "/api/v1/integrations/"+integrationID+"/actions/call", map[string]any{"params": params})
	if st != 202 || run["status"] != "queued" {
		t.Fatalf("run: %d %v", st, run)
	}
	return run["id"].(string)
}

func attempts(run map[string]any) []map[string]any {
	var out []map[string]any
	for _, a := range run["attempts"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

// forDialects runs f on SQLite and on PostgreSQL, each with a fresh
// database, and returns nothing: f starts its own processes with env.
func forDialects(t *testing.T, f func(t *testing.T, env []string)) {
	t.Run("sqlite", func(t *testing.T) {
		f(t, []string{"SWITCHBOARD_DATA_DIR=" + filepath.Join(t.TempDir(), "data")})
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, []string{"SWITCHBOARD_DATA_DIR=" + t.TempDir(), "SWITCHBOARD_DATABASE_URL=" + pgtest.URL(t)})
	})
}

var integrationEnv = []string{"SWITCHBOARD_BOOTSTRAP_KEY=" + e2eKey, "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true",
	"SWITCHBOARD_INTEGRATION_RETRY_SCHEDULE=100ms,100ms,100ms"}

// TestActionRuns runs http actions against a fake help desk through the
// binary: a 503 is retried and then succeeds, a 429's Retry-After is
// waited for, a 401 sets the integration's status to error with
// integration.disconnected, and retries run out with
// integration.sync_failed. Every attempt of a run carries the same
// idempotency key, and is logged.
func TestActionRuns(t *testing.T) {
	forDialects(t, func(t *testing.T, env []string) {
		d := newDesk(t)
		d.answer = func(w http.ResponseWriter, r *http.Request, n int) bool {
			switch {
			case r.URL.Path == "/flaky" && n == 1:
				http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
			case r.URL.Path == "/limited" && n == 1:
				w.Header().Set("Retry-After", "2")
				http.Error(w, `{"error":"slow down"}`, http.StatusTooManyRequests)
			case r.URL.Path == "/refused":
				http.Error(w, `{"error":"invalid token"}`, http.StatusUnauthorized)
			case r.URL.Path == "/down":
				http.Error(w, `{"error":"down"}`, http.StatusInternalServerError)
			default:
				return false
			}
			return true
		}
		p := serve(t, append(env, integrationEnv...)...)

		// 503, then 201: two attempts, one idempotency key.
		flaky := httpIntegration(t, p, d, "/flaky", nil)
		run := p.waitRun(t, runAction(t, p, flaky["id"].(string), map[string]any{"subject": `Printer "on fire"`, "conversation": "none"}))
		calls := d.get("/flaky")
		as := attempts(run)
		if run["status"] != "succeeded" || len(calls) != 2 || len(as) != 2 || as[0]["status_code"] != 503.0 || as[1]["status_code"] != 201.0 {
			t.Fatalf("flaky: run %v, %d calls", run, len(calls))
		}
		key := run["idempotency_key"].(string)
		for _, c := range calls {
			if c.Header.Get("Idempotency-Key") != key || c.Header.Get("Authorization") != "Bearer desk-token" ||
				c.Body["subject"] != `Printer "on fire"` || c.Method != "POST" {
				t.Fatalf("call: %+v (key %s)", c, key)
			}
		}
		if res := run["result"].(map[string]any); res["id"] != 2.0 || !strings.Contains(as[0]["response_head"].(string), "busy") {
			t.Fatalf("result %v, attempts %v", res, as)
		}

		// 429 with Retry-After: 2 is waited for, not the 100ms of the schedule.
		limited := httpIntegration(t, p, d, "/limited", nil)
		run = p.waitRun(t, runAction(t, p, limited["id"].(string), map[string]any{"subject": "s", "conversation": "c"}))
		calls = d.get("/limited")
		if run["status"] != "succeeded" || len(calls) != 2 {
			t.Fatalf("limited: %v", run)
		}
		if gap := calls[1].At.Sub(calls[0].At); gap < 2*time.Second {
			t.Fatalf("the retry came %v after a 429 with Retry-After: 2", gap)
		}

		// 401: no retry; status error; integration.disconnected.
		refused := httpIntegration(t, p, d, "/refused", nil)
		run = p.waitRun(t, runAction(t, p, refused["id"].(string), map[string]any{"subject": "s", "conversation": "c"}))
		if run["status"] != "failed" || len(d.get("/refused")) != 1 || !strings.Contains(run["error"].(string), "invalid token") {
			t.Fatalf("refused: %v", run)
		}
		if _, in := p.json(t, "GET", "/api/v1/integrations/"+refused["id"].(string), nil); in["status"] != "error" {
			t.Fatalf("after a 401 the integration is %v", in["status"])
		}
		ev := p.event(t, "integration.disconnected", refused["id"].(string))
		if !strings.Contains(ev["reason"].(string), "refused the credentials") {
			t.Fatalf("integration.disconnected: %v", ev)
		}

		// 500 every time: 4 attempts, then integration.sync_failed.
		down := httpIntegration(t, p, d, "/down", nil)
		runID := runAction(t, p, down["id"].(string), map[string]any{"subject": "s", "conversation": "c"})
		run = p.waitRun(t, runID)
		if run["status"] != "failed" || len(d.get("/down")) != 4 || len(attempts(run)) != 4 {
			t.Fatalf("down: %d calls, run %v", len(d.get("/down")), run)
		}
		ev = p.event(t, "integration.sync_failed", down["id"].(string))
		if ev["run"].(map[string]any)["id"] != runID {
			t.Fatalf("integration.sync_failed: %v", ev)
		}
		if st, runs := p.json(t, "GET", "/api/v1/integrations/"+down["id"].(string)+"/runs", nil); st != 200 || len(runs["data"].([]any)) != 1 {
			t.Fatalf("runs: %d %v", st, runs)
		}
	})
}

// event waits for an event of type typ about the integration id and
// returns its data.
func (p *process) event(t *testing.T, typ, integrationID string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, got := p.json(t, "GET", "/api/v1/events?limit=200&type="+typ, nil)
		for _, e := range got["data"].([]any) {
			data := e.(map[string]any)["data"].(map[string]any)
			if data["integration"].(map[string]any)["id"] == integrationID {
				return data
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s event for %s", typ, integrationID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestActionRunCrash kills the server (SIGKILL) while the help desk is
// answering a run's call; the next start runs it again with the same
// idempotency key, so that the desk can tell it is the same ticket.
func TestActionRunCrash(t *testing.T) {
	d := newDesk(t)
	arrived := make(chan struct{}, 1)
	d.answer = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			arrived <- struct{}{}
			<-r.Context().Done() // never answered: the server dies meanwhile
			return true
		}
		return false
	}
	env := append([]string{"SWITCHBOARD_DATA_DIR=" + filepath.Join(t.TempDir(), "data")}, integrationEnv...)
	p := serve(t, env...)
	in := httpIntegration(t, p, d, "/tickets", nil)
	runID := runAction(t, p, in["id"].(string), map[string]any{"subject": "s", "conversation": "c"})
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		t.Fatal("the run never called the desk")
	}
	_ = p.cmd.Process.Kill()
	<-p.done

	again := serve(t, env...)
	run := again.waitRun(t, runID)
	calls := d.get("/tickets")
	if run["status"] != "succeeded" || len(calls) != 2 {
		t.Fatalf("after the restart: %d calls, run %v", len(calls), run)
	}
	if k1, k2 := calls[0].Header.Get("Idempotency-Key"), calls[1].Header.Get("Idempotency-Key"); k1 == "" || k1 != k2 {
		t.Fatalf("idempotency keys %q and %q", k1, k2)
	}
	again.stop(t)
}

// TestAutomationRunsOnceAcrossProcesses: two servers on one PostgreSQL
// database; conversations ended through either run the automation's
// action exactly once each.
func TestAutomationRunsOnceAcrossProcesses(t *testing.T) {
	d := newDesk(t)
	env := append([]string{"SWITCHBOARD_DATABASE_URL=" + pgtest.URL(t), "SWITCHBOARD_SECRET_KEY=one key for both processes"}, integrationEnv...)
	p1 := serve(t, append([]string{"SWITCHBOARD_DATA_DIR=" + t.TempDir()}, env...)...)
	p2 := serve(t, append([]string{"SWITCHBOARD_DATA_DIR=" + t.TempDir()}, env...)...)
	in := httpIntegration(t, p1, d, "/leads", nil)
	auto := p1.create(t, "/api/v1/automations", map[string]any{
		"name": "Ended chats", "event_types": []string{"conversation.ended"},
		"filter":         map[string]any{"data.conversation.status": "ended"},
		"integration_id": in["id"], "action": "call",
		"params": map[string]any{"subject": "Chat ended", "conversation": "{{event.data.conversation.id}}"},
	})
	if auto["enabled"] != true {
		t.Fatalf("automation: %v", auto)
	}
	ch := p1.create(t, "/api/v1/channels", map[string]any{"type": "api", "name": "App",
		"config": map[string]any{"callback_url": d.srv.URL + "/callback"}})
	const n = 6
	ended := map[string]bool{}
	for i := range n {
		p := []*process{p1, p2}[i%2]
		conv := p.create(t, "/api/v1/conversations", map[string]any{"channel_id": ch["id"], "user_id": "user-" + itoa(i)})
		if st, got := p.json(t, "PUT", "/api/v1/conversations/"+conv["id"].(string), map[string]any{"status": "ended"}); st != 200 {
			t.Fatalf("end: %d %v", st, got)
		}
		ended[conv["id"].(string)] = true
	}
	d.wait(t, "/leads", n)
	time.Sleep(3 * time.Second) // time for a second run, if there were one
	calls := d.get("/leads")
	seen := map[string]bool{}
	for _, c := range calls {
		id, _ := c.Body["conversation"].(string)
		if !ended[id] || seen[id] {
			t.Fatalf("calls: %+v", calls)
		}
		seen[id] = true
	}
	if len(calls) != n {
		t.Fatalf("%d calls for %d ended conversations", len(calls), n)
	}
	_, runs := p2.json(t, "GET", "/api/v1/integrations/"+in["id"].(string)+"/runs", nil)
	if got := runs["data"].([]any); len(got) != n || got[0].(map[string]any)["trigger"] != "automation" {
		t.Fatalf("runs: %v", runs)
	}
}

// TestHandoffOpensTicket is the README's recipe: when a conversation is
// handed to a person, an http action opens a ticket in the help desk with
// the conversation's transcript.
func TestHandoffOpensTicket(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	d := newDesk(t)
	p := serve(t, append([]string{"SWITCHBOARD_DATA_DIR=" + filepath.Join(t.TempDir(), "data")}, integrationEnv...)...)
	hookURL, token := telegramChannel(t, p, tg, greeter)
	desk := p.create(t, "/api/v1/integrations", map[string]any{"type": "http", "name": "Help desk", "config": map[string]any{
		"url":     d.srv.URL + "/api/v2/tickets",
		"headers": map[string]string{"Authorization": "Basic ZGVzazp0b2tlbg=="},
		"body":    `{"ticket": {"subject": "Chat with {{contact.name}}", "comment": {"body": "{{conversation.transcript}}"}, "external_id": "{{conversation.id}}"}}`,
	}})
	p.create(t, "/api/v1/automations", map[string]any{
		"name": "Ticket on handoff", "event_types": []string{"conversation.updated"},
		"filter":         map[string]any{"data.conversation.status": "handoff", "data.changes.field": "status"},
		"integration_id": desk["id"], "action": "call",
	})
	if st, _ := p.post(t, hookURL, "", telegramtest.Update(7001, 42, "Ada", "hello"), telegram.HeaderSecretToken, token); st != 200 {
		t.Fatal("update refused")
	}
	tg.Wait("sendMessage", 1, 60*time.Second)
	_, convs := p.json(t, "GET", "/api/v1/conversations", nil)
	conv := convs["data"].([]any)[0].(map[string]any)
	p.events(t, 4) // the reply is recorded
	if st, got := p.json(t, "PUT", "/api/v1/conversations/"+conv["id"].(string), map[string]any{"status": "handoff", "assignee": "ann@example.com"}); st != 200 {
		t.Fatalf("handoff: %d %v", st, got)
	}
	calls := d.wait(t, "/api/v2/tickets", 1)
	ticket, _ := calls[0].Body["ticket"].(map[string]any)
	comment, _ := ticket["comment"].(map[string]any)
	if ticket["subject"] != "Chat with Ada" || ticket["external_id"] != conv["id"] ||
		comment["body"] != "contact: hello\nbot: Hello! How can I help?" || calls[0].Header.Get("Authorization") != "Basic ZGVzazp0b2tlbg==" {
		t.Fatalf("ticket: %+v", calls[0])
	}
	time.Sleep(time.Second)
	if len(d.get("/api/v2/tickets")) != 1 {
		t.Fatal("the handoff opened more than one ticket")
	}
}
