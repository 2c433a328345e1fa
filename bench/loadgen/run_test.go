package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// counter is a test server that counts the requests it answers and answers
// them with handle.
type counter struct {
	srv  *httptest.Server
	hits atomic.Int64
}

// newCounter starts a loopback server answering with handle.
func newCounter(t *testing.T, handle http.HandlerFunc) *counter {
	t.Helper()
	c := &counter{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		handle(w, r)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// get returns a RequestFunc for GET url?i=N.
func get(url string) RequestFunc {
	return func(i int) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, url+"/?i="+strconv.Itoa(i), nil)
	}
}

// okHandler answers 200 with a small JSON body.
func okHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"ok":true}`)
}

// run calls Run and fails the test on error.
func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// TestClosedLoopCountsAddUp checks every counter of a count-limited run
// against what the server saw.
func TestClosedLoopCountsAddUp(t *testing.T) {
	srv := newCounter(t, func(w http.ResponseWriter, r *http.Request) {
		if i, _ := strconv.Atoi(r.URL.Query().Get("i")); i%5 == 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		okHandler(w, r)
	})
	res := run(t, Config{Name: "t", Request: get(srv.srv.URL), Concurrency: 8, Requests: 500})
	want := Result{Requests: 500, OK: 400, Errors: 100, Status: StatusClasses{S2xx: 400, S5xx: 100}}
	if res.Requests != want.Requests || res.OK != want.OK || res.Errors != want.Errors || res.Status != want.Status {
		t.Errorf("got requests=%d ok=%d errors=%d status=%+v; want %d %d %d %+v",
			res.Requests, res.OK, res.Errors, res.Status, want.Requests, want.OK, want.Errors, want.Status)
	}
	if hits := srv.hits.Load(); hits != 500 {
		t.Errorf("server saw %d requests, want 500", hits)
	}
	if res.Mode != ModeClosed || res.Missed != 0 || res.Throughput <= 0 {
		t.Errorf("mode=%s missed=%d throughput=%g", res.Mode, res.Missed, res.Throughput)
	}
	if len(res.ErrorSamples) != 1 || !strings.Contains(res.ErrorSamples[0], "503") {
		t.Errorf("error samples = %q, want one about 503", res.ErrorSamples)
	}
}

// TestClosedLoopStopsAtDuration checks that a run with only a duration
// ends by itself and that every answered request is counted.
func TestClosedLoopStopsAtDuration(t *testing.T) {
	srv := newCounter(t, okHandler)
	res := run(t, Config{Request: get(srv.srv.URL), Concurrency: 4, Duration: 200 * time.Millisecond})
	if res.Requests == 0 || res.OK != res.Requests || res.Requests != srv.hits.Load() {
		t.Errorf("requests=%d ok=%d server=%d", res.Requests, res.OK, srv.hits.Load())
	}
	if res.Latency.Max < res.Latency.P50 || res.Latency.P50 <= 0 || res.SendLag != nil {
		t.Errorf("latency %+v", res.Latency)
	}
}

// TestOpenLoopRespectsRate checks that an open-loop run schedules exactly
// rate × duration requests and never sends more.
func TestOpenLoopRespectsRate(t *testing.T) {
	srv := newCounter(t, okHandler)
	res := run(t, Config{Request: get(srv.srv.URL), Concurrency: 8, Rate: 200, Duration: time.Second})
	if res.Requests+res.Missed != 200 {
		t.Errorf("requests %d + missed %d != 200 scheduled", res.Requests, res.Missed)
	}
	if res.Requests < 100 || res.Requests > 200 {
		t.Errorf("requests = %d, want between 100 and 200", res.Requests)
	}
	if res.Requests != srv.hits.Load() || res.Mode != ModeOpen || res.TargetRate != 200 {
		t.Errorf("requests=%d server=%d mode=%s rate=%g", res.Requests, srv.hits.Load(), res.Mode, res.TargetRate)
	}
}

// TestOpenLoopStopsAtCount checks the request count in open loop.
func TestOpenLoopStopsAtCount(t *testing.T) {
	srv := newCounter(t, okHandler)
	res := run(t, Config{Request: get(srv.srv.URL), Concurrency: 4, Rate: 1000, Requests: 50})
	if res.Requests != 50 || res.OK != 50 || srv.hits.Load() != 50 {
		t.Errorf("requests=%d ok=%d server=%d, want 50", res.Requests, res.OK, srv.hits.Load())
	}
}

// TestOpenLoopCountsQueueing checks that open-loop latency starts at the
// scheduled time: with one worker, a 20 ms server and a request due every
// 5 ms, the last of 20 requests waits behind the others, so the worst
// latency is at least 20×20 ms − 19×5 ms = 305 ms, far above the 20 ms a
// closed loop would report.
func TestOpenLoopCountsQueueing(t *testing.T) {
	srv := newCounter(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		okHandler(w, r)
	})
	res := run(t, Config{Request: get(srv.srv.URL), Concurrency: 1, Rate: 200, Requests: 20})
	if res.Requests != 20 {
		t.Fatalf("requests = %d, want 20", res.Requests)
	}
	if res.Latency.Max < 300*time.Millisecond {
		t.Errorf("max latency %s, want ≥ 300ms (queueing counted from the schedule)", res.Latency.Max)
	}
	// The last request was sent after the 19 before it, ≥ 19×20 ms from
	// the start, though due at 19×5 ms: a send lag of at least 285 ms.
	if res.SendLag == nil || res.SendLag.Max < 280*time.Millisecond {
		t.Errorf("send lag %+v, want a max ≥ 280ms", res.SendLag)
	}
}

// TestRefusesNonLoopback checks that a run aimed elsewhere fails before
// sending anything.
func TestRefusesNonLoopback(t *testing.T) {
	for _, target := range []string{"http://192.0.2.1:8080", "http://example.com", "http://0.0.0.0:8080"} {
		for _, rate := range []float64{0, 100} {
			res, err := Run(context.Background(), Config{Request: get(target), Rate: rate, Requests: 3})
			if !errors.Is(err, ErrNotLoopback) || res != nil {
				t.Errorf("%s rate %g: Run = %v, %v; want ErrNotLoopback", target, rate, res, err)
			}
		}
	}
}

// TestDoesNotFollowRedirects checks that a redirect, which could lead off
// loopback, is counted as a 3xx answer and not followed.
func TestDoesNotFollowRedirects(t *testing.T) {
	srv := newCounter(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://192.0.2.1/", http.StatusFound)
	})
	res := run(t, Config{Request: get(srv.srv.URL), Concurrency: 2, Requests: 10})
	if res.Status.S3xx != 10 || res.Errors != 10 || srv.hits.Load() != 10 {
		t.Errorf("3xx=%d errors=%d server=%d, want 10 each", res.Status.S3xx, res.Errors, srv.hits.Load())
	}
}

// TestExpectStatusAndCheck checks ExpectStatus and Check.
func TestExpectStatusAndCheck(t *testing.T) {
	srv := newCounter(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("i") == "3" {
			w.Header().Set("X-Bad", "1")
		}
		w.WriteHeader(http.StatusAccepted)
	})
	check := func(resp *http.Response) error {
		if resp.Header.Get("X-Bad") != "" {
			return errors.New("bad header")
		}
		return nil
	}
	res := run(t, Config{Request: get(srv.srv.URL), Requests: 10, ExpectStatus: http.StatusAccepted, Check: check})
	if res.OK != 9 || res.Errors != 1 || res.Status.S2xx != 10 {
		t.Errorf("ok=%d errors=%d 2xx=%d, want 9, 1, 10", res.OK, res.Errors, res.Status.S2xx)
	}
	res = run(t, Config{Request: get(srv.srv.URL), Requests: 5, ExpectStatus: http.StatusOK})
	if res.OK != 0 || res.Errors != 5 {
		t.Errorf("expecting 200 from a 202 server: ok=%d errors=%d", res.OK, res.Errors)
	}
}

// TestTransportErrorsCount checks that a refused connection counts as an
// error, not a status.
func TestTransportErrorsCount(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(okHandler))
	url := srv.URL
	srv.Close()
	res := run(t, Config{Request: get(url), Concurrency: 2, Requests: 6})
	if res.Errors != 6 || res.Status.Total() != 0 || res.Requests != 6 {
		t.Errorf("errors=%d statuses=%d requests=%d", res.Errors, res.Status.Total(), res.Requests)
	}
}

// TestFactoryErrorAborts checks that a failing Request aborts the run.
func TestFactoryErrorAborts(t *testing.T) {
	srv := newCounter(t, okHandler)
	boom := errors.New("boom")
	req := func(i int) (*http.Request, error) {
		if i == 5 {
			return nil, boom
		}
		return get(srv.srv.URL)(i)
	}
	if _, err := Run(context.Background(), Config{Request: req, Requests: 100}); !errors.Is(err, boom) {
		t.Errorf("Run = %v, want boom", err)
	}
}

// TestCancelEndsRun checks that cancelling the context ends a long run
// without reporting the cut-short requests as errors.
func TestCancelEndsRun(t *testing.T) {
	srv := newCounter(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res, err := Run(ctx, Config{Request: get(srv.srv.URL), Concurrency: 2, Duration: time.Minute})
	if err != nil || res.Errors != 0 || res.Requests != 0 {
		t.Errorf("Run = %+v, %v; want nothing counted", res, err)
	}
}

// TestConfigValidation checks the bounds on a run's configuration.
func TestConfigValidation(t *testing.T) {
	req := get("http://127.0.0.1:1")
	bad := []Config{
		{},
		{Request: req, Concurrency: MaxConcurrency + 1},
		{Request: req, Concurrency: -1},
		{Request: req, Rate: -1},
		{Request: req, Duration: MaxDuration + time.Second},
		{Request: req, Duration: -time.Second},
		{Request: req, Requests: -1},
	}
	for _, cfg := range bad {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v) = nil error", cfg)
		}
	}
	if d := (Config{Requests: 5}).withDefaults().Duration; d != MaxDuration {
		t.Errorf("count-only duration = %s, want %s", d, MaxDuration)
	}
	if d := (Config{}).withDefaults().Duration; d != DefaultDuration {
		t.Errorf("default duration = %s, want %s", d, DefaultDuration)
	}
}

// TestSlotsWithin checks the number of open-loop slots in a window.
func TestSlotsWithin(t *testing.T) {
	cases := []struct {
		d    time.Duration
		rate float64
		want int
	}{
		{time.Second, 200, 200}, {300 * time.Millisecond, 10, 3}, {time.Second, 3, 3},
		{1500 * time.Millisecond, 1, 2}, {time.Millisecond, 0.5, 1},
	}
	for _, c := range cases {
		if got := slotsWithin(c.d, c.rate); got != c.want {
			t.Errorf("slotsWithin(%s, %g) = %d, want %d", c.d, c.rate, got, c.want)
		}
	}
}

// TestResultFormats checks that text lines of different runs line up and
// that JSON carries the figures.
func TestResultFormats(t *testing.T) {
	a := Result{Name: "ceiling", Mode: ModeClosed, Concurrency: 32, Requests: 123456, OK: 123456,
		Throughput: 24691.2, Latency: Latency{P50: 1234 * time.Microsecond, P99: 5 * time.Millisecond, Max: 40 * time.Millisecond}}
	b := Result{Name: "api-read", Mode: ModeOpen, TargetRate: 500, Concurrency: 8, Requests: 2500, OK: 2400,
		Errors: 100, Throughput: 500, Latency: Latency{P50: 87 * time.Microsecond, P99: 1200 * time.Millisecond}}
	la, lb := a.String(), b.String()
	if len(la) != len(lb) || strings.Index(la, "p99=") != strings.Index(lb, "p99=") {
		t.Errorf("lines do not line up:\n%s\n%s", la, lb)
	}
	if !strings.Contains(la, "rps=24691.2") || !strings.Contains(lb, "rate=500") || !strings.Contains(la, "p99=    5.000ms") {
		t.Errorf("unexpected lines:\n%s\n%s", la, lb)
	}
	js, err := a.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(js, &back); err != nil || back.Latency.P99 != a.Latency.P99 || back.Requests != a.Requests {
		t.Errorf("JSON round trip: %s → %+v, %v", js, back, err)
	}
}
