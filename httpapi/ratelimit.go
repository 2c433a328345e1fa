package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/auth"
)

// limiters hands out one token bucket per API key (or per client IP for
// requests without valid credentials) and forgets idle ones.
type limiters struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiters(perSecond float64, burst int) *limiters {
	if burst < 1 {
		burst = int(math.Max(1, perSecond))
	}
	return &limiters{rate: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

// take consumes one token of the named bucket and reports the state to put
// in the RateLimit-* headers.
func (l *limiters) take(name string, now time.Time) (ok bool, remaining int, reset, retryAfter time.Duration) {
	b := l.get(name, now, true)
	r := b.lim.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return false, 0, l.untilFull(b.lim, now), delay
	}
	tokens := b.lim.TokensAt(now)
	return true, int(math.Max(0, math.Floor(tokens))), l.untilFull(b.lim, now), 0
}

// get returns the named bucket, made full if create and it did not exist
// (nil if not create). Idle buckets are swept now and then.
func (l *limiters) get(name string, now time.Time, create bool) *bucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[name]
	if b == nil {
		if !create {
			return nil
		}
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[name] = b
	}
	b.seen = now
	if now.Sub(l.swept) > time.Minute {
		l.sweep(now)
	}
	return b
}

// level reports the tokens of the named bucket now without taking one (a
// bucket never used is full), and how long until it is full again.
func (l *limiters) level(name string, now time.Time) (tokens float64, reset time.Duration) {
	b := l.get(name, now, false)
	if b == nil {
		return float64(l.burst), 0
	}
	return b.lim.TokensAt(now), l.untilFull(b.lim, now)
}

// charge takes one token of the named bucket, if it has one.
func (l *limiters) charge(name string, now time.Time) {
	l.get(name, now, true).lim.AllowN(now, 1)
}

// until is how long a bucket holding tokens takes to hold one.
func (l *limiters) until(tokens float64) time.Duration {
	if tokens >= 1 || l.rate <= 0 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(l.rate) * float64(time.Second))
}

func (l *limiters) untilFull(lim *rate.Limiter, now time.Time) time.Duration {
	missing := float64(l.burst) - lim.TokensAt(now)
	if missing <= 0 || l.rate <= 0 {
		return 0
	}
	return time.Duration(missing / float64(l.rate) * float64(time.Second))
}

// sweep drops buckets idle long enough to be full again. Called with mu held.
func (l *limiters) sweep(now time.Time) {
	l.swept = now
	idle := time.Duration(float64(l.burst)/float64(l.rate)*float64(time.Second)) + time.Minute
	for k, b := range l.buckets {
		if now.Sub(b.seen) > idle {
			delete(l.buckets, k)
		}
	}
}

// allow applies the rate limit for a request, sets the RateLimit-* headers,
// and answers 429 if the bucket is empty. p is nil for requests without
// valid credentials, which are limited per client IP.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, p *auth.Principal) bool {
	name := "ip:" + limitKey(s.clientIP(r))
	if p != nil {
		name = "key:" + p.KeyID
	}
	ok, remaining, reset, retry := s.limits.take(name, s.clock.Now())
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(s.limits.burst))
	h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(reset)))
	if ok {
		return true
	}
	h.Set("Retry-After", strconv.Itoa(max(1, ceilSeconds(retry))))
	s.fail(w, r, sb.Errorf(sb.ERateLimited, "Rate limit exceeded: %d requests at once, refilled at %g per second.", s.limits.burst, float64(s.limits.rate)))
	return false
}

func ceilSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
