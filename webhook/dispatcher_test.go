package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/retry"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestDeliveryVerifiedByStandardWebhooks: real deliveries, made during a
// secret rotation's grace period, are accepted by the Standard Webhooks
// project's own Go verifier under both the new and the old secret; the
// simple X-Signature and the other headers are as the contract says.
func TestDeliveryVerifiedByStandardWebhooks(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		h := newHarness(t, url, Config{Clock: sb.SystemClock{}, UserAgent: "Switchboard/1.2.3"})
		s := newSink(t)
		ep := h.endpoint(s.srv.URL + "/hook")
		old := ep.Secrets[0].Secret
		ev := h.event(sb.EventMessageSent)
		waitFor(t, "the first delivery", func() bool { return s.count() == 1 })

		ep.Rotate("whsec_"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)), time.Hour, time.Now())
		must(t, h.db.UpdateEndpoint(h.ctx, ep))
		h.d.endpoints.forget(ep.ID)
		ev2 := h.event(sb.EventMessageSent)
		waitFor(t, "the second delivery", func() bool { return s.count() == 2 })

		got := s.requests()
		for i, secrets := range [][]string{{old}, {ep.Secrets[0].Secret, old}} {
			r := got[i]
			for _, sec := range secrets {
				wh, err := standardwebhooks.NewWebhook(sec)
				must(t, err)
				if err := wh.Verify(r.body, r.header); err != nil {
					t.Errorf("delivery %d: the Standard Webhooks verifier refuses it under %s…: %v", i, sec[:10], err)
				}
			}
			if n := len(strings.Fields(r.header.Get("webhook-signature"))); n != len(secrets) {
				t.Errorf("delivery %d carries %d signatures, want %d", i, n, len(secrets))
			}
			key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secrets[0], "whsec_"))
			mac := hmac.New(sha256.New, key)
			mac.Write(r.body)
			if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); r.header.Get("X-Signature") != want {
				t.Errorf("X-Signature %q, want %q (current key)", r.header.Get("X-Signature"), want)
			}
		}
		r := got[0]
		for name, want := range map[string]string{
			"webhook-id": ev.ID, "X-Idempotency-Key": ev.ID, "X-Attempt": "1",
			"User-Agent": "Switchboard/1.2.3", "Content-Type": "application/json",
		} {
			if v := r.header.Get(name); v != want {
				t.Errorf("%s = %q, want %q", name, v, want)
			}
		}
		if got[1].header.Get("webhook-id") != ev2.ID {
			t.Error("the second delivery's webhook-id is not its event id")
		}
		if ts, _ := strconv.ParseInt(r.header.Get("webhook-timestamp"), 10, 64); time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
			t.Errorf("webhook-timestamp %d is not now", ts)
		}
		var body map[string]any
		must(t, json.Unmarshal(r.body, &body))
		if body["id"] != ev.ID || body["event"] != sb.EventMessageSent || body["version"] != "1.0" ||
			body["workspace_id"] != h.ws.ID || body["data"].(map[string]any)["text"] != "<héllo & bye>" {
			t.Errorf("body %s", r.body)
		}

		d := h.settled(h.deliveries(ep)[0].ID, 1)
		if d.Status != sb.DeliverySucceeded || d.NextAttemptAt != nil || *d.LastStatusCode != 200 {
			t.Fatalf("delivery %+v", d)
		}
		a := h.attempts(d.ID)
		if len(a) != 1 || a[0].Number != 1 || *a[0].StatusCode != 200 || a[0].ResponseBody != `{"ok":true}` || a[0].Error != nil {
			t.Fatalf("attempt log %+v", a[0])
		}
	})
}

// TestRetrySchedule: a receiver that always fails gets the contract's 8
// attempts at the scheduled times (a fake clock stands in for the hours),
// all with the same webhook-id and increasing X-Attempt; the delivery then
// ends failed with every attempt logged.
func TestRetrySchedule(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		for _, tc := range []struct {
			name   string
			jitter float64
			factor float64
		}{{"exact", 0.5, 1}, {"jitter -20%", 0, 0.8}, {"jitter +10%", 0.75, 1.1}} {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t, url, Config{Jitter: func() float64 { return tc.jitter }})
				s := newSink(t)
				s.setRespond(func(w http.ResponseWriter, r *http.Request, n int) {
					w.WriteHeader(http.StatusInternalServerError)
					fmt.Fprintf(w, "down #%d", n)
				})
				ep := h.endpoint(s.srv.URL)
				ev := h.event(sb.EventMessageReceived)
				id := h.deliveries(ep)[0].ID
				for n := 1; n <= len(DefaultSchedule)+1; n++ {
					d := h.settled(id, n)
					if n <= len(DefaultSchedule) {
						delay := time.Duration(float64(DefaultSchedule[n-1]) * tc.factor)
						want := h.clock.Now().Add(delay)
						if d.Status != sb.DeliveryPending || !d.NextAttemptAt.Equal(want) {
							t.Fatalf("after attempt %d: %s next at %v, want %v", n, d.Status, d.NextAttemptAt, want)
						}
						// Not a moment early: the delivery is not due a
						// millisecond before its time.
						h.clock.Advance(delay - time.Millisecond)
						h.d.Poll(h.ctx)
						if c := s.count(); c != n {
							t.Fatalf("attempt %d made early", c)
						}
						h.clock.Advance(time.Millisecond)
						h.d.Poll(h.ctx)
					} else if d.Status != sb.DeliveryFailed || d.NextAttemptAt != nil {
						t.Fatalf("after the last attempt: %+v", d)
					}
				}
				got := s.requests()
				if len(got) != 8 {
					t.Fatalf("%d attempts, want 8", len(got))
				}
				for i, r := range got {
					if r.attempt() != i+1 || r.header.Get("webhook-id") != ev.ID {
						t.Errorf("request %d: X-Attempt %d, webhook-id %s", i, r.attempt(), r.header.Get("webhook-id"))
					}
				}
				log := h.attempts(id)
				if len(log) != 8 || *log[7].StatusCode != 500 || log[7].ResponseBody != "down #8" {
					t.Fatalf("attempt log: %d entries, last %+v", len(log), log[len(log)-1])
				}
			})
		}
	})
}

// TestRetryAfter: 429 and 503 honour Retry-After, capped at twice the next
// scheduled delay; other statuses ignore it.
func TestRetryAfterHonoured(t *testing.T) {
	h := newHarness(t, "sqlite://"+t.TempDir()+"/sb.db", Config{})
	for _, tc := range []struct {
		status     int
		retryAfter string
		want       time.Duration
	}{
		{http.StatusTooManyRequests, "3", 3 * time.Second},
		{http.StatusServiceUnavailable, "3600", 10 * time.Second}, // capped at 2 × 5 s
		{http.StatusTooManyRequests, h.clock.Now().Add(7 * time.Second).UTC().Format(http.TimeFormat), 7 * time.Second},
		{http.StatusInternalServerError, "1", 5 * time.Second},
	} {
		s := newSink(t)
		s.setRespond(func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Retry-After", tc.retryAfter)
			w.WriteHeader(tc.status)
		})
		ep := h.endpoint(s.srv.URL)
		h.event(sb.EventBotTrained)
		d := h.settled(h.deliveries(ep)[0].ID, 1)
		if got := d.NextAttemptAt.Sub(h.clock.Now()); got != tc.want {
			t.Errorf("%d with Retry-After %s: next attempt in %v, want %v", tc.status, tc.retryAfter, got, tc.want)
		}
		ep.Status = sb.EndpointDisabled
		must(t, h.db.UpdateEndpoint(h.ctx, ep))
	}
}

// TestGoneDisablesAtOnce: a 410 ends the delivery and disables the
// endpoint at once; the workspace's other endpoints hear of it; later
// events are not delivered to it and its pending deliveries end failed
// without a request.
func TestGoneDisablesAtOnce(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		h := newHarness(t, url, Config{})
		gone := newSink(t)
		gone.setRespond(func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				w.WriteHeader(http.StatusGone)
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		watcher := newSink(t)
		ep := h.endpoint(gone.srv.URL, "message.*")
		other := h.endpoint(watcher.srv.URL, sb.EventEndpointDisabled)
		h.event(sb.EventMessageSent)
		first := h.settled(h.deliveries(ep)[0].ID, 1)
		if first.Status != sb.DeliveryFailed || *first.LastStatusCode != 410 {
			t.Fatalf("after 410: %+v", first)
		}
		got, err := h.db.GetEndpoint(h.ctx, h.ws.ID, ep.ID)
		must(t, err)
		if got.Status != sb.EndpointDisabled || got.DisabledReason == nil || !strings.Contains(*got.DisabledReason, "410") {
			t.Fatalf("endpoint after 410: %+v", got)
		}
		waitFor(t, "webhook.endpoint.disabled at the other endpoint", func() bool { return watcher.count() == 1 })
		r := watcher.requests()[0]
		var data struct {
			Endpoint struct{ ID, URL, Status string }
			Reason   string
		}
		must(t, json.Unmarshal(r.event.Data, &data))
		if r.event.Type != sb.EventEndpointDisabled || data.Endpoint.ID != ep.ID || data.Endpoint.Status != "disabled" || data.Reason == "" {
			t.Fatalf("announcement %s", r.body)
		}
		if n := len(h.deliveries(other)); n != 1 {
			t.Fatalf("the other endpoint has %d deliveries", n)
		}

		h.event(sb.EventMessageSent)
		if n := len(h.deliveries(ep)); n != 1 {
			t.Fatalf("a disabled endpoint got a new delivery (%d)", n)
		}
		// A delivery made pending again (retry) ends failed, unsent.
		h.retry(first.ID)
		var d *sb.Delivery
		waitFor(t, "the retried delivery to end", func() bool {
			d = h.delivery(first.ID)
			return d.Status == sb.DeliveryFailed
		})
		if d.AttemptCount != 1 || !strings.Contains(*d.LastError, "disabled") || gone.count() != 1 {
			t.Fatalf("delivery to a disabled endpoint: %+v, %d requests", d, gone.count())
		}
	})
}

// TestDisabledAfterFailingForFiveDays: an endpoint whose every attempt
// fails for five days is disabled, and the other endpoints hear of it; a
// success in between starts the count again.
func TestDisabledAfterFailingForFiveDays(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		h := newHarness(t, url, Config{Schedule: retry.Schedule{time.Hour}})
		failing := newSink(t)
		var succeed sync.Map
		failing.setRespond(func(w http.ResponseWriter, r *http.Request, n int) {
			if _, ok := succeed.Load(n); ok {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			w.WriteHeader(http.StatusBadGateway)
		})
		watcher := newSink(t)
		ep := h.endpoint(failing.srv.URL, sb.EventMessageReceived)
		h.endpoint(watcher.srv.URL, sb.EventEndpointDisabled)
		status := func() *sb.WebhookEndpoint {
			e, err := h.db.GetEndpoint(h.ctx, h.ws.ID, ep.ID)
			must(t, err)
			return e
		}
		// One event a day, each failing twice (attempt, retry an hour later).
		day := func(i int) {
			h.event(sb.EventMessageReceived)
			d := h.deliveries(ep)[i]
			h.settled(d.ID, 1)
			h.clock.Advance(time.Hour)
			h.d.Poll(h.ctx)
			h.settled(d.ID, 2)
			h.clock.Advance(23 * time.Hour)
		}
		start := h.clock.Now()
		for i := range 5 {
			day(i)
		}
		if e := status(); e.Status != sb.EndpointEnabled || !e.FailingSince.Equal(start) {
			t.Fatalf("after 5 days less an hour of failures: %s, failing since %v (want %v)", e.Status, e.FailingSince, start)
		}
		// Day 6's first attempt is 5 days after the first failure.
		h.event(sb.EventMessageReceived)
		h.settled(h.deliveries(ep)[5].ID, 1)
		e := status()
		if e.Status != sb.EndpointDisabled || !strings.Contains(*e.DisabledReason, "5 days") {
			t.Fatalf("after 5 days of failures: %s (%v)", e.Status, e.DisabledReason)
		}
		waitFor(t, "the announcement", func() bool { return watcher.count() == 1 })

		// Re-enabled, it fails for four days, succeeds once, fails four
		// more days: still enabled.
		e.Status, e.DisabledReason, e.FailingSince = sb.EndpointEnabled, nil, nil
		must(t, h.db.UpdateEndpoint(h.ctx, e))
		h.d.endpoints.forget(ep.ID)
		base := len(h.deliveries(ep))
		for i := range 4 {
			day(base + i)
		}
		succeed.Store(failing.count()+1, true) // the next request succeeds
		h.event(sb.EventMessageReceived)
		if d := h.settled(h.deliveries(ep)[base+4].ID, 1); d.Status != sb.DeliverySucceeded {
			t.Fatalf("the success: %+v", d)
		}
		if e := status(); e.FailingSince != nil {
			t.Fatalf("a success left failing since %v", e.FailingSince)
		}
		for i := range 4 {
			day(base + 5 + i)
		}
		if e := status(); e.Status != sb.EndpointEnabled {
			t.Fatalf("disabled although it succeeded %s ago", h.clock.Now().Sub(*e.FailingSince))
		}
	})
}

// TestRedirectsNotFollowed: a 3xx is a failed attempt, logged with where
// it pointed, and the target is never called.
func TestRedirectsNotFollowed(t *testing.T) {
	h := newHarness(t, "sqlite://"+t.TempDir()+"/sb.db", Config{})
	target := newSink(t)
	s := newSink(t)
	s.setRespond(func(w http.ResponseWriter, r *http.Request, n int) {
		http.Redirect(w, r, target.srv.URL+"/elsewhere", http.StatusTemporaryRedirect)
	})
	ep := h.endpoint(s.srv.URL)
	h.event(sb.EventMessageSent)
	d := h.settled(h.deliveries(ep)[0].ID, 1)
	a := h.attempts(d.ID)[0]
	if d.Status != sb.DeliveryPending || *a.StatusCode != 307 || a.Error == nil || !strings.Contains(*a.Error, "/elsewhere") {
		t.Fatalf("redirect: %+v %+v", d, a)
	}
	if target.count() != 0 {
		t.Fatal("the redirect was followed")
	}
}

// TestTimeout: an attempt without an answer within the timeout fails and
// is retried.
func TestTimeout(t *testing.T) {
	h := newHarness(t, "sqlite://"+t.TempDir()+"/sb.db", Config{Timeout: 50 * time.Millisecond})
	release := make(chan struct{})
	defer close(release)
	s := newSink(t)
	s.setRespond(func(w http.ResponseWriter, r *http.Request, n int) {
		<-release
	})
	ep := h.endpoint(s.srv.URL)
	h.event(sb.EventMessageSent)
	d := h.settled(h.deliveries(ep)[0].ID, 1)
	a := h.attempts(d.ID)[0]
	if d.Status != sb.DeliveryPending || a.StatusCode != nil || a.Error == nil || !strings.Contains(*a.Error, "timeout") {
		t.Fatalf("timed out attempt: %+v, error %v", a, *a.Error)
	}
}

// TestDefaultPolicyRefusesLoopback: without AllowPrivate a delivery to a
// loopback address is refused at connection time; the sink never hears of
// it.
func TestDefaultPolicyRefusesLoopback(t *testing.T) {
	h := newHarness(t, "sqlite://"+t.TempDir()+"/sb.db", Config{Client: egress.NewClient(egress.Policy{}, time.Second)})
	s := newSink(t)
	ep := h.endpoint(s.srv.URL)
	h.event(sb.EventMessageSent)
	d := h.settled(h.deliveries(ep)[0].ID, 1)
	a := h.attempts(d.ID)[0]
	if a.Error == nil || !strings.Contains(*a.Error, "loopback") || s.count() != 0 {
		t.Fatalf("attempt to loopback: %+v (error %v), %d requests", a, a.Error, s.count())
	}
}

// TestSlowEndpointDoesNotDelayOthers: one endpoint hangs for the whole
// (long) timeout on every request while another receives 1,000 events:
// all 1,000 arrive while the slow endpoint's requests are still hanging.
func TestSlowEndpointDoesNotDelayOthers(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		const events, concurrency = 1000, 4
		h := newHarness(t, url, Config{Clock: sb.SystemClock{}, Timeout: time.Hour, Concurrency: concurrency})
		release := make(chan struct{})
		slow := newSink(t)
		slow.setRespond(func(w http.ResponseWriter, r *http.Request, n int) {
			<-release // the sink's Close, at cleanup, waits for these handlers
		})
		fast := newSink(t)
		h.endpoint(slow.srv.URL)
		h.endpoint(fast.srv.URL)
		for range events {
			h.event(sb.EventMessageSent)
		}
		waitFor(t, "the fast endpoint to receive every event", func() bool { return fast.count() == events })
		if slow.count() != concurrency {
			t.Fatalf("the slow endpoint got %d requests, want %d hanging", slow.count(), concurrency)
		}
		seen := map[string]bool{}
		for _, r := range fast.requests() {
			seen[r.event.ID] = true
		}
		if len(seen) != events {
			t.Fatalf("the fast endpoint got %d distinct events", len(seen))
		}
		close(release)
	})
}

// TestRateLimit: an endpoint limited to 2 requests a second gets them
// half a second apart (by the fake clock).
func TestRateLimit(t *testing.T) {
	h := newHarness(t, "sqlite://"+t.TempDir()+"/sb.db", Config{})
	s := newSink(t)
	ep := h.endpoint(s.srv.URL)
	rate := 2
	ep.RateLimitPerSecond = &rate
	must(t, h.db.UpdateEndpoint(h.ctx, ep))
	for range 5 {
		h.event(sb.EventMessageSent)
	}
	for n := 1; n <= 5; n++ {
		waitFor(t, fmt.Sprintf("request %d and the others waiting their turn", n), func() bool {
			return s.count() == n && h.clock.TimersWithin(time.Minute) == 5-n
		})
		h.clock.Advance(500 * time.Millisecond)
	}
	waitFor(t, "every outcome", func() bool {
		for _, d := range h.deliveries(ep) {
			if d.Status != sb.DeliverySucceeded {
				return false
			}
		}
		return true
	})
}

// TestRecoveryOfExpiredLeases: deliveries leased to a process that died
// are taken over once the lease expires, not before.
func TestRecoveryOfExpiredLeases(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		h := newHarness(t, url, Config{Lease: time.Minute})
		s := newSink(t)
		ep := h.endpoint(s.srv.URL)
		// Another "process" commits deliveries leased to itself, then dies.
		h.pub = NewPublisher(deadProcess{until: h.clock.Now().Add(time.Minute)}, h.clock)
		for range 3 {
			h.event(sb.EventConversationStarted)
		}
		h.pub = h.d.Publisher()
		h.d.Poll(h.ctx)
		if s.count() != 0 {
			t.Fatal("delivered under another process's lease")
		}
		h.clock.Advance(time.Minute + time.Millisecond)
		h.d.Poll(h.ctx)
		for _, d := range h.deliveries(ep) {
			if got := h.settled(d.ID, 1); got.Status != sb.DeliverySucceeded {
				t.Fatalf("recovered delivery %+v", got)
			}
		}
		if s.count() != 3 {
			t.Fatalf("%d requests, want 3", s.count())
		}
	})
}

// deadProcess leases new deliveries to a process that will never run them.
type deadProcess struct{ until time.Time }

func (p deadProcess) NewLease() Lease                           { return Lease{Owner: "dead", Until: p.until} }
func (deadProcess) DeliveriesCreated(*sb.Event, []*sb.Delivery) {}
func (deadProcess) Wake()                                       {}

// TestRetryAndReplay: a failed delivery retried or replayed is attempted
// again at once with the same webhook-id and the next X-Attempt.
func TestRetryAndReplay(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		h := newHarness(t, url, Config{Schedule: retry.Schedule{time.Minute}})
		s := newSink(t)
		var healthy sync.Map
		s.setRespond(func(w http.ResponseWriter, r *http.Request, n int) {
			if _, ok := healthy.Load("yes"); ok {
				w.WriteHeader(http.StatusOK)
				return
			}
			w.WriteHeader(http.StatusInternalServerError)
		})
		ep := h.endpoint(s.srv.URL)
		var ids []string
		for range 3 {
			h.event(sb.EventMessageFailed)
		}
		for _, d := range h.deliveries(ep) {
			h.settled(d.ID, 1)
			ids = append(ids, d.ID)
		}
		h.clock.Advance(time.Minute)
		h.d.Poll(h.ctx)
		for _, id := range ids {
			if d := h.settled(id, 2); d.Status != sb.DeliveryFailed {
				t.Fatalf("after the schedule: %+v", d)
			}
		}
		healthy.Store("yes", true)
		// Retry one: the publisher wakes the dispatcher.
		h.retry(ids[0])
		if d := h.settled(ids[0], 3); d.Status != sb.DeliverySucceeded {
			t.Fatalf("retried: %+v", d)
		}
		// Replay the rest.
		var replayed []string
		must(t, h.db.Tx(h.ctx, func(q sb.Queries) error {
			var err error
			replayed, err = q.ReplayDeliveries(h.ctx, sb.ReplayParams{WorkspaceID: h.ws.ID, EndpointID: ep.ID, Status: sb.DeliveryFailed, Now: h.clock.Now(), Limit: 100})
			h.pub.DeliveriesDue(q)
			return err
		}))
		if len(replayed) != 2 {
			t.Fatalf("replayed %v", replayed)
		}
		for _, id := range ids[1:] {
			if d := h.settled(id, 3); d.Status != sb.DeliverySucceeded {
				t.Fatalf("replayed: %+v", d)
			}
		}
		byID := map[string][]int{}
		for _, r := range s.requests() {
			byID[r.header.Get("webhook-id")] = append(byID[r.header.Get("webhook-id")], r.attempt())
		}
		for id, attempts := range byID {
			if fmt.Sprint(attempts) != "[1 2 3]" {
				t.Errorf("event %s: X-Attempt %v, want [1 2 3]", id, attempts)
			}
		}
	})
}

// TestDrain: Stop lets the attempts in flight finish and records them,
// and releases the deliveries it had not started.
func TestDrain(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		h := newHarness(t, url, Config{Clock: sb.SystemClock{}, Concurrency: 1})
		release := make(chan struct{})
		s := newSink(t)
		s.setRespond(func(w http.ResponseWriter, r *http.Request, n int) {
			<-release
			w.WriteHeader(http.StatusOK)
		})
		ep := h.endpoint(s.srv.URL)
		for range 3 {
			h.event(sb.EventMessageSent)
		}
		waitFor(t, "the first request", func() bool { return s.count() == 1 })
		stopped := make(chan error, 1)
		go func() { stopped <- h.d.Stop(context.Background()) }()
		waitFor(t, "the dispatcher to stop taking work", func() bool { return h.d.stopping.Load() })
		close(release)
		must(t, <-stopped)
		ds := h.deliveries(ep)
		if ds[0].Status != sb.DeliverySucceeded {
			t.Fatalf("the attempt in flight was not recorded: %+v", ds[0])
		}
		for _, d := range ds[1:] {
			if d.Status != sb.DeliveryPending || d.LeaseOwner != "" || d.AttemptCount != 0 {
				t.Fatalf("a delivery not started was not released: %+v", d)
			}
		}
		if s.count() != 1 {
			t.Fatalf("%d requests during the drain, want 1", s.count())
		}
	})
}

// TestDrainBounded: a drain that runs out of time aborts the attempts in
// flight and records them as interrupted.
func TestDrainBounded(t *testing.T) {
	h := newHarness(t, "sqlite://"+t.TempDir()+"/sb.db", Config{Clock: sb.SystemClock{}, Timeout: time.Hour})
	release := make(chan struct{})
	defer close(release)
	s := newSink(t)
	s.setRespond(func(w http.ResponseWriter, r *http.Request, n int) { <-release })
	ep := h.endpoint(s.srv.URL)
	h.event(sb.EventMessageSent)
	waitFor(t, "the request", func() bool { return s.count() == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.d.Stop(ctx); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("Stop = %v, want a timeout", err)
	}
	d := h.deliveries(ep)[0]
	a := h.attempts(d.ID)
	if d.Status != sb.DeliveryPending || len(a) != 1 || !strings.Contains(*a[0].Error, "interrupted") {
		t.Fatalf("interrupted attempt: %+v %+v", d, a)
	}
}

// TestPurge: retention deletes finished deliveries, their attempts and
// their events once they are older than Retention; pending ones stay.
func TestPurge(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		h := newHarness(t, url, Config{Retention: 30 * 24 * time.Hour, PurgeBatch: 2})
		s := newSink(t)
		s.setRespond(func(w http.ResponseWriter, r *http.Request, n int) {
			if n >= 5 {
				w.WriteHeader(http.StatusInternalServerError) // stays pending
				return
			}
			w.WriteHeader(http.StatusOK)
		})
		ep := h.endpoint(s.srv.URL)
		var events []*sb.Event
		for i := range 5 {
			events = append(events, h.event(sb.EventMessageSent))
			h.settled(h.deliveries(ep)[i].ID, 1)
		}
		n, err := h.d.Purge(h.ctx)
		must(t, err)
		if n != 0 {
			t.Fatalf("purged %d fresh rows", n)
		}
		h.clock.Advance(31 * 24 * time.Hour)
		n, err = h.d.Purge(h.ctx)
		must(t, err)
		if n != 8 {
			t.Fatalf("purged %d rows, want 4 deliveries and their 4 events", n)
		}
		left := h.deliveries(ep)
		if len(left) != 1 || left[0].EventID != events[4].ID {
			t.Fatalf("left %v", left)
		}
		if _, err := h.db.GetEvent(h.ctx, h.ws.ID, events[0].ID); sb.ErrorCode(err) != sb.ENotFound {
			t.Fatalf("old event: %v", err)
		}
		if _, err := h.db.GetEvent(h.ctx, h.ws.ID, events[4].ID); err != nil {
			t.Fatalf("the event of a pending delivery: %v", err)
		}
	})
}

// TestMetrics: outcomes, latency, batch sizes and the backlog are exported.
func TestMetrics(t *testing.T) {
	h := newHarness(t, "sqlite://"+t.TempDir()+"/sb.db", Config{})
	ok, bad := newSink(t), newSink(t)
	bad.setRespond(func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(500) })
	okEp, badEp := h.endpoint(ok.srv.URL), h.endpoint(bad.srv.URL)
	for range 3 {
		h.event(sb.EventMessageSent)
	}
	for _, ep := range []*sb.WebhookEndpoint{okEp, badEp} {
		for _, d := range h.deliveries(ep) {
			h.settled(d.ID, 1)
		}
	}
	h.clock.Advance(time.Minute)
	h.d.refreshStats(h.ctx)
	families, err := h.reg.Gather()
	must(t, err)
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.Metric {
			name := f.GetName()
			for _, l := range m.Label {
				name += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				got[name] = m.Counter.GetValue()
			case m.Gauge != nil:
				got[name] = m.Gauge.GetValue()
			case m.Histogram != nil:
				got[name] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	for name, want := range map[string]float64{
		"switchboard_webhook_deliveries_total,outcome=succeeded":        3,
		"switchboard_webhook_attempt_duration_seconds,result=succeeded": 3,
		"switchboard_webhook_attempt_duration_seconds,result=retry":     3,
		"switchboard_webhook_queue_depth,endpoint_id=" + badEp.ID:       3,
		"switchboard_webhook_oldest_pending_seconds":                    55, // due 5 s after the attempts, a minute ago
		"switchboard_webhook_queued_deliveries":                         0,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	if got["switchboard_webhook_outcome_batch_size"] < 1 {
		t.Error("no outcome batch recorded")
	}
}

// TestNoDuplicateAttemptsUnderBacklog: with queues far smaller than the
// backlog, short leases that expire while deliveries wait in the database,
// and the recovery loop and the lanes' own fetches racing for the same
// rows, every delivery is still attempted exactly once.
func TestNoDuplicateAttemptsUnderBacklog(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		h := newHarness(t, url, Config{Clock: sb.SystemClock{}, QueueSize: 20, Concurrency: 3, BatchSize: 16,
			Timeout: 200 * time.Millisecond, Lease: 500 * time.Millisecond, PollInterval: 20 * time.Millisecond})
		s := newSink(t)
		a, b := h.endpoint(s.srv.URL+"/a"), h.endpoint(s.srv.URL+"/b")
		// A process that died holding 300 events' deliveries.
		h.pub = NewPublisher(deadProcess{until: time.Now().Add(300 * time.Millisecond)}, nil)
		for range 300 {
			h.event(sb.EventMessageSent)
		}
		// And 200 more for this dispatcher, far more than its queues hold.
		h.pub = h.d.Publisher()
		for range 200 {
			h.event(sb.EventMessageSent)
		}
		h.d.Wake()
		waitFor(t, "every delivery to succeed", func() bool {
			for _, ep := range []*sb.WebhookEndpoint{a, b} {
				for _, d := range h.deliveries(ep) {
					if d.Status != sb.DeliverySucceeded {
						return false
					}
				}
			}
			return true
		})
		// Each attempt of each delivery was sent once: attempts 1 to
		// AttemptCount (more than one only if an attempt timed out on this
		// busy machine), none twice.
		sent := map[string][]string{}
		for _, r := range s.requests() {
			k := r.path + " " + r.header.Get("webhook-id")
			sent[k] = append(sent[k], r.header.Get("X-Attempt"))
		}
		n := 0
		for _, ep := range []*sb.WebhookEndpoint{a, b} {
			path := strings.TrimPrefix(ep.URL, s.srv.URL)
			for _, d := range h.deliveries(ep) {
				n++
				var want []string
				for i := 1; i <= d.AttemptCount; i++ {
					want = append(want, strconv.Itoa(i))
				}
				got := sent[path+" "+d.EventID]
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("delivery %s (%d attempts recorded) was sent with X-Attempt %v", d.ID, d.AttemptCount, got)
				}
			}
		}
		if n != 1000 || len(sent) != 1000 {
			t.Fatalf("%d deliveries, %d delivered, want 1000", n, len(sent))
		}
	})
}
