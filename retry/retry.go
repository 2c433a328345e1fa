// Package retry is Switchboard's one retry policy: schedules of delays
// between attempts, the jitter that spreads them, and the reading of a
// server's Retry-After. The job queue (bot turns, sends, and every later
// kind of job) and the webhook dispatcher both schedule their retries with
// it, so that a schedule is written, parsed, printed and jittered the same
// way everywhere.
package retry

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Schedule is a retry policy: Schedule[i] is the delay before retry i+1,
// that is before attempt i+2; the first attempt is immediate. Work retried
// on it therefore makes len(s)+1 attempts in all.
type Schedule []time.Duration

// JitterFraction is the spread applied to every scheduled delay: ±20 %.
const JitterFraction = 0.2

// RandomJitter is the jitter source for production: uniform in [0,1).
// Tests pass a fixed function instead.
func RandomJitter() float64 { return rand.Float64() }

// Attempts is the number of attempts the schedule allows, the first
// included.
func (s Schedule) Attempts() int { return len(s) + 1 }

// Next returns the delay before attempt number attempt+1, given that
// attempt attempts have been made, or ok=false when the schedule is
// exhausted. With no attempt made yet the delay is zero. jitter returns a
// value in [0,1) that moves the delay uniformly within ±JitterFraction
// (0.5 keeps it exact); nil means no jitter.
func (s Schedule) Next(attempt int, jitter func() float64) (delay time.Duration, ok bool) {
	if attempt <= 0 {
		return 0, true
	}
	if attempt > len(s) {
		return 0, false
	}
	return applyJitter(s[attempt-1], jitter), true
}

// applyJitter moves d by up to ±JitterFraction of itself.
func applyJitter(d time.Duration, jitter func() float64) time.Duration {
	if jitter == nil {
		return d
	}
	j := min(max(jitter(), 0), 1)
	spread := float64(d) * JitterFraction
	return d + time.Duration(spread*(2*j-1))
}

// Delay returns the delay before the next attempt after attempt attempts,
// the last of which got status and headers h (status 0 for a network
// error), or ok=false when the schedule is exhausted. A 429 or 503 with a
// valid Retry-After is honoured, capped at twice the next scheduled delay
// (without jitter); everything else follows the schedule with jitter.
func (s Schedule) Delay(attempt, status int, h http.Header, now time.Time, jitter func() float64) (delay time.Duration, ok bool) {
	next, ok := s.Next(attempt, jitter)
	if !ok {
		return 0, false
	}
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return next, true
	}
	ra, ok := RetryAfter(h, now)
	if !ok {
		return next, true
	}
	limit, _ := s.Next(attempt, nil)
	return min(ra, 2*limit), true
}

// maxRetryAfterSeconds keeps a Retry-After in seconds within a Duration.
const maxRetryAfterSeconds = math.MaxInt64 / int64(time.Second)

// RetryAfter parses a Retry-After header, either delay-seconds ("120") or
// an HTTP-date, relative to now. A date in the past gives zero. ok is false
// when the header is missing or malformed.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > maxRetryAfterSeconds {
			n = maxRetryAfterSeconds // only overflow fails on digits
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ErrBadSchedule is matched by every error of ParseSchedule.
var ErrBadSchedule = errors.New("invalid retry schedule")

// ParseSchedule parses a comma-separated list of positive durations, such
// as "5s,5m,30m,2h,5h,10h,10h"; spaces around items are ignored.
func ParseSchedule(s string) (Schedule, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%w: empty", ErrBadSchedule)
	}
	items := strings.Split(s, ",")
	sched := make(Schedule, 0, len(items))
	for i, item := range items {
		d, err := time.ParseDuration(strings.TrimSpace(item))
		if err != nil {
			return nil, fmt.Errorf("%w: item %d %q is not a duration like 30s, 5m or 2h", ErrBadSchedule, i+1, strings.TrimSpace(item))
		}
		if d <= 0 {
			return nil, fmt.Errorf("%w: item %d %q must be positive", ErrBadSchedule, i+1, strings.TrimSpace(item))
		}
		sched = append(sched, d)
	}
	return sched, nil
}

// String formats s so that ParseSchedule reads it back.
func (s Schedule) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}
