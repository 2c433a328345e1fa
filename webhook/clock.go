package webhook

import "time"

// Clock is the time source of the Dispatcher: the retry schedule, leases,
// the recovery loop and rate limits read it, so that tests can move time
// forward by days without waiting. (HTTP timeouts and latency measurements
// use real time.)
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the system clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// After is time.After.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
