package webhook

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/testclock"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestSharedEndpointRateLimit: two processes' lanes of one endpoint on one
// PostgreSQL share its rate limit: with the clock still they start the
// burst (one second's worth) in all, not each; the next request waits
// until the shared bucket has refilled a token.
func TestSharedEndpointRateLimit(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		if !strings.HasPrefix(url, "postgres") {
			t.Skip("limits are shared on PostgreSQL only; SQLite has one process")
		}
		db := pgtest.Open(t, url)
		clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		lane := func() *lane {
			d := &Dispatcher{cfg: Config{Clock: clock, SharedLimits: db}, ctx: ctx, log: slog.New(slog.DiscardHandler)}
			return &lane{d: d, id: "ep_shared"}
		}
		a, b := lane(), lane()
		const rate = 5
		for i := range rate {
			l := a
			if i%2 == 1 {
				l = b
			}
			if !l.sharedToken(rate) {
				t.Fatalf("token %d refused", i)
			}
		}
		if n := clock.TimersWithin(time.Hour); n != 0 {
			t.Fatalf("%d waits for the first %d tokens", n, rate)
		}
		done := make(chan bool)
		go func() { done <- b.sharedToken(rate) }()
		for clock.TimersWithin(time.Second) == 0 {
			select {
			case <-done:
				t.Fatal("a sixth token within the same instant: the lanes do not share the limit")
			case <-time.After(time.Millisecond):
			}
		}
		clock.Advance(time.Second / rate)
		if !<-done {
			t.Fatal("the waiting token was refused")
		}
	})
}
