package loadgen

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Limits that keep every run bounded.
const (
	// MaxDuration is the longest a run may last. A run with only a request
	// count stops after MaxDuration at the latest.
	MaxDuration = 10 * time.Minute
	// DefaultDuration is used when neither a duration nor a count is given.
	DefaultDuration = 10 * time.Second
	// DefaultTimeout bounds each request when Config.Timeout is zero.
	DefaultTimeout = 10 * time.Second
	// MaxConcurrency bounds the number of workers (and connections).
	MaxConcurrency = 4096
	// MaxRate bounds the open-loop arrival rate, in requests per second.
	MaxRate = 1_000_000
)

// RequestFunc builds request number i (0, 1, 2, …). It is called from
// several goroutines at once and must be safe for that. Each call must
// return a new request with its own body, so scenarios can sign or vary it.
type RequestFunc func(i int) (*http.Request, error)

// CheckFunc decides whether a response counts as a success. It may read the
// body; the load generator drains and closes it afterwards. It is called
// from several goroutines at once.
type CheckFunc func(resp *http.Response) error

// Config describes one run. The zero value of each optional field is a
// sensible default.
type Config struct {
	// Name labels the result (the scenario's name).
	Name string
	// Request builds each request. Required.
	Request RequestFunc
	// Concurrency is the number of workers: in closed loop, each sends its
	// next request as soon as the previous one is answered; in open loop,
	// it bounds the requests in flight. Default 1.
	Concurrency int
	// Rate, if positive, selects open loop: requests are scheduled at this
	// fixed rate (per second) and latency is counted from each request's
	// scheduled send time, so a slow server cannot hide its queueing
	// (no coordinated omission). Zero selects closed loop.
	Rate float64
	// Duration stops the run after this long. If zero, DefaultDuration, or
	// MaxDuration when Requests is set.
	Duration time.Duration
	// Requests, if positive, stops the run after this many requests.
	Requests int
	// Timeout bounds each request. Default DefaultTimeout.
	Timeout time.Duration
	// ExpectStatus is the status code that counts as a success. Zero
	// accepts any 2xx.
	ExpectStatus int
	// Check, if set, is called on each response whose status was expected;
	// an error makes the response count as an error.
	Check CheckFunc
	// Client sends the requests. Default NewClient(Concurrency, 0). A
	// client of your own should refuse non-loopback targets too; every
	// request's URL is checked in any case.
	Client *http.Client
}

// withDefaults returns c with its zero optional fields filled in.
func (c Config) withDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.Duration == 0 && c.Requests > 0 {
		c.Duration = MaxDuration
	} else if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Client == nil {
		c.Client = NewClient(c.Concurrency, 0)
	}
	return c
}

// validate reports the first thing wrong with c (after defaults).
func (c Config) validate() error {
	switch {
	case c.Request == nil:
		return errors.New("loadgen: Config.Request is required")
	case c.Concurrency < 1 || c.Concurrency > MaxConcurrency:
		return fmt.Errorf("loadgen: concurrency %d out of range [1, %d]", c.Concurrency, MaxConcurrency)
	case c.Rate < 0 || c.Rate > MaxRate:
		return fmt.Errorf("loadgen: rate %g out of range [0, %d]", c.Rate, MaxRate)
	case c.Duration < 0 || c.Duration > MaxDuration:
		return fmt.Errorf("loadgen: duration %s out of range (0, %s]", c.Duration, MaxDuration)
	case c.Requests < 0:
		return fmt.Errorf("loadgen: negative request count %d", c.Requests)
	case c.Timeout < 0:
		return fmt.Errorf("loadgen: negative timeout %s", c.Timeout)
	}
	return nil
}

// mode names the loop discipline of c.
func (c Config) mode() string {
	if c.Rate > 0 {
		return ModeOpen
	}
	return ModeClosed
}
