package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

const deliveryKey = "sbk_delivery-end-to-end-key-0001"

// receipt is one request a sink got.
type receipt struct {
	event    string // webhook-id
	endpoint string // the sink path: one per endpoint
	attempt  int    // X-Attempt
	phase    int    // the sink's phase when it arrived
}

func (r receipt) key() string { return r.event + " " + r.endpoint }

// e2eSink receives deliveries on loopback for several endpoints (one path
// each), notes every request and any overlap of two requests for the same
// delivery, and answers with status(r) after delay.
type e2eSink struct {
	srv      *httptest.Server
	mu       sync.Mutex
	got      []receipt
	inFlight map[string]bool
	overlaps []string
	phase    atomic.Int32
	delay    atomic.Int64 // nanoseconds
	status   func(r receipt) int
	hold     chan struct{} // if not nil, requests wait for it to close
	started  chan struct{} // one value per request, if not nil
}

func newE2ESink(t *testing.T) *e2eSink {
	s := &e2eSink{inFlight: map[string]bool{}, status: func(receipt) int { return 200 }}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *e2eSink) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	n, _ := strconv.Atoi(r.Header.Get("X-Attempt"))
	rc := receipt{event: r.Header.Get("webhook-id"), endpoint: r.URL.Path, attempt: n, phase: int(s.phase.Load())}
	s.mu.Lock()
	if s.inFlight[rc.key()] {
		s.overlaps = append(s.overlaps, rc.key())
	}
	s.inFlight[rc.key()] = true
	s.got = append(s.got, rc)
	s.mu.Unlock()
	if s.started != nil {
		s.started <- struct{}{}
	}
	if s.hold != nil {
		<-s.hold
	}
	time.Sleep(time.Duration(s.delay.Load()))
	s.mu.Lock()
	delete(s.inFlight, rc.key())
	s.mu.Unlock()
	w.WriteHeader(s.status(rc))
}

// quiesce waits until no request is in flight and none has arrived for a
// while (it orders phases; it measures nothing).
func (s *e2eSink) quiesce() {
	last, quiet := -1, 0
	for quiet < 40 {
		time.Sleep(5 * time.Millisecond)
		s.mu.Lock()
		n, busy := len(s.got), len(s.inFlight) > 0
		s.mu.Unlock()
		if n != last || busy {
			last, quiet = n, 0
			continue
		}
		quiet++
	}
}

func (s *e2eSink) receipts() []receipt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]receipt(nil), s.got...)
}

// apiClient makes many concurrent API calls over kept-alive connections.
var apiClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// do calls the API and decodes the answer; err is a transport error.
func (p *process) do(method, path string, body any) (int, map[string]any, error) {
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, p.base+path, r)
	req.Header.Set("Authorization", "Bearer "+deliveryKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := apiClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m, nil
}

// must calls the API and fails the test unless the status is want.
func (p *process) must(t *testing.T, want int, method, path string, body any) map[string]any {
	t.Helper()
	st, m, err := p.do(method, path, body)
	if err != nil || st != want {
		t.Fatalf("%s %s: %d %v %v, want %d", method, path, st, m, err, want)
	}
	return m
}

// all pages through a list and returns every item.
func (p *process) all(t *testing.T, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	cursor := ""
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for {
		u := path + sep + "limit=200"
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		page := p.must(t, 200, "GET", u, nil)
		for _, it := range page["data"].([]any) {
			out = append(out, it.(map[string]any))
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// deliveryEnv is the environment of a serve process under delivery load.
func deliveryEnv(dataDir, dbURL string, extra ...string) []string {
	env := []string{
		"SWITCHBOARD_DATA_DIR=" + dataDir,
		"SWITCHBOARD_BOOTSTRAP_KEY=" + deliveryKey,
		"SWITCHBOARD_SECRET_KEY=delivery end-to-end master key",
		"SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true",
		"SWITCHBOARD_RATE_LIMIT=1000000", "SWITCHBOARD_RATE_BURST=1000000",
		"SWITCHBOARD_WEBHOOK_TIMEOUT=2s", "SWITCHBOARD_WEBHOOK_LEASE=4s",
		"SWITCHBOARD_WEBHOOK_POLL_INTERVAL=100ms",
	}
	if dbURL != "" {
		env = append(env, "SWITCHBOARD_DATABASE_URL="+dbURL)
	}
	return append(env, extra...)
}

// endpointFilters are the endpoints the tests subscribe, by sink path.
var endpointFilters = map[string][]string{
	"/all":     nil,
	"/convs":   {"conversation.*"},
	"/updated": {sb.EventConversationUpdated},
}

// setUpDeliveries creates the endpoints on the sink and n conversations,
// and returns the conversation ids.
func setUpDeliveries(t *testing.T, p *process, s *e2eSink, n int) []string {
	t.Helper()
	for path, types := range endpointFilters {
		p.must(t, 201, "POST", "/api/v1/webhooks", map[string]any{"url": s.srv.URL + path, "event_types": types})
	}
	ch := p.must(t, 201, "POST", "/api/v1/channels", map[string]any{"type": "api", "name": "load"})["id"].(string)
	convs := make([]string, n)
	for i := range convs {
		convs[i] = p.must(t, 201, "POST", "/api/v1/conversations", map[string]any{"channel_id": ch, "user_id": fmt.Sprint("u", i)})["id"].(string)
	}
	return convs
}

// churn makes every conversation change status over and over (each change
// is one conversation.updated event) from one goroutine per conversation,
// until stop is closed; it counts the changes the API acknowledged.
func churn(p *process, convs []string, stop chan struct{}, done *sync.WaitGroup, ok *atomic.Int64) {
	for _, id := range convs {
		done.Add(1)
		go func() {
			defer done.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				status := []string{"handoff", "active"}[i%2]
				st, _, err := p.do("PUT", "/api/v1/conversations/"+id, map[string]any{"status": status})
				if err != nil {
					return // the server is gone
				}
				if st == 200 {
					ok.Add(1)
				}
			}
		}()
	}
}

// expected returns the (event, endpoint) pairs the committed events of the
// workspace must reach.
func expected(t *testing.T, p *process) map[string]bool {
	t.Helper()
	want := map[string]bool{}
	for _, ev := range p.all(t, "/api/v1/events") {
		id, typ := ev["id"].(string), ev["event"].(string)
		for path, types := range endpointFilters {
			ep := sb.WebhookEndpoint{EventTypes: types}
			if ep.Matches(typ) {
				want[id+" "+path] = true
			}
		}
	}
	return want
}

// waitDelivered waits until the sink has received every pair in want.
func waitDelivered(t *testing.T, s *e2eSink, want map[string]bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		got := map[string]bool{}
		for _, r := range s.receipts() {
			got[r.key()] = true
		}
		missing := 0
		for k := range want {
			if !got[k] {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d committed deliveries never arrived", missing, len(want))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitSettled waits until no delivery is pending.
func waitSettled(t *testing.T, p *process) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		pending := 0
		for _, ep := range p.all(t, "/api/v1/webhooks") {
			pending += len(p.all(t, "/api/v1/webhooks/"+ep["id"].(string)+"/deliveries?status=pending"))
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still pending", pending)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKill9LosesNoDelivery kills the server (SIGKILL) while thousands of
// deliveries are queued or in flight, restarts it, and proves that every
// committed event reached every matching endpoint, and that the only
// duplicates are attempts that were in flight at the kill: received once
// before it and once after, with the same X-Attempt, their first outcome
// never recorded.
func TestKill9LosesNoDelivery(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			dbURL := ""
			if dialect == "postgres" {
				dbURL = pgtest.URL(t)
			}
			dataDir := filepath.Join(t.TempDir(), "data")
			env := deliveryEnv(dataDir, dbURL, "SWITCHBOARD_WEBHOOK_CONCURRENCY=2")
			s := newE2ESink(t)
			s.delay.Store(int64(40 * time.Millisecond)) // slow: a backlog builds up
			p := serve(t, env...)
			convs := setUpDeliveries(t, p, s, 16)

			stop := make(chan struct{})
			var churners sync.WaitGroup
			var acked atomic.Int64
			churn(p, convs, stop, &churners, &acked)
			for acked.Load() < 2000 {
				time.Sleep(10 * time.Millisecond)
			}
			must(t, p.cmd.Process.Signal(syscall.SIGKILL))
			<-p.done
			close(stop)
			churners.Wait()
			// Requests the dead process sent may still be in the sink's
			// socket buffers: let them land before the next phase begins.
			s.quiesce()
			s.phase.Store(1) // from here on, requests come from the restarted process
			beforeKill := len(s.receipts())

			s.delay.Store(0)
			again := serve(t, env...)
			want := expected(t, again)
			backlog := len(want) - beforeKill
			t.Logf("%s: %d deliveries committed, %d received before the kill, %d acknowledged changes", dialect, len(want), beforeKill, acked.Load())
			if backlog < 1000 {
				t.Fatalf("only %d deliveries were outstanding at the kill; the test needs thousands in flight", backlog)
			}
			waitDelivered(t, s, want)
			waitSettled(t, again)

			// Every delivery ends succeeded after exactly one recorded
			// attempt (the sink always says 200).
			attempts := map[string]int{}
			for _, ep := range again.all(t, "/api/v1/webhooks") {
				u, _ := url.Parse(ep["url"].(string))
				for _, d := range again.all(t, "/api/v1/webhooks/"+ep["id"].(string)+"/deliveries") {
					if d["status"] != "succeeded" {
						t.Fatalf("delivery %v", d)
					}
					attempts[d["event_id"].(string)+" "+u.Path] = int(d["attempt_count"].(float64))
				}
			}
			byKey := map[string][]receipt{}
			for _, r := range s.receipts() {
				if !want[r.key()] {
					t.Fatalf("received %s, which no committed event explains", r.key())
				}
				byKey[r.key()] = append(byKey[r.key()], r)
			}
			dups := 0
			for k, rs := range byKey {
				if attempts[k] != 1 {
					t.Fatalf("%s: %d attempts recorded, want 1", k, attempts[k])
				}
				if len(rs) == 1 {
					continue
				}
				dups++
				if len(rs) != 2 || rs[0].phase != 0 || rs[1].phase != 1 || rs[0].attempt != rs[1].attempt {
					t.Fatalf("%s received %+v: a duplicate that was not an attempt in flight at the kill", k, rs)
				}
			}
			t.Logf("%s: %d duplicates, all attempts in flight at the kill", dialect, dups)
			again.stop(t)
		})
	}
}

// TestTwoProcessesShareDeliveries runs two serve processes on one
// PostgreSQL database. Every first attempt fails, so that the retries are
// picked up by whichever process's recovery loop claims them first; each
// delivery must be attempted by one process at a time: no two requests for
// one delivery overlap, and no attempt number is ever sent twice.
func TestTwoProcessesShareDeliveries(t *testing.T) {
	dbURL := pgtest.URL(t)
	s := newE2ESink(t)
	s.status = func(r receipt) int {
		if r.attempt == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	s.delay.Store(int64(2 * time.Millisecond))
	extra := []string{"SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE=50ms,50ms,50ms", "SWITCHBOARD_WEBHOOK_POLL_INTERVAL=20ms"}
	a := serve(t, deliveryEnv(filepath.Join(t.TempDir(), "a"), dbURL, extra...)...)
	b := serve(t, deliveryEnv(filepath.Join(t.TempDir(), "b"), dbURL, extra...)...)
	convs := setUpDeliveries(t, a, s, 8)

	stop := make(chan struct{})
	var churners sync.WaitGroup
	var acked atomic.Int64
	churn(a, convs[:4], stop, &churners, &acked)
	churn(b, convs[4:], stop, &churners, &acked)
	for acked.Load() < 400 {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	churners.Wait()
	want := expected(t, a)
	waitDelivered(t, s, want)
	waitSettled(t, a)
	s.mu.Lock()
	overlaps := s.overlaps
	s.mu.Unlock()
	if len(overlaps) > 0 {
		t.Fatalf("%d requests overlapped another request for the same delivery, e.g. %s", len(overlaps), overlaps[0])
	}
	attempts := map[string][]int{}
	for _, r := range s.receipts() {
		attempts[r.key()] = append(attempts[r.key()], r.attempt)
	}
	for k := range want {
		if fmt.Sprint(attempts[k]) != "[1 2]" {
			t.Fatalf("%s: attempts %v, want [1 2] (each attempt made once)", k, attempts[k])
		}
	}
	// Both processes made attempts.
	for name, p := range map[string]*process{"a": a, "b": b} {
		if n := attemptCount(t, p); n == 0 {
			t.Fatalf("process %s made no attempt", name)
		} else {
			t.Logf("process %s made %d of the %d attempts", name, n, 2*len(want))
		}
	}
	a.stop(t)
	b.stop(t)
}

// attemptCount reads how many attempts a process made from its metrics.
func attemptCount(t *testing.T, p *process) int {
	res, err := http.Get(p.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	total := 0
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "switchboard_webhook_attempt_duration_seconds_count") {
			n, _ := strconv.Atoi(line[strings.LastIndex(line, " ")+1:])
			total += n
		}
	}
	return total
}

// TestSIGTERMDrainsDeliveries: SIGTERM lets the attempt in flight finish
// and records it, and releases the queued deliveries, which the next start
// delivers.
func TestSIGTERMDrainsDeliveries(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := deliveryEnv(dataDir, "", "SWITCHBOARD_WEBHOOK_CONCURRENCY=1", "SWITCHBOARD_WEBHOOK_LEASE=1h")
	s := newE2ESink(t)
	s.hold, s.started = make(chan struct{}), make(chan struct{}, 10)
	p := serve(t, env...)
	ep := p.must(t, 201, "POST", "/api/v1/webhooks", map[string]any{"url": s.srv.URL + "/all"})["id"].(string)
	first := p.must(t, 202, "POST", "/api/v1/webhooks/"+ep+"/test", map[string]any{})["id"].(string)
	second := p.must(t, 202, "POST", "/api/v1/webhooks/"+ep+"/test", map[string]any{})["id"].(string)
	<-s.started // the first attempt is in flight, the second queued behind it
	must(t, p.cmd.Process.Signal(syscall.SIGTERM))
	for { // the listener closes once the drain has begun
		if _, err := http.Get(p.base + "/healthz"); err != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(s.hold)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("serve did not exit 0: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if n := len(s.receipts()); n != 1 {
		t.Fatalf("%d requests during the drain, want the one in flight", n)
	}

	again := serve(t, env...)
	d := again.must(t, 200, "GET", "/api/v1/deliveries/"+first, nil)
	if d["status"] != "succeeded" || len(d["attempts"].([]any)) != 1 {
		t.Fatalf("the attempt in flight at SIGTERM: %v", d)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		d = again.must(t, 200, "GET", "/api/v1/deliveries/"+second, nil)
		if d["status"] == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the released delivery was not delivered after the restart: %v", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if rs := s.receipts(); len(rs) != 2 || rs[1].attempt != 1 {
		t.Fatalf("receipts %+v", rs)
	}
	again.stop(t)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
