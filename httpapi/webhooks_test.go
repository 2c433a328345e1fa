package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

func TestWebhookEndpoints(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		created := e.must(201, "POST", "/api/v1/webhooks", e.admin, map[string]any{
			"url": "https://1.2.3.4/hooks", "description": "Orders", "event_types": []string{"message.*", "conversation.ended"},
			"rate_limit_per_second": 20,
		}).obj(t)
		id, _ := created["id"].(string)
		secret, _ := created["secret"].(string)
		if !sb.HasPrefix(id, sb.PrefixEndpoint) || !strings.HasPrefix(secret, "whsec_") || created["status"] != "enabled" ||
			created["rate_limit_per_second"] != float64(20) || created["disabled_reason"] != nil {
			t.Fatalf("created %v", created)
		}
		if key, err := signature.Key(secret); err != nil || len(key) != 32 {
			t.Fatalf("secret %q is not whsec_ + base64 of 32 bytes", secret)
		}
		got := e.must(200, "GET", "/api/v1/webhooks/"+id, e.reader, nil)
		list := e.must(200, "GET", "/api/v1/webhooks", e.reader, nil)
		for _, r := range []*response{got, list} {
			if strings.Contains(string(r.body), secret) || strings.Contains(string(r.body), `"secret"`) {
				t.Fatalf("the secret is shown again: %s", r.body)
			}
		}
		if d := list.data(t); len(d) != 1 || d[0]["id"] != id {
			t.Fatalf("list %s", list.body)
		}
		e.must(404, "GET", "/api/v1/webhooks/"+id, e.other, nil)
		e.call("GET", "/api/v1/webhooks", e.key(e.ws, sb.ScopeReadBots), nil).problem(t, 403, sb.EForbidden, "")
		e.call("POST", "/api/v1/webhooks", e.reader, map[string]any{"url": "https://1.2.3.4/x"}).problem(t, 403, sb.EForbidden, "")

		// Patch: the fields given; disabling records why; enabling clears it.
		p := e.must(200, "PATCH", "/api/v1/webhooks/"+id, e.admin, map[string]any{"event_types": []string{}, "rate_limit_per_second": nil, "status": "disabled"}).obj(t)
		if len(p["event_types"].([]any)) != 0 || p["rate_limit_per_second"] != nil || p["status"] != "disabled" || p["disabled_reason"] == nil || p["description"] != "Orders" {
			t.Fatalf("patched %v", p)
		}
		e.call("POST", "/api/v1/webhooks/"+id+"/test", e.admin, map[string]any{}).problem(t, 409, sb.EConflict, "")
		p = e.must(200, "PATCH", "/api/v1/webhooks/"+id, e.admin, map[string]any{"status": "enabled", "url": "https://1.2.3.5/v2"}).obj(t)
		if p["status"] != "enabled" || p["disabled_reason"] != nil || p["url"] != "https://1.2.3.5/v2" {
			t.Fatalf("re-enabled %v", p)
		}

		// Rotation shows the new secret once and keeps the old one for the grace period.
		rotated := e.must(200, "POST", "/api/v1/webhooks/"+id+"/rotate-secret", e.admin, map[string]any{"grace_period_seconds": 3600}).obj(t)
		secret2, _ := rotated["secret"].(string)
		if !strings.HasPrefix(secret2, "whsec_") || secret2 == secret {
			t.Fatalf("rotated %v", rotated)
		}
		ep, err := e.db.GetEndpoint(context.Background(), e.ws.ID, id)
		must(t, err)
		if s := ep.SigningSecrets(time.Now()); len(s) != 2 || s[0] != secret2 || s[1] != secret {
			t.Fatalf("secrets during the grace period: %v", s)
		}
		secretNoGrace, _ := e.must(200, "POST", "/api/v1/webhooks/"+id+"/rotate-secret", e.admin, map[string]any{"grace_period_seconds": 0}).obj(t)["secret"].(string)
		ep, _ = e.db.GetEndpoint(context.Background(), e.ws.ID, id)
		if s := ep.SigningSecrets(time.Now()); len(s) != 2 {
			t.Fatalf("a rotation without grace drops only the current secret (the earlier grace runs on): %d secrets", len(s))
		}
		secretsAtRest(t, dbURL, secret2)

		// Without a body the rotation takes its default grace of 24 hours:
		// the secret it replaces signs beside the new one.
		secret3, _ := e.must(200, "POST", "/api/v1/webhooks/"+id+"/rotate-secret", e.admin, nil).obj(t)["secret"].(string)
		ep, _ = e.db.GetEndpoint(context.Background(), e.ws.ID, id)
		if s := ep.SigningSecrets(time.Now().Add(23 * time.Hour)); len(s) < 2 || s[0] != secret3 || !slices.Contains(s, secretNoGrace) {
			t.Fatalf("secrets 23 hours after a rotation without a body: %v", s)
		}

		e.must(204, "DELETE", "/api/v1/webhooks/"+id, e.admin, nil)
		e.must(404, "GET", "/api/v1/webhooks/"+id, e.admin, nil)
		e.must(404, "DELETE", "/api/v1/webhooks/"+id, e.admin, nil)
	})
}

// secretsAtRest checks that no stored byte holds the secret in the clear.
func secretsAtRest(t *testing.T, dbURL, secret string) {
	t.Helper()
	var stored [][]byte
	if path, ok := strings.CutPrefix(dbURL, "sqlite://"); ok {
		for _, p := range []string{path, path + "-wal"} {
			b, err := os.ReadFile(p)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			stored = append(stored, b)
		}
	} else {
		db, err := sql.Open("pgx", dbURL)
		must(t, err)
		defer db.Close()
		rows, err := db.Query(`SELECT secrets FROM webhook_endpoints`)
		must(t, err)
		defer rows.Close()
		for rows.Next() {
			var b []byte
			must(t, rows.Scan(&b))
			stored = append(stored, b)
		}
		if len(stored) == 0 {
			t.Fatal("no endpoint secrets stored")
		}
	}
	key := strings.TrimPrefix(secret, "whsec_")
	for _, b := range stored {
		if bytes.Contains(b, []byte(key)) {
			t.Fatal("an endpoint secret is stored in the clear")
		}
	}
}

// TestWebhookURLChecks: bad URLs and, by default, loopback, private and
// metadata addresses are refused with a 400 naming url; event type
// filters and the rate limit are checked.
func TestWebhookURLChecks(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	for _, u := range []string{
		"", "ftp://1.2.3.4/x", "/relative", "https://user:pw@1.2.3.4/x", "http://127.0.0.1:8080/hook", "http://localhost/hook",
		"http://169.254.169.254/latest/meta-data", "http://10.0.0.7/x", "http://[::1]/x", "http://2130706433/x",
	} {
		e.call("POST", "/api/v1/webhooks", e.admin, map[string]any{"url": u}).problem(t, 400, sb.EInvalid, "url")
	}
	r := e.call("POST", "/api/v1/webhooks", e.admin, map[string]any{"url": "http://127.0.0.1:9/x"})
	if !strings.Contains(string(r.body), "loopback") {
		t.Fatalf("the refusal does not say why: %s", r.body)
	}
	e.call("POST", "/api/v1/webhooks", e.admin, map[string]any{"url": "https://1.2.3.4/x", "event_types": []string{"message.*", "nope"}}).
		problem(t, 400, sb.EInvalid, "event_types[1]")
	e.call("POST", "/api/v1/webhooks", e.admin, map[string]any{"url": "https://1.2.3.4/x", "rate_limit_per_second": 0}).
		problem(t, 400, sb.EInvalid, "rate_limit_per_second")
	id := e.must(201, "POST", "/api/v1/webhooks", e.admin, map[string]any{"url": "https://1.2.3.4/x"}).str(t, "id")
	e.call("PATCH", "/api/v1/webhooks/"+id, e.admin, map[string]any{"url": "http://192.168.1.1/"}).problem(t, 400, sb.EInvalid, "url")
	e.call("PATCH", "/api/v1/webhooks/"+id, e.admin, map[string]any{"url": nil}).problem(t, 400, sb.EInvalid, "url")
	e.call("POST", "/api/v1/webhooks/"+id+"/replay", e.admin, map[string]any{"since": "yesterday"}).problem(t, 400, sb.EInvalid, "since")
	e.call("POST", "/api/v1/webhooks/"+id+"/replay", e.admin, map[string]any{"since": "2026-01-01T00:00:00Z", "status": "pending"}).problem(t, 400, sb.EInvalid, "status")
	e.call("GET", "/api/v1/webhooks/"+id+"/deliveries?status=lost", e.admin, nil).problem(t, 400, sb.EInvalid, "status")
	e.call("GET", "/api/v1/webhooks/"+id+"/deliveries?event_id=x", e.admin, nil).problem(t, 400, sb.EInvalid, "event_id")
	e.call("GET", "/api/v1/webhooks/"+id+"/deliveries?cursor=Ym90XzE", e.admin, nil).problem(t, 400, sb.EInvalid, "cursor")
	e.call("GET", "/api/v1/webhooks/ep_01ARZ3NDEKTSV4RRFFQ69G5FAV/deliveries", e.admin, nil).problem(t, 404, sb.ENotFound, "")
	e.call("GET", "/api/v1/deliveries/nope", e.admin, nil).problem(t, 404, sb.ENotFound, "")

	// With SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE, loopback is fine.
	private := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db", envOptions{rate: 1000, burst: 1000, allowPrivate: true})
	private.must(201, "POST", "/api/v1/webhooks", private.admin, map[string]any{"url": "http://127.0.0.1:8080/hook"})
}

// recorder is a loopback receiver.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
	fail bool
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs, rec.body = append(rec.reqs, r), append(rec.body, b)
		fail := rec.fail
		rec.mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("upstream down"))
			return
		}
		_, _ = w.Write([]byte("thanks"))
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (r *recorder) setFail(v bool) {
	r.mu.Lock()
	r.fail = v
	r.mu.Unlock()
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// startDispatcher runs the env's dispatcher.
func (e *env) startDispatcher(t *testing.T) {
	e.disp.Start(context.Background())
	t.Cleanup(func() { _ = e.disp.Stop(context.Background()) })
}

// delivered waits for a delivery to leave pending and returns it with its
// attempts.
func (e *env) delivered(t *testing.T, id string, attempts int) map[string]any {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		d := e.must(200, "GET", "/api/v1/deliveries/"+id, e.reader, nil).obj(t)
		if d["status"] != "pending" && len(d["attempts"].([]any)) >= attempts {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s still %v", id, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWebhookDeliveries drives test events, the attempt log, retry and
// replay through the API with a dispatcher and a loopback receiver.
func TestWebhookDeliveries(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL, envOptions{rate: 10000, burst: 10000, allowPrivate: true})
		e.startDispatcher(t)
		rec := newRecorder(t)
		ep := e.must(201, "POST", "/api/v1/webhooks", e.admin, map[string]any{"url": rec.srv.URL + "/in", "event_types": []string{"bot.*"}}).obj(t)
		id, secret := ep["id"].(string), ep["secret"].(string)

		d := e.must(202, "POST", "/api/v1/webhooks/"+id+"/test", e.admin, map[string]any{"message": "ping"}).obj(t)
		if d["status"] != "pending" || d["event_type"] != "webhook.test" || d["endpoint_id"] != id {
			t.Fatalf("test delivery %v", d)
		}
		got := e.delivered(t, d["id"].(string), 1)
		a := got["attempts"].([]any)[0].(map[string]any)
		if got["status"] != "succeeded" || a["status_code"] != float64(200) || a["response_body"] != "thanks" || a["number"] != float64(1) {
			t.Fatalf("delivered %v", got)
		}
		key, _ := signature.Key(secret)
		rec.mu.Lock()
		req, body := rec.reqs[0], rec.body[0]
		rec.mu.Unlock()
		if err := signature.Verify(key, req.Header, body, time.Now(), time.Minute); err != nil || !strings.Contains(string(body), `"message":"ping"`) {
			t.Fatalf("test event %s: %v", body, err)
		}

		// A failing receiver: the attempt log shows why; retry succeeds
		// with the same webhook-id and the next X-Attempt.
		rec.setFail(true)
		var failed []string
		for range 3 {
			failed = append(failed, e.must(202, "POST", "/api/v1/webhooks/"+id+"/test", e.admin, nil).str(t, "id")) // no body: the default message
		}
		for _, fid := range failed {
			got := e.delivered(t, fid, 1)
			a := got["attempts"].([]any)[0].(map[string]any)
			if got["status"] != "failed" || got["last_status_code"] != float64(502) || a["response_body"] != "upstream down" {
				t.Fatalf("failed delivery %v", got)
			}
		}
		list := e.must(200, "GET", "/api/v1/webhooks/"+id+"/deliveries?status=failed", e.reader, nil).data(t)
		if len(list) != 3 || list[0]["id"] != failed[2] {
			t.Fatalf("failed deliveries %v", list)
		}
		rec.setFail(false)
		r := e.must(202, "POST", "/api/v1/deliveries/"+failed[0]+"/retry", e.admin, nil).obj(t) // an action without a body
		if r["status"] != "pending" {
			t.Fatalf("retried %v", r)
		}
		got = e.delivered(t, failed[0], 2)
		if got["status"] != "succeeded" || got["attempt_count"] != float64(2) {
			t.Fatalf("after retry %v", got)
		}
		rec.mu.Lock()
		attempts := map[string][]string{}
		for _, r := range rec.reqs {
			id := r.Header.Get("webhook-id")
			attempts[id] = append(attempts[id], r.Header.Get("X-Attempt"))
		}
		last := rec.reqs[len(rec.reqs)-1].Header.Get("webhook-id")
		rec.mu.Unlock()
		if strings.Join(attempts[last], ",") != "1,2" || last != got["event_id"] {
			t.Fatalf("the retried event %s was sent with X-Attempt %v", last, attempts[last])
		}

		// Replay the other two failures.
		replayed := e.must(202, "POST", "/api/v1/webhooks/"+id+"/replay", e.admin, map[string]any{"since": time.Now().Add(-time.Hour).Format(time.RFC3339)}).obj(t)
		if replayed["replayed"] != float64(2) {
			t.Fatalf("replayed %v", replayed)
		}
		for _, fid := range failed[1:] {
			if got := e.delivered(t, fid, 2); got["status"] != "succeeded" {
				t.Fatalf("after replay %v", got)
			}
		}
		if n := len(e.must(200, "GET", "/api/v1/webhooks/"+id+"/deliveries?status=failed", e.reader, nil).data(t)); n != 0 {
			t.Fatalf("%d deliveries still failed", n)
		}
		// The event filter decides what else arrives: bot.* only.
		before := rec.count()
		e.conversationFixture(t) // conversation.started
		if n := len(e.must(200, "GET", "/api/v1/webhooks/"+id+"/deliveries?limit=200", e.reader, nil).data(t)); n != 4 {
			t.Fatalf("%d deliveries, want the 4 test events only", n)
		}
		if rec.count() != before {
			t.Fatal("an unsubscribed event was delivered")
		}
		// A disabled endpoint refuses retries and replays.
		e.must(200, "PATCH", "/api/v1/webhooks/"+id, e.admin, map[string]any{"status": "disabled"})
		e.call("POST", "/api/v1/deliveries/"+failed[0]+"/retry", e.admin, map[string]any{}).problem(t, 409, sb.EConflict, "")
		e.call("POST", "/api/v1/webhooks/"+id+"/replay", e.admin, map[string]any{"since": "2026-01-01T00:00:00Z"}).problem(t, 409, sb.EConflict, "")
		e.must(404, "GET", "/api/v1/deliveries/"+failed[0], e.other, nil)
	})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
