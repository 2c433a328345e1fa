package auth

import (
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	sb "github.com/switchboardhq/switchboard"
)

// Sign-in throttling: failed attempts spend tokens of two buckets, one per
// account (the email tried) and one per client IP. An empty bucket refuses
// further attempts until it refills, whatever the password.
const (
	AccountAttempts = 5                // failed sign-ins in a row on one account
	AccountRefill   = time.Minute      // one more attempt per account this often
	IPAttempts      = 20               // failed sign-ins in a row from one IP
	IPRefill        = 10 * time.Second // one more attempt per IP this often
)

// SignInThrottle limits sign-in attempts per account and per IP address.
// It is held in memory: each process counts its own attempts.
type SignInThrottle struct {
	clock sb.Clock

	mu      sync.Mutex
	account map[string]*rate.Limiter
	ip      map[string]*rate.Limiter
}

// NewSignInThrottle returns a throttle on the given clock (nil: the
// system's).
func NewSignInThrottle(clock sb.Clock) *SignInThrottle {
	if clock == nil {
		clock = sb.SystemClock{}
	}
	return &SignInThrottle{clock: clock, account: map[string]*rate.Limiter{}, ip: map[string]*rate.Limiter{}}
}

func bucket(m map[string]*rate.Limiter, key string, every time.Duration, burst int) *rate.Limiter {
	l := m[key]
	if l == nil {
		if len(m) > 100000 {
			clear(m) // a flood of names: start again rather than grow
		}
		l = rate.NewLimiter(rate.Every(every), burst)
		m[key] = l
	}
	return l
}

// Allow reports whether an attempt on the account from ip may be made now,
// and if not, how long until it may.
func (t *SignInThrottle) Allow(email, ip string) (bool, time.Duration) {
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, l := range []*rate.Limiter{
		bucket(t.account, strings.ToLower(email), AccountRefill, AccountAttempts),
		bucket(t.ip, ip, IPRefill, IPAttempts),
	} {
		if tokens := l.TokensAt(now); tokens < 1 {
			wait = max(wait, time.Duration((1-tokens)*float64(time.Second)/float64(l.Limit())))
		}
	}
	return wait == 0, wait
}

// Fail records a failed attempt.
func (t *SignInThrottle) Fail(email, ip string) {
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	bucket(t.account, strings.ToLower(email), AccountRefill, AccountAttempts).AllowN(now, 1)
	bucket(t.ip, ip, IPRefill, IPAttempts).AllowN(now, 1)
}

// Succeed forgets the failures of an account that signed in.
func (t *SignInThrottle) Succeed(email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.account, strings.ToLower(email))
}
