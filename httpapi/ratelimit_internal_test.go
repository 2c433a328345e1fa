package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestSharedRateLimit: two processes' limiters on one PostgreSQL give a
// key the configured limit in all, not each: with the clock still, both
// together allow exactly the burst, whichever of them the requests reach;
// a second later, exactly what the rate refilled.
func TestSharedRateLimit(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		if !strings.HasPrefix(url, "postgres") {
			t.Skip("buckets are shared on PostgreSQL only; SQLite has one process")
		}
		db := pgtest.Open(t, url)
		ctx := context.Background()
		const rate, burst = 10, 200
		a, b := newLimiters(rate, burst), newLimiters(rate, burst)
		a.share(db, nil)
		b.share(db, nil)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		spend := func() (allowed int) {
			for i := 0; ; i++ {
				l := a
				if i%3 == 0 { // uneven: one process gets a third of the requests
					l = b
				}
				ok, _, _, retry := l.take(ctx, "key:key_1", now)
				if ok {
					allowed++
					continue
				}
				if retry <= 0 {
					t.Fatal("refused without a Retry-After")
				}
				// Refused by one; the other may still hold tokens it took.
				other := a
				if l == a {
					other = b
				}
				for {
					if ok, _, _, _ := other.take(ctx, "key:key_1", now); !ok {
						return allowed
					}
					allowed++
				}
			}
		}
		if got := spend(); got != burst {
			t.Fatalf("two processes allowed %d at once; want the burst, %d", got, burst)
		}
		now = now.Add(time.Second)
		if got := spend(); got != rate {
			t.Fatalf("a second later they allowed %d; want %d", got, rate)
		}
		// Idle buckets are purged; a purged bucket starts full again.
		if n, err := db.PurgeRateLimits(ctx, now.Add(time.Minute)); err != nil || n != 1 {
			t.Fatalf("purged %d: %v", n, err)
		}
		if got, left, err := db.TakeTokens(ctx, tokenTake("key:key_1", now)); err != nil || got != 1 || left != 0 {
			t.Fatalf("a purged bucket: took %d, left %v: %v", got, left, err)
		}
	})
}

// TestSharedRateLimitOnSQLite: the store refuses to share buckets on
// SQLite (one process), and the limiters then count in memory.
func TestSharedRateLimitOnSQLite(t *testing.T) {
	db := pgtest.Open(t, "sqlite://"+t.TempDir()+"/db")
	if _, _, err := db.TakeTokens(context.Background(), tokenTake("key:k", time.Now())); err != store.ErrNotShared {
		t.Fatalf("TakeTokens on SQLite: %v", err)
	}
	l := newLimiters(1, 2)
	l.share(db, nil)
	now := time.Now()
	for i, want := range []bool{true, true, false} {
		if ok, _, _, _ := l.take(context.Background(), "key:k", now); ok != want {
			t.Fatalf("take %d: %v", i, ok)
		}
	}
}

func tokenTake(name string, now time.Time) sb.TokenTake {
	return sb.TokenTake{Name: name, Rate: 1, Burst: 1, Want: 1, Now: now}
}

// BenchmarkRateLimit is the cost of the rate limit per API request of one
// key: in memory (SQLite, one process) and shared through PostgreSQL
// (a statement every burst/20 requests), with the default burst of 200.
func BenchmarkRateLimit(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, l *limiters) {
		now := time.Now()
		for b.Loop() {
			now = now.Add(time.Millisecond) // 1,000 requests a second: never refused
			if ok, _, _, _ := l.take(ctx, "key:key_1", now); !ok {
				b.Fatal("refused")
			}
		}
	}
	b.Run("memory", func(b *testing.B) { run(b, newLimiters(1000, 200)) })
	b.Run("shared-postgres", func(b *testing.B) {
		l := newLimiters(1000, 200)
		l.share(pgtest.Open(b, pgtest.URL(b)), nil)
		run(b, l)
	})
}
