package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// Budget is a token bucket: Burst at once, refilled at PerSecond.
type Budget struct {
	PerSecond float64
	Burst     int
}

// The default budgets of refused /hooks requests. A platform's verified
// requests never spend them, so they only need to cover a platform that is
// being set up (a wrong secret for a while) and some noise.
var (
	DefaultHookIPRefusals      = Budget{PerSecond: 1, Burst: 20}
	DefaultHookChannelRefusals = Budget{PerSecond: 5, Burst: 100}
)

// knownFor is how long an address that sent a channel a verified request
// is exempt from the channel's budget; maxKnown bounds how many such
// (channel, address) pairs are remembered.
const (
	knownFor = 24 * time.Hour
	maxKnown = 100000
)

// maxRefusalSources bounds the client IPs whose refusals are counted apart
// in the log; beyond it they are counted together.
const maxRefusalSources = 10000

// hookGuard limits what requests refused by /hooks may cost: each client
// IP and each channel has a budget of refusals (401, 403, 400, 404, 413),
// and one over either budget is answered 429 before anything else is done.
// Verified requests spend nothing. An address that sent a channel a
// verified request in the last day is exempt from that channel's budget,
// so that refusals from many other addresses cannot hold up a platform
// that has been delivering; only its own address's budget, which its
// verified requests never spend, applies to it. Refusals are logged
// once per client IP and interval, with counts, rather than one line each.
type hookGuard struct {
	ips, channels *limiters

	log   *slog.Logger
	every time.Duration

	mu      sync.Mutex
	sources map[string]*refusals
	swept   time.Time
	known   map[string]time.Time // channel + " " + address → its last verified request
}

// refusals counts what one client IP was refused since start, beyond the
// first refusal, which was logged in full.
type refusals struct {
	start            time.Time
	refused, limited int
}

func newHookGuard(cfg Config, log *slog.Logger) *hookGuard {
	ip, ch := cfg.HookIPRefusals, cfg.HookChannelRefusals
	if ip.PerSecond <= 0 {
		ip = DefaultHookIPRefusals
	}
	if ch.PerSecond <= 0 {
		ch = DefaultHookChannelRefusals
	}
	every := cfg.RefusalLogInterval
	if every <= 0 {
		every = time.Minute
	}
	return &hookGuard{
		ips: newLimiters(ip.PerSecond, ip.Burst), channels: newLimiters(ch.PerSecond, ch.Burst),
		log: log, every: every, sources: map[string]*refusals{}, known: map[string]time.Time{},
	}
}

// budget reports the state of the tighter of the two budgets (the
// client's and the channel's) for the RateLimit-* headers and how long to
// wait if it is spent.
type budget struct {
	limit, remaining int
	reset, wait      time.Duration
}

func (g *hookGuard) level(ip, channel string, now time.Time) budget {
	if g.isKnown(ip, channel, now) {
		channel = ""
	}
	var b budget
	first := true
	for _, c := range []struct {
		l    *limiters
		name string
	}{{g.ips, ip}, {g.channels, channel}} {
		if c.name == "" {
			continue
		}
		tokens, reset := c.l.level(c.name, now)
		remaining := max(0, int(tokens))
		if first || remaining < b.remaining {
			b.limit, b.remaining, b.reset = c.l.burst, remaining, reset
		}
		b.wait = max(b.wait, c.l.until(tokens))
		first = false
	}
	return b
}

// refused reports whether err is a refusal that spends the budgets, and
// whether it spends the channel's (a 404 names no channel that exists).
func refused(err error) (spends, perChannel bool) {
	var e *sb.Error
	if !errors.As(err, &e) {
		return false, false
	}
	switch e.Code {
	case sb.EUnauthorized, sb.EForbidden, sb.EInvalid, sb.EPayloadTooLarge:
		return true, true
	case sb.ENotFound:
		return true, false
	}
	return false, false
}

// charge spends one refusal of the client's budget and, if perChannel, of
// the channel's.
func (g *hookGuard) charge(ip, channel string, perChannel bool, now time.Time) {
	g.ips.charge(ip, now)
	if perChannel {
		g.channels.charge(channel, now)
	}
}

// verified records that ip sent channel a verified request.
func (g *hookGuard) verified(ip, channel string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.known) >= maxKnown {
		for k, at := range g.known {
			if now.Sub(at) > knownFor {
				delete(g.known, k)
			}
		}
		if len(g.known) >= maxKnown {
			return
		}
	}
	g.known[channel+" "+ip] = now
}

// isKnown says whether ip sent channel a verified request lately.
func (g *hookGuard) isKnown(ip, channel string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	at, ok := g.known[channel+" "+ip]
	return ok && now.Sub(at) <= knownFor
}

// setHeaders writes the RateLimit-* headers of b.
func (b budget) setHeaders(h http.Header) {
	h.Set("RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(b.remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(b.reset)))
}

// note records a refusal (limited: a 429) of a request from ip. The first
// one of an interval is logged in full (with attrs); the others are
// counted and logged as one line when the interval is over.
func (g *hookGuard) note(ip string, limited bool, now time.Time, attrs ...any) {
	g.mu.Lock()
	var due []any // summaries to log, as slog.Attr groups
	if now.Sub(g.swept) >= g.every {
		g.swept = now
		for k, c := range g.sources {
			if now.Sub(c.start) >= g.every {
				if c.refused+c.limited > 0 {
					due = append(due, c.summary(k, now))
				}
				delete(g.sources, k)
			}
		}
	}
	key := ip
	if _, ok := g.sources[key]; !ok && len(g.sources) >= maxRefusalSources {
		key = "other"
	}
	c := g.sources[key]
	first := c == nil
	if first {
		c = &refusals{start: now}
		g.sources[key] = c
	} else if limited {
		c.limited++
	} else {
		c.refused++
	}
	g.mu.Unlock()

	for _, s := range due {
		g.log.Info("inbound hook refusals", s.([]any)...)
	}
	if first {
		if limited {
			attrs = append(attrs, "code", sb.ERateLimited)
		}
		g.log.Info("inbound hook refused", append(attrs, "ip", ip,
			"note", "further refusals from this address are counted and logged once per "+g.every.String())...)
	}
}

func (c *refusals) summary(ip string, now time.Time) []any {
	return []any{"ip", ip, "refused", c.refused, "rate_limited", c.limited,
		"since", c.start.UTC().Format(time.RFC3339), "seconds", int(now.Sub(c.start).Seconds())}
}
