package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/bench/loadgen"
)

// The delivery scenario measures outbound webhooks end to end: -endpoints
// endpoints on local sink servers subscribe to conversation.updated; the
// load changes a conversation's metadata ({"bench_seq": n}), each change
// one event, so one acknowledged request is -endpoints deliveries. The
// sinks note when each delivery arrives; after the load, the scenario waits
// for the deliveries still on their way (up to -drain) and reports
// deliveries per second and the latency from the request's send to the
// delivery's arrival (publish to receipt).
//
// With several -url the publishing requests are spread over the servers,
// which share one database, and the sinks check what they all delivered:
// missing counts the deliveries of acknowledged requests that did not
// arrive within -drain, duplicates the arrivals at a sink of a webhook-id
// it had already received (warm-up included). The sinks answer at once, so
// no attempt fails and no delivery is retried: a webhook-id arriving twice
// at one endpoint was sent twice (unless an attempt timed out on the
// server's side before the sink's answer reached it).
//
// The server must allow loopback targets: SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true.

// deliveryBench is the state of one delivery run.
type deliveryBench struct {
	endpoints int
	sinks     []*http.Server

	seq     atomic.Int64 // the next bench_seq
	measure atomic.Int64 // seqs from here on are measured (warm-up ones are not)
	mu      sync.Mutex
	sent    map[int64]time.Time // measured seq → when its request was built
	first   time.Time           // the first measured send
	last    time.Time           // the last measured receipt
	got     int64               // measured receipts, each webhook-id once per sink
	seen    []map[string]bool   // per sink, the webhook-ids received
	dups    int64               // receipts of a webhook-id a sink had already received
	lat     *loadgen.Histogram
	arrived chan struct{} // a measured receipt arrived
}

// prepareDelivery starts the sinks, creates the endpoints and the
// conversations, and loads PUT /api/v1/conversations/{id} over them.
func prepareDelivery(ctx context.Context, o options, log io.Writer) (loadgen.Config, *deliveryBench, error) {
	c, err := newAPIClient(o.url, o.key, o.timeout)
	if err != nil {
		return loadgen.Config{}, nil, err
	}
	b := &deliveryBench{endpoints: max(o.endpoints, 1), sent: map[int64]time.Time{}, lat: loadgen.NewHistogram(),
		arrived: make(chan struct{}, 1)}
	b.measure.Store(1 << 62) // nothing is measured until the measured run starts
	fail := func(err error) (loadgen.Config, *deliveryBench, error) {
		b.stopSinks()
		return loadgen.Config{}, nil, err
	}
	for i := range b.endpoints {
		url, err := b.startSink(i)
		if err != nil {
			return fail(err)
		}
		if _, err := c.createID(ctx, "/api/v1/webhooks", map[string]any{
			"url": url, "description": fmt.Sprint("bench sink ", i), "event_types": []string{"conversation.updated"},
		}); err != nil {
			return fail(fmt.Errorf("%w (does the server run with SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true?)", err))
		}
	}
	convs, err := setupConversations(ctx, c, max(o.convs, 1), "http://127.0.0.1:9/") // no message is sent
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(log, "delivery: %d endpoints on local sinks, %d conversations ready\n", b.endpoints, len(convs))
	paths := make([]string, len(convs))
	for i, id := range convs {
		paths[i] = "/api/v1/conversations/" + id
	}
	url := spreadURL(o.urls, paths)
	cfg := loadgen.Config{ExpectStatus: http.StatusOK, Request: func(i int) (*http.Request, error) {
		seq := b.seq.Add(1)
		body := []byte(`{"metadata":{"bench_seq":` + strconv.FormatInt(seq, 10) + `}}`)
		req, err := http.NewRequest(http.MethodPut, url(i), bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", c.auth)
		req.Header.Set("Content-Type", "application/json")
		if seq >= b.measure.Load() {
			now := time.Now()
			b.mu.Lock()
			if b.first.IsZero() {
				b.first = now
			}
			b.sent[seq] = now
			b.mu.Unlock()
		}
		return req, nil
	}}
	return cfg, b, nil
}

// startSink starts receiver n on a free loopback port (one per endpoint,
// so that each endpoint has its own connections, as separate receivers
// would).
func (b *deliveryBench) startSink(n int) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	b.seen = append(b.seen, map[string]bool{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { b.receive(n, w, r) }),
		ReadHeaderTimeout: 10 * time.Second}
	b.sinks = append(b.sinks, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/hook", nil
}

func (b *deliveryBench) stopSinks() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range b.sinks {
		_ = s.Shutdown(ctx)
	}
}

// receive notes a delivery's arrival at sink n and answers 204.
func (b *deliveryBench) receive(n int, w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, _ := io.ReadAll(r.Body)
	w.WriteHeader(http.StatusNoContent)
	id := r.Header.Get("webhook-id")
	b.mu.Lock()
	again := id != "" && b.seen[n][id]
	if again {
		b.dups++
	} else if id != "" {
		b.seen[n][id] = true
	}
	b.mu.Unlock()
	if again {
		return
	}
	var ev struct {
		Data struct {
			Conversation struct {
				Metadata struct {
					Seq int64 `json:"bench_seq"`
				} `json:"metadata"`
			} `json:"conversation"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &ev) != nil {
		return
	}
	b.mu.Lock()
	sent, ok := b.sent[ev.Data.Conversation.Metadata.Seq]
	if ok {
		b.got++
		if now.After(b.last) {
			b.last = now
		}
	}
	b.mu.Unlock()
	if ok {
		b.lat.Record(now.Sub(sent))
		select {
		case b.arrived <- struct{}{}:
		default:
		}
	}
}

// runDelivery runs the delivery scenario: setup, warm-up (its deliveries
// are not measured), the measured load, and the wait for its deliveries.
func runDelivery(ctx context.Context, o options, out, log io.Writer) error {
	cfg, b, err := prepareDelivery(ctx, o, log)
	if err != nil {
		return fmt.Errorf("%s: setup: %w", o.scenario, err)
	}
	defer b.stopSinks()
	cfg.Name, cfg.Concurrency, cfg.Rate, cfg.Timeout = "delivery-pub", o.concurrency, o.rate, o.timeout
	if err := warmUp(ctx, cfg, o.warmup); err != nil {
		return fmt.Errorf("%s: warm-up: %w", o.scenario, err)
	}
	b.startMeasuring()
	cfg.Duration, cfg.Requests = o.duration, o.requests
	res, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", o.scenario, err)
	}
	if err := emit(o, res, res.ErrorSamples, out, log); err != nil {
		return err
	}
	return b.finish(ctx, o, res, out, log)
}

// startMeasuring makes the requests built from now on count.
func (b *deliveryBench) startMeasuring() { b.measure.Store(b.seq.Load() + 1) }

// deliveryResult is what the delivery scenario reports besides the
// publishing requests' own figures.
type deliveryResult struct {
	Name       string        `json:"name"`
	Endpoints  int           `json:"endpoints"`
	Published  int64         `json:"published"`  // acknowledged requests, one event each
	Expected   int64         `json:"expected"`   // published × endpoints
	Delivered  int64         `json:"delivered"`  // measured deliveries that arrived
	Missing    int64         `json:"missing"`    // expected but not arrived within -drain
	Duplicates int64         `json:"duplicates"` // arrivals of a webhook-id its sink had already received
	Elapsed    time.Duration `json:"elapsed_ns"` // first send to last arrival
	PerSecond  float64       `json:"deliveries_per_second"`
	P50        time.Duration `json:"p50_ns"`
	P90        time.Duration `json:"p90_ns"`
	P99        time.Duration `json:"p99_ns"`
	Max        time.Duration `json:"max_ns"`
	PeakRSSKiB int64         `json:"server_peak_rss_kib,omitempty"`
}

func (r deliveryResult) String() string {
	rss := "n/a"
	if r.PeakRSSKiB > 0 {
		rss = fmt.Sprintf("%.0fMiB", float64(r.PeakRSSKiB)/1024)
	}
	return fmt.Sprintf("%-12s endpoints=%-3d published=%-8d deliveries=%-9d missing=%-6d duplicates=%-6d dps=%-9.1f p50=%9s p90=%9s p99=%9s max=%9s server_rss_peak=%s",
		r.Name, r.Endpoints, r.Published, r.Delivered, r.Missing, r.Duplicates, r.PerSecond, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), rss)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond)) }

// finish waits for the deliveries of the published events (then -linger
// more, for duplicates) and reports.
func (b *deliveryBench) finish(ctx context.Context, o options, res *loadgen.Result, out, log io.Writer) error {
	want := res.OK * int64(b.endpoints)
	deadline := time.NewTimer(o.drain)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		got := b.got
		b.mu.Unlock()
		if got >= want {
			if err := sleep(ctx, o.linger); err != nil {
				return err
			}
			break
		}
		select {
		case <-b.arrived:
		case <-deadline.C:
			goto report
		case <-ctx.Done():
			return ctx.Err()
		}
	}
report:
	b.mu.Lock()
	r := deliveryResult{Name: "delivery", Endpoints: b.endpoints, Published: res.OK, Expected: want, Delivered: b.got,
		Duplicates: b.dups, Elapsed: b.last.Sub(b.first)}
	b.mu.Unlock()
	r.Missing = max(want-r.Delivered, 0)
	if r.Elapsed > 0 {
		r.PerSecond = float64(r.Delivered) / r.Elapsed.Seconds()
	}
	r.P50, r.P90, r.P99, r.Max = b.lat.Quantile(0.5), b.lat.Quantile(0.9), b.lat.Quantile(0.99), b.lat.Max()
	for _, pid := range o.pids {
		kib, err := peakRSS(pid)
		if err != nil {
			return err
		}
		r.PeakRSSKiB = max(r.PeakRSSKiB, kib)
	}
	return emit(o, r, nil, out, log)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// peakRSS reads a process's peak resident set size (VmHWM) from /proc.
func peakRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the server's peak RSS: %w", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc/PID/status")
}
