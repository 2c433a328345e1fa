package loadgen

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Loop disciplines, as reported in Result.Mode.
const (
	ModeClosed = "closed"
	ModeOpen   = "open"
)

// Result is what one run measured. Durations are in nanoseconds in JSON.
type Result struct {
	Name        string  `json:"name"`
	Mode        string  `json:"mode"`
	Concurrency int     `json:"concurrency"`
	TargetRate  float64 `json:"target_rate,omitempty"`

	// Elapsed is the wall time from the first send to the last answer.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Requests is the number of requests sent and finished, by an answer
	// or an error: OK + Errors.
	Requests int64 `json:"requests"`
	// OK counts the answers with the expected status that passed Check.
	OK int64 `json:"ok"`
	// Errors counts transport errors, timeouts, unexpected statuses and
	// failed checks.
	Errors int64 `json:"errors"`
	// Status counts answers by status class, expected or not.
	Status StatusClasses `json:"status"`
	// Missed counts, in open loop, requests scheduled within the run that
	// were never sent because Concurrency requests were all in flight: the
	// target did not sustain the rate. Zero in closed loop.
	Missed int64 `json:"missed"`
	// Throughput is Requests / Elapsed, per second.
	Throughput float64 `json:"throughput"`
	// Latency summarises the latency of answered and failed requests.
	Latency Latency `json:"latency"`
	// SendLag, in open loop only, summarises how late requests were sent
	// after their scheduled time: the load generator's own delay (a busy
	// machine, too few workers, a slow target). Latency includes it. A
	// large lag with small server-side times means the machine, not the
	// target, was the bottleneck.
	SendLag *Latency `json:"send_lag,omitempty"`
	// ErrorSamples holds the first few distinct error messages.
	ErrorSamples []string `json:"error_samples,omitempty"`
}

// StatusClasses counts responses by the first digit of their status.
type StatusClasses struct {
	S1xx int64 `json:"1xx"`
	S2xx int64 `json:"2xx"`
	S3xx int64 `json:"3xx"`
	S4xx int64 `json:"4xx"`
	S5xx int64 `json:"5xx"`
}

// Total returns the number of responses counted.
func (s StatusClasses) Total() int64 {
	return s.S1xx + s.S2xx + s.S3xx + s.S4xx + s.S5xx
}

// Latency summarises a latency distribution. In closed loop latency runs
// from the send to the end of the response body; in open loop it starts at
// the scheduled send time instead.
type Latency struct {
	Min  time.Duration `json:"min_ns"`
	Mean time.Duration `json:"mean_ns"`
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p999_ns"`
	Max  time.Duration `json:"max_ns"`
}

// summarize reads the summary out of h.
func summarize(h *Histogram) Latency {
	return Latency{
		Min:  h.Min(),
		Mean: h.Mean(),
		P50:  h.Quantile(0.50),
		P90:  h.Quantile(0.90),
		P99:  h.Quantile(0.99),
		P999: h.Quantile(0.999),
		Max:  h.Max(),
	}
}

// String formats r as one line of fixed-width fields, so that the lines of
// several runs line up under each other.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s %-6s c=%-4d %-11s", r.Name, r.Mode, r.Concurrency, r.rateField())
	fmt.Fprintf(&b, " reqs=%-9d ok=%-9d err=%-7d missed=%-7d", r.Requests, r.OK, r.Errors, r.Missed)
	fmt.Fprintf(&b, " 2xx=%-9d 3xx=%-5d 4xx=%-7d 5xx=%-7d", r.Status.S2xx, r.Status.S3xx, r.Status.S4xx, r.Status.S5xx)
	fmt.Fprintf(&b, " rps=%-9.1f", r.Throughput)
	l := r.Latency
	fmt.Fprintf(&b, " p50=%s p90=%s p99=%s p99.9=%s max=%s",
		ms(l.P50), ms(l.P90), ms(l.P99), ms(l.P999), ms(l.Max))
	if r.SendLag != nil {
		fmt.Fprintf(&b, " lag.p99=%s", ms(r.SendLag.P99))
	}
	return b.String()
}

// rateField formats the target rate for String.
func (r Result) rateField() string {
	if r.Mode != ModeOpen {
		return "rate=max"
	}
	return fmt.Sprintf("rate=%.0f", r.TargetRate)
}

// ms formats d in milliseconds in a fixed width.
func ms(d time.Duration) string {
	return fmt.Sprintf("%9.3fms", float64(d)/float64(time.Millisecond))
}

// JSON returns r as one line of JSON.
func (r Result) JSON() ([]byte, error) {
	return json.Marshal(r)
}

// Summarize reads the summary out of a histogram a scenario recorded
// itself (a latency the load generator cannot see, such as a reply's
// arrival elsewhere).
func Summarize(h *Histogram) Latency { return summarize(h) }
