package switchboard

import "time"

// Clock is the one time source of a Switchboard process. Everything that
// stamps, schedules or expires reads it, so that tests can fake it and move
// time forward by days without waiting. (HTTP timeouts and latency
// measurements use real time.)
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the system's clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After is time.After.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
