package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/internal/testclock"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// received is one request a sink got.
type received struct {
	path   string
	header http.Header
	body   []byte
	event  sb.Event
}

func (r received) attempt() int {
	n, _ := strconv.Atoi(r.header.Get("X-Attempt"))
	return n
}

// sink is a receiver on loopback. respond answers each request; by
// default 200.
type sink struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(w http.ResponseWriter, r *http.Request, n int)
}

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := received{path: r.URL.Path, header: r.Header.Clone(), body: body}
		_ = json.Unmarshal(body, &rec.event)
		s.mu.Lock()
		s.got = append(s.got, rec)
		n := len(s.got)
		respond := s.respond
		s.mu.Unlock()
		if respond != nil {
			respond(w, r, n)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) setRespond(fn func(w http.ResponseWriter, r *http.Request, n int)) {
	s.mu.Lock()
	s.respond = fn
	s.mu.Unlock()
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

func (s *sink) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// harness is a store, a workspace and a running Dispatcher.
type harness struct {
	pub   *Publisher // publishes the events of event
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	ws    *sb.Workspace
	clock *testclock.Clock
	d     *Dispatcher
	reg   *prometheus.Registry
}

// newHarness starts a Dispatcher on a fresh database. cfg's zero fields get
// test defaults: a fake clock, no jitter, loopback allowed.
func newHarness(t *testing.T, url string, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), db: pgtest.Open(t, url), reg: prometheus.NewRegistry()}
	h.ws = &sb.Workspace{Name: sb.NewID("acme")}
	must(t, h.db.CreateWorkspace(h.ctx, h.ws))
	if cfg.Clock == nil {
		h.clock = testclock.New(time.Now().UTC().Truncate(time.Second))
		cfg.Clock = h.clock
	}
	if cfg.Jitter == nil {
		cfg.Jitter = func() float64 { return 0.5 }
	}
	if cfg.Client == nil {
		cfg.Policy = egress.Policy{AllowPrivate: true} // the sinks are on loopback
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 100 * 365 * 24 * time.Hour // tests poll by hand (Poll, Wake)
	}
	cfg.Registry = h.reg
	d, err := New(h.db, cfg)
	must(t, err)
	h.d = d
	h.pub = d.Publisher()
	d.Start(h.ctx)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = d.Stop(ctx)
	})
	return h
}

// endpoint creates an enabled endpoint for url with a new secret.
func (h *harness) endpoint(url string, types ...string) *sb.WebhookEndpoint {
	h.t.Helper()
	e := &sb.WebhookEndpoint{WorkspaceID: h.ws.ID, URL: url, EventTypes: types, Status: sb.EndpointEnabled,
		Secrets: []sb.EndpointSecret{{Secret: signature.NewSecret()}}}
	must(h.t, h.db.CreateEndpoint(h.ctx, e))
	return e
}

// event commits an event of type typ.
func (h *harness) event(typ string) *sb.Event {
	h.t.Helper()
	e := sb.NewEvent(h.ws.ID, typ, map[string]any{"n": 1, "text": "<héllo & bye>"})
	must(h.t, h.db.Tx(h.ctx, func(q sb.Queries) error { return h.pub.Publish(h.ctx, q, e) }))
	return e
}

// retry makes a delivery pending and due now, as the API does.
func (h *harness) retry(id string) {
	h.t.Helper()
	must(h.t, h.db.Tx(h.ctx, func(q sb.Queries) error {
		_, err := q.RetryDelivery(h.ctx, h.ws.ID, id, h.clock.Now())
		h.pub.DeliveriesDue(q)
		return err
	}))
}

// deliveries lists an endpoint's deliveries, oldest first.
func (h *harness) deliveries(ep *sb.WebhookEndpoint) []*sb.Delivery {
	h.t.Helper()
	var all []*sb.Delivery
	p := sb.Page{Limit: 200}
	for {
		page, err := h.db.ListDeliveries(h.ctx, h.ws.ID, ep.ID, sb.DeliveryFilter{}, p)
		must(h.t, err)
		if len(page) > p.Limit {
			all = append(all, page[:p.Limit]...)
			p.After = page[p.Limit-1].ID
			continue
		}
		all = append(all, page...)
		break
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

// delivery reads one delivery.
func (h *harness) delivery(id string) *sb.Delivery {
	h.t.Helper()
	d, err := h.db.GetDelivery(h.ctx, h.ws.ID, id)
	must(h.t, err)
	return d
}

// attempts reads the attempts of a delivery.
func (h *harness) attempts(id string) []*sb.Attempt {
	h.t.Helper()
	a, err := h.db.ListAttempts(h.ctx, id, 100)
	must(h.t, err)
	return a
}

// waitFor polls cond until it holds, failing the test after a minute. It
// waits for work to happen, it does not time it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// settled waits until a delivery has made n attempts, its outcome is
// recorded and the dispatcher has let go of it, and returns it.
func (h *harness) settled(id string, n int) *sb.Delivery {
	h.t.Helper()
	var d *sb.Delivery
	waitFor(h.t, "delivery "+id+" to record attempt "+strconv.Itoa(n), func() bool {
		d = h.delivery(id)
		return d.AttemptCount >= n && d.LeaseOwner == "" && !h.d.holds(d)
	})
	if d.AttemptCount != n {
		h.t.Fatalf("delivery made %d attempts, want %d", d.AttemptCount, n)
	}
	return d
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
