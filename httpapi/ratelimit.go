package httpapi

import (
	"context"
	"log/slog"
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
//
// With shared buckets (several processes on one PostgreSQL), the bucket
// that counts is the database's, so that a key's limit is the configured
// one whatever the number of processes: a process takes tokens from it in
// chunks of burst/20 and spends them locally, which costs one statement
// every chunk requests of a key per process. Nothing can exceed the limit
// (every token spent was taken from the shared bucket); tokens a process
// took and has not spent yet are missing to the others, at most a chunk
// per process (5 % of the burst each). If the database fails, the
// in-memory bucket decides until it answers again.
type limiters struct {
	rate  rate.Limit
	burst int

	shared sb.TokenBuckets // nil: one process, buckets in memory
	chunk  int
	log    *slog.Logger

	mu       sync.Mutex
	buckets  map[string]*bucket
	swept    time.Time
	failedAt time.Time // the last shared-bucket failure logged
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time

	take    sync.Mutex // one take from the shared bucket at a time
	prepaid int        // tokens taken from the shared bucket, not spent yet
	left    float64    // the shared bucket's tokens after the last take
}

func newLimiters(perSecond float64, burst int) *limiters {
	if burst < 1 {
		burst = int(math.Max(1, perSecond))
	}
	return &limiters{rate: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

// share makes the buckets the shared ones of tb.
func (l *limiters) share(tb sb.TokenBuckets, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l.shared, l.chunk, l.log = tb, max(1, l.burst/20), log
}

// take consumes one token of the named bucket and reports the state to put
// in the RateLimit-* headers.
func (l *limiters) take(ctx context.Context, name string, now time.Time) (ok bool, remaining int, reset, retryAfter time.Duration) {
	b := l.get(name, now, true)
	if l.shared != nil {
		if ok, remaining, reset, retryAfter, err := l.takeShared(ctx, b, name, now); err == nil {
			return ok, remaining, reset, retryAfter
		}
	}
	r := b.lim.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return false, 0, l.untilFull(b.lim, now), delay
	}
	tokens := b.lim.TokensAt(now)
	return true, int(math.Max(0, math.Floor(tokens))), l.untilFull(b.lim, now), 0
}

// takeShared spends a token taken from the shared bucket, taking a chunk
// first if none is left.
func (l *limiters) takeShared(ctx context.Context, b *bucket, name string, now time.Time) (ok bool, remaining int, reset, retryAfter time.Duration, err error) {
	b.take.Lock()
	defer b.take.Unlock()
	if b.prepaid == 0 {
		got, left, err := l.shared.TakeTokens(ctx, sb.TokenTake{Name: name, Rate: float64(l.rate), Burst: l.burst, Want: l.chunk, Now: now})
		if err != nil {
			l.sharedFailed(err, now)
			return false, 0, 0, 0, err
		}
		b.prepaid, b.left = got, left
	}
	full := l.secondsFor(float64(l.burst) - b.left - float64(b.prepaid))
	if b.prepaid == 0 {
		return false, 0, full, l.until(b.left), nil
	}
	b.prepaid--
	return true, int(b.left) + b.prepaid, full, 0, nil
}

// sharedFailed logs a failure of the shared buckets, at most once a minute.
func (l *limiters) sharedFailed(err error, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.failedAt) > time.Minute {
		l.failedAt = now
		l.log.Warn("rate limits: the shared buckets failed; limiting in this process only meanwhile", "error", err)
	}
}

// secondsFor is how long the buckets take to gain tokens.
func (l *limiters) secondsFor(tokens float64) time.Duration {
	if tokens <= 0 || l.rate <= 0 {
		return 0
	}
	return time.Duration(tokens / float64(l.rate) * float64(time.Second))
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
func (l *limiters) until(tokens float64) time.Duration { return l.secondsFor(1 - tokens) }

func (l *limiters) untilFull(lim *rate.Limiter, now time.Time) time.Duration {
	return l.secondsFor(float64(l.burst) - lim.TokensAt(now))
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
	ok, remaining, reset, retry := s.limits.take(r.Context(), name, s.clock.Now())
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
