package store

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// listener keeps a PostgreSQL DB's route caches current across processes
// (targets.go): on a connection of its own, to the direct URL
// (Options.DirectURL: a pooler in transaction mode would hand the
// notifications to no client), it LISTENs for the notifications writers
// send when they change endpoints or automations,
// and bumps the cache named. While it is not listening (before it first
// connects, after the connection drops, until it is back) the caches are
// off, so a change it could miss is never served from a cache.
type listener struct {
	url    string
	routes *routeCaches
	log    *slog.Logger
	cancel context.CancelFunc
	done   sync.WaitGroup
	// listening is closed once the first LISTEN has succeeded (tests).
	listening chan struct{}
	once      sync.Once
}

// startListener starts listening; stop it with stop.
func startListener(url string, routes *routeCaches, log *slog.Logger) *listener {
	routes.endpoints.setOff(true)
	routes.automations.setOff(true)
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{url: url, routes: routes, log: log, cancel: cancel, listening: make(chan struct{})}
	l.done.Add(1)
	go l.run(ctx)
	return l
}

func (l *listener) run(ctx context.Context) {
	defer l.done.Done()
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := l.listen(ctx)
		l.setOff(true)
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("store: listening for changes of endpoints and automations failed; not caching them until it is back",
			"error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
}

// listen connects, listens and applies notifications until the
// connection fails or ctx ends.
func (l *listener) listen(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, l.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	l.setOff(false) // from here on no change goes unheard
	l.once.Do(func() { close(l.listening) })
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch n.Payload {
		case notifyEndpoints:
			l.routes.endpoints.bump()
		case notifyAutomations:
			l.routes.automations.bump()
		default:
			l.routes.endpoints.bump()
			l.routes.automations.bump()
		}
	}
}

func (l *listener) setOff(off bool) {
	l.routes.endpoints.setOff(off)
	l.routes.automations.setOff(off)
}

func (l *listener) stop() {
	if l == nil {
		return
	}
	l.cancel()
	l.done.Wait()
}
