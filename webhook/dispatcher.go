package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/retry"
	"github.com/switchboardhq/switchboard/telemetry"
	"go.opentelemetry.io/otel/trace"
)

// Defaults of Config.
const (
	DefaultTimeout       = egress.DefaultTimeout
	DefaultConcurrency   = 10
	DefaultLease         = time.Minute
	DefaultPollInterval  = time.Second
	DefaultDisableAfter  = 5 * 24 * time.Hour
	DefaultRetention     = 30 * 24 * time.Hour
	DefaultPurgeInterval = 10 * time.Minute
	DefaultPurgeBatch    = 500
	DefaultQueueSize     = 1000
	DefaultBatchSize     = 500
	DefaultStatsInterval = 5 * time.Second
)

// Config configures a Dispatcher. Zero fields take the defaults above.
type Config struct {
	// Policy says which addresses deliveries may reach (the SSRF guard).
	Policy egress.Policy
	// Client, if set, replaces the egress client built from Policy and
	// Timeout (tests only: it must not follow redirects).
	Client *http.Client
	// Timeout bounds each attempt, reading the response included.
	Timeout time.Duration
	// Schedule is the retry schedule; nil means DefaultSchedule.
	Schedule retry.Schedule
	// Concurrency is the number of requests in flight per endpoint.
	Concurrency int
	// Lease is how long a claim on a delivery lasts. It must be at least
	// twice Timeout: an attempt starts only with Timeout+Lease/4 of the
	// lease left.
	Lease time.Duration
	// PollInterval is how often the recovery loop looks for deliveries
	// that fell due or that nobody holds.
	PollInterval time.Duration
	// DisableAfter disables an endpoint whose attempts have all failed for
	// this long.
	DisableAfter time.Duration
	// Retention is how long events, deliveries and attempts are kept;
	// PurgeInterval how often the purge runs, deleting PurgeBatch rows per
	// transaction.
	Retention     time.Duration
	PurgeInterval time.Duration
	PurgeBatch    int
	// QueueSize bounds each endpoint's in-memory queue; BatchSize the
	// attempt results written per transaction.
	QueueSize int
	BatchSize int
	// StatsInterval is how often the backlog gauges are refreshed.
	StatsInterval time.Duration
	// UserAgent is sent with every request: Switchboard/<version>.
	UserAgent string
	// Clock and Jitter default to the system clock and retry.RandomJitter.
	Clock  sb.Clock
	Jitter func() float64
	Logger *slog.Logger
	// Registry, if set, receives the delivery metrics.
	Registry prometheus.Registerer
	// SharedLimits, if set, holds each endpoint's rate limit for every
	// process on the database (PostgreSQL): rate_limit_per_second is then
	// the endpoint's limit in all, not per process.
	SharedLimits sb.TokenBuckets
	// Tracer traces each attempt as a span "deliver EVENT_TYPE" in the
	// trace of the span that published the event (default: off); the
	// request carries it in a traceparent header.
	Tracer trace.Tracer
}

// withDefaults fills in the zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Tracer == nil {
		c.Tracer = telemetry.Off
	}
	set(&c.Timeout, DefaultTimeout)
	set(&c.PollInterval, DefaultPollInterval)
	set(&c.DisableAfter, DefaultDisableAfter)
	set(&c.Retention, DefaultRetention)
	set(&c.PurgeInterval, DefaultPurgeInterval)
	set(&c.StatsInterval, DefaultStatsInterval)
	set(&c.Lease, max(DefaultLease, 4*c.Timeout))
	if c.Schedule == nil {
		c.Schedule = DefaultSchedule
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.PurgeBatch <= 0 {
		c.PurgeBatch = DefaultPurgeBatch
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.UserAgent == "" {
		c.UserAgent = "Switchboard/dev"
	}
	if c.Clock == nil {
		c.Clock = sb.SystemClock{}
	}
	if c.Jitter == nil {
		c.Jitter = retry.RandomJitter
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Lease < 2*c.Timeout {
		return c, fmt.Errorf("webhook: the lease (%s) must be at least twice the timeout (%s)", c.Lease, c.Timeout)
	}
	if c.Client == nil {
		c.Client = egress.NewClient(c.Policy, c.Timeout)
	}
	return c, nil
}

// Dispatcher delivers the deliveries of a store. It is the Receiver of its
// Publisher; Start it, and Stop it to drain.
type Dispatcher struct {
	cfg       Config
	store     sb.Store
	publisher *Publisher
	owner     string // this process's lease owner id
	log       *slog.Logger
	m         *metrics

	accepting atomic.Bool // new deliveries are leased to us
	stopping  atomic.Bool

	mu    sync.Mutex
	lanes map[string]*lane

	results  chan *outcome
	wake     chan struct{}
	released releaseLog

	endpoints endpointCache
	payloads  payloadCache

	ctx        context.Context // cancelled by Stop: loops end
	cancel     context.CancelFunc
	sendCtx    context.Context // cancelled when the drain runs out of time
	cancelSend context.CancelFunc
	workers    sync.WaitGroup
	loops      sync.WaitGroup
	flushed    chan struct{}
	started    bool
}

// New returns a Dispatcher for store; it does nothing until Start.
func New(store sb.Store, cfg Config) (*Dispatcher, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	d := &Dispatcher{
		cfg:     cfg,
		store:   store,
		owner:   "dispatcher-" + hex.EncodeToString(b[:]),
		log:     cfg.Logger,
		lanes:   map[string]*lane{},
		results: make(chan *outcome, 4*cfg.BatchSize),
		wake:    make(chan struct{}, 1),
		flushed: make(chan struct{}),
	}
	d.released.ids = map[string]uint64{}
	d.endpoints.entries = map[string]*endpointEntry{}
	d.payloads.entries = map[string]*payload{}
	d.m = newMetrics(cfg.Registry)
	d.publisher = NewPublisher(d, cfg.Clock)
	return d, nil
}

// Publisher returns the publisher of events whose deliveries go to this
// Dispatcher while it runs (before Start and after Stop they are written
// unleased, for the recovery loop of whichever dispatcher runs).
func (d *Dispatcher) Publisher() *Publisher { return d.publisher }

// Owner is the id this Dispatcher leases deliveries under.
func (d *Dispatcher) Owner() string { return d.owner }

// Start starts the recovery, flush, stats and purge loops. Events published
// through the Dispatcher's Publisher from now on have their deliveries
// leased to it and handed over as soon as they commit.
func (d *Dispatcher) Start(ctx context.Context) {
	d.ctx, d.cancel = context.WithCancel(context.WithoutCancel(ctx))
	d.sendCtx, d.cancelSend = context.WithCancel(context.WithoutCancel(ctx))
	d.started = true
	d.accepting.Store(true)
	go d.flushLoop()
	d.loop(d.pollLoop)
	d.loop(d.statsLoop)
	d.loop(d.purgeLoop)
}

func (d *Dispatcher) loop(fn func()) {
	d.loops.Add(1)
	go func() {
		defer d.loops.Done()
		fn()
	}()
}

// Stop drains: it stops taking work, lets the attempts in flight finish
// (until ctx is done, when it aborts them), records every outcome, and
// releases the leases of deliveries it had not started so that another
// process may take them at once.
func (d *Dispatcher) Stop(ctx context.Context) error {
	if !d.started || d.stopping.Swap(true) {
		return nil
	}
	d.accepting.Store(false)
	d.cancel()
	d.mu.Lock()
	for _, l := range d.lanes {
		l.stop()
	}
	d.mu.Unlock()

	done := make(chan struct{})
	go func() {
		d.workers.Wait()
		d.loops.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.New("webhook: drain timed out; attempts in flight were aborted")
		d.cancelSend()
		<-done
	}
	close(d.results)
	<-d.flushed
	d.cancelSend()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if n, rerr := d.store.ReleaseDeliveries(rctx, d.owner); rerr != nil {
		err = errors.Join(err, fmt.Errorf("webhook: releasing leases: %w", rerr))
	} else if n > 0 {
		d.log.Info("webhook: released deliveries not started", "count", n)
	}
	return err
}

// NewLease leases new deliveries to this Dispatcher while it runs.
func (d *Dispatcher) NewLease() Lease {
	if !d.accepting.Load() {
		return Lease{}
	}
	return Lease{Owner: d.owner, Until: d.cfg.Clock.Now().Add(d.cfg.Lease)}
}

// DeliveriesCreated queues committed deliveries leased to this Dispatcher
// on their endpoints' lanes; others wake the recovery loop.
func (d *Dispatcher) DeliveriesCreated(e *sb.Event, ds []*sb.Delivery) {
	p := d.payloads.forEvent(e)
	for _, del := range ds {
		if del.LeaseOwner != d.owner || d.stopping.Load() {
			d.Wake()
			continue
		}
		d.lane(del.EndpointID).push(&job{d: del, p: p}, 0)
	}
}

// Wake makes the recovery loop look for due deliveries now.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// lane returns the lane of an endpoint, creating it.
func (d *Dispatcher) lane(endpointID string) *lane {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.lanes[endpointID]
	if l == nil {
		l = &lane{d: d, id: endpointID, held: map[string]bool{}}
		if d.stopping.Load() {
			l.stopped = true
		}
		d.lanes[endpointID] = l
	}
	return l
}

// job is one delivery to attempt, with its event's payload.
type job struct {
	d *sb.Delivery
	p *payload
}

// releaseLog remembers which deliveries were released (their outcome
// recorded) while a claim was running, so that the claim does not queue a
// delivery it read just before its outcome was written.
type releaseLog struct {
	mu     sync.Mutex
	active int
	seq    uint64
	ids    map[string]uint64
}

func (r *releaseLog) begin() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active++
	return r.seq
}

func (r *releaseLog) end() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active--; r.active == 0 {
		clear(r.ids)
	}
}

func (r *releaseLog) record(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	if r.active > 0 {
		r.ids[id] = r.seq
	}
}

// since reports whether id was released after the claim that began at
// start.
func (r *releaseLog) since(id string, start uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.ids[id]
	return ok && s > start
}

// endpointCache keeps endpoints for a second, so that every process sees
// a change (a disabled endpoint, a rotated secret) within about a second.
type endpointCache struct {
	mu      sync.Mutex
	entries map[string]*endpointEntry
}

type endpointEntry struct {
	ep     *sb.WebhookEndpoint // nil: deleted
	loaded time.Time
}

const endpointTTL = time.Second

func (c *endpointCache) get(ctx context.Context, store sb.Store, id string) (*sb.WebhookEndpoint, error) {
	c.mu.Lock()
	e := c.entries[id]
	c.mu.Unlock()
	if e != nil && time.Since(e.loaded) < endpointTTL {
		return e.ep, nil
	}
	ep, err := store.GetEndpointByID(ctx, id)
	if sb.ErrorCode(err) == sb.ENotFound {
		ep, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.entries[id] = &endpointEntry{ep: ep, loaded: time.Now()}
	c.mu.Unlock()
	return ep, nil
}

func (c *endpointCache) forget(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}
