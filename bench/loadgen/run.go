// Package loadgen is a small HTTP load generator for benchmarking servers on
// this machine.
//
// It runs in one of two disciplines. In closed loop, Concurrency workers
// each send a request as soon as their previous one is answered, for a
// duration or a request count: this measures the most a server can take.
// In open loop, requests are scheduled at a fixed Rate and latency is
// counted from each request's scheduled send time, not from when a worker
// got round to sending it, so a server that stalls is charged for the
// requests that queued behind the stall (no coordinated omission).
//
// Every run stops by itself: at its duration (at most MaxDuration), its
// request count, or the cancellation of its context, and each request is
// bounded by a timeout. Only loopback targets (127.0.0.0/8, ::1, localhost)
// are accepted: every request URL is checked, and the default transport
// refuses to connect to any other address.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// maxErrorSamples bounds Result.ErrorSamples.
const maxErrorSamples = 5

// Run performs one load run described by cfg and returns what it measured.
// It returns an error and no result if cfg is invalid, if a request targets
// anything but loopback, or if cfg.Request fails. Cancelling ctx ends the
// run early; requests cut short by that are not counted.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	ownClient := cfg.Client == nil
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if ownClient {
		defer cfg.Client.CloseIdleConnections()
	}
	r := newRunner(ctx, cfg)
	defer r.cancel()
	start := time.Now()
	if cfg.Rate > 0 {
		r.openLoop(start)
	} else {
		r.closedLoop(start)
	}
	if r.fatal != nil {
		return nil, r.fatal
	}
	return r.result(time.Since(start)), nil
}

// runner holds the state of one run, shared by its workers.
type runner struct {
	cfg    Config
	ctx    context.Context // for requests: the caller's, cancelled on abort
	cancel context.CancelFunc

	hist   *Histogram
	lag    *Histogram
	ok     atomic.Int64
	errs   atomic.Int64
	missed atomic.Int64
	status [6]atomic.Int64

	fatalOnce sync.Once
	fatal     error

	samplesFull atomic.Bool
	samplesMu   sync.Mutex
	samples     []string
}

// newRunner prepares a run of cfg under the caller's ctx.
func newRunner(ctx context.Context, cfg Config) *runner {
	r := &runner{cfg: cfg, hist: NewHistogram(), lag: NewHistogram()}
	r.ctx, r.cancel = context.WithCancel(ctx)
	return r
}

// deadline returns the context that ends the scheduling of new requests.
// Requests already sent are not cut short by it.
func (r *runner) deadline(start time.Time) (context.Context, context.CancelFunc) {
	return context.WithDeadline(r.ctx, start.Add(r.cfg.Duration))
}

// closedLoop runs Concurrency workers that each send back to back until the
// deadline or the request count.
func (r *runner) closedLoop(start time.Time) {
	stop, cancel := r.deadline(start)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Go(func() {
			for stop.Err() == nil {
				i := int(next.Add(1) - 1)
				if r.cfg.Requests > 0 && i >= r.cfg.Requests {
					return
				}
				r.do(i, time.Time{})
			}
		})
	}
	wg.Wait()
}

// job is one open-loop request and the time it was due to be sent.
type job struct {
	i   int
	due time.Time
}

// openLoop schedules requests at the configured rate and hands each, with
// its due time, to the first free of Concurrency workers.
func (r *runner) openLoop(start time.Time) {
	stop, cancel := r.deadline(start)
	defer cancel()
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Go(func() {
			for j := range jobs {
				r.do(j.i, j.due)
			}
		})
	}
	r.schedule(stop, start, jobs)
	close(jobs)
	wg.Wait()
}

// schedule sends every job due within the run to jobs, waiting for each
// one's due time. Jobs that could not be handed over before the deadline,
// because every worker was busy, are counted as missed.
func (r *runner) schedule(stop context.Context, start time.Time, jobs chan<- job) {
	total := slotsWithin(r.cfg.Duration, r.cfg.Rate)
	if r.cfg.Requests > 0 {
		total = min(total, r.cfg.Requests)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := range total {
		due := start.Add(slotOffset(i, r.cfg.Rate))
		if !r.sendAt(stop, timer, jobs, job{i: i, due: due}) {
			if r.ctx.Err() == nil {
				r.missed.Add(int64(total - i))
			}
			return
		}
	}
}

// sendAt waits until j is due, then hands it to a worker. It reports false
// if the run was cancelled, or if stop ended while every worker was busy.
// A job due before the deadline but handed over late because the scheduler
// itself woke late is still sent: only a busy target makes a miss.
func (r *runner) sendAt(stop context.Context, timer *time.Timer, jobs chan<- job, j job) bool {
	if wait := time.Until(j.due); wait > 0 {
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-r.ctx.Done():
			return false
		}
	}
	select {
	case jobs <- j:
		return true
	default:
	}
	select {
	case jobs <- j:
		return true
	case <-stop.Done():
		return false
	}
}

// slotOffset returns when request i is due, counted from the start.
func slotOffset(i int, rate float64) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / rate)
}

// slotsWithin returns how many requests are due strictly before d at rate.
func slotsWithin(d time.Duration, rate float64) int {
	n := int(math.Ceil(d.Seconds() * rate))
	for n > 0 && slotOffset(n-1, rate) >= d {
		n--
	}
	for slotOffset(n, rate) < d {
		n++
	}
	return n
}

// do sends request i and records its outcome. due is its scheduled send
// time in open loop, or zero in closed loop, where latency starts when the
// request is sent.
func (r *runner) do(i int, due time.Time) {
	req, err := r.build(i)
	if err != nil {
		r.abort(err)
		return
	}
	start := due
	if start.IsZero() {
		start = time.Now()
	} else {
		r.lag.Record(time.Since(due))
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.Timeout)
	defer cancel()
	resp, err := r.cfg.Client.Do(req.WithContext(ctx))
	status := 0
	if err == nil {
		status = resp.StatusCode
		err = r.finish(resp)
	}
	r.record(time.Since(start), status, err)
}

// build asks the scenario for request i and checks its target.
func (r *runner) build(i int) (*http.Request, error) {
	req, err := r.cfg.Request(i)
	if err != nil {
		return nil, fmt.Errorf("loadgen: building request %d: %w", i, err)
	}
	if req == nil || req.URL == nil {
		return nil, fmt.Errorf("loadgen: building request %d: no request or URL", i)
	}
	return req, checkTarget(req.URL)
}

// finish checks resp, and drains and closes its body so that the
// connection can be reused.
func (r *runner) finish(resp *http.Response) error {
	defer resp.Body.Close()
	err := r.check(resp)
	if _, derr := io.Copy(io.Discard, resp.Body); err == nil && derr != nil {
		err = fmt.Errorf("reading body: %w", derr)
	}
	return err
}

// check applies ExpectStatus and Check to resp.
func (r *runner) check(resp *http.Response) error {
	want := r.cfg.ExpectStatus
	if want == 0 && resp.StatusCode/100 != 2 {
		return fmt.Errorf("unexpected status %d, want 2xx", resp.StatusCode)
	}
	if want != 0 && resp.StatusCode != want {
		return fmt.Errorf("unexpected status %d, want %d", resp.StatusCode, want)
	}
	if r.cfg.Check != nil {
		return r.cfg.Check(resp)
	}
	return nil
}

// record counts one finished request and the class of its status (zero if
// there was no answer). A refusal to connect outside loopback aborts the
// run; requests cut short by the caller's cancellation are not counted.
func (r *runner) record(latency time.Duration, status int, err error) {
	switch {
	case errors.Is(err, ErrNotLoopback):
		r.abort(err)
		return
	case err != nil && r.ctx.Err() != nil:
		return
	}
	r.hist.Record(latency)
	r.status[min(max(status/100, 0), 5)].Add(1)
	if err != nil {
		r.errs.Add(1)
		r.sample(err)
		return
	}
	r.ok.Add(1)
}

// abort ends the run with err, keeping the first such error.
func (r *runner) abort(err error) {
	r.fatalOnce.Do(func() { r.fatal = err })
	r.cancel()
}

// sample keeps err's message if it is new and there is room.
func (r *runner) sample(err error) {
	if r.samplesFull.Load() {
		return
	}
	r.samplesMu.Lock()
	defer r.samplesMu.Unlock()
	msg := err.Error()
	for _, s := range r.samples {
		if s == msg {
			return
		}
	}
	if len(r.samples) < maxErrorSamples {
		r.samples = append(r.samples, msg)
	}
	r.samplesFull.Store(len(r.samples) >= maxErrorSamples)
}

// result assembles the Result of a run that lasted elapsed.
func (r *runner) result(elapsed time.Duration) *Result {
	res := &Result{
		Name:         r.cfg.Name,
		Mode:         r.cfg.mode(),
		Concurrency:  r.cfg.Concurrency,
		TargetRate:   r.cfg.Rate,
		Elapsed:      elapsed,
		OK:           r.ok.Load(),
		Errors:       r.errs.Load(),
		Missed:       r.missed.Load(),
		Latency:      summarize(r.hist),
		ErrorSamples: r.samples,
		Status: StatusClasses{
			S1xx: r.status[1].Load(),
			S2xx: r.status[2].Load(),
			S3xx: r.status[3].Load(),
			S4xx: r.status[4].Load(),
			S5xx: r.status[5].Load(),
		},
	}
	res.Requests = res.OK + res.Errors
	if res.Mode == ModeOpen {
		lag := summarize(r.lag)
		res.SendLag = &lag
	}
	if elapsed > 0 {
		res.Throughput = float64(res.Requests) / elapsed.Seconds()
	}
	return res
}
