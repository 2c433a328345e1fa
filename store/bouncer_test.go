package store_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/store/storetest"
)

// TestPgBouncerConformance runs the store's conformance suite with the
// database URL through PgBouncer in transaction mode and the direct URL to
// PostgreSQL: every query of the store works when consecutive
// transactions land on different server connections.
func TestPgBouncerConformance(t *testing.T) {
	first := pgtest.URL(t)
	bouncer := pgtest.StartBouncer(t, first)
	storetest.Run(t, func(t *testing.T) switchboard.Store {
		direct := pgtest.URL(t)
		return pgtest.OpenWith(t, bouncer.URL(direct),
			store.Options{Sealer: newSealer(), DirectURL: direct, SharedCaches: true})
	})
}

// TestPgBouncer: on an empty database, processes whose database URL goes
// through PgBouncer in transaction mode migrate at once on the direct URL
// (one applies each migration, and no advisory lock is left behind), take
// rate-limit tokens, and hear of each other's changes to webhook endpoints
// and automations on their LISTEN connections, long before their caches
// would expire.
func TestPgBouncer(t *testing.T) {
	direct := pgtest.URL(t)
	bouncer := pgtest.StartBouncer(t, direct)
	bounced := bouncer.URL(direct)
	ctx := context.Background()

	admin, err := sql.Open("pgx", direct)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}

	open := func() *store.DB {
		db, err := store.Open(ctx, bounced, store.Options{Sealer: newSealer(), DirectURL: direct, SharedCaches: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	if err := a.Ready(ctx); err == nil {
		t.Fatal("an empty database is ready")
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, db := range []*store.DB{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("migrating both at once: %v", err)
	}
	for _, db := range []*store.DB{a, b} {
		if err := db.Ready(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var applied, twice, locks int
	err = admin.QueryRowContext(ctx, `SELECT count(DISTINCT version_id), count(*) - count(DISTINCT version_id),
		(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) FROM goose_db_version WHERE version_id > 0`).Scan(&applied, &twice, &locks)
	if err != nil || applied == 0 || twice != 0 || locks != 0 {
		t.Fatalf("%d migrations applied, %d of them twice, %d advisory locks held: %v", applied, twice, locks, err)
	}

	// The shared rate-limit buckets, on a pool of their own.
	take := switchboard.TokenTake{Name: "key:bouncer", Burst: 2, Rate: 0.001, Want: 1, Now: time.Now()}
	for i, want := range []int{1, 1, 0} {
		db := []*store.DB{a, b}[i%2]
		if got, _, err := db.TakeTokens(ctx, take); err != nil || got != want {
			t.Fatalf("take %d: got %d, want %d: %v", i, got, want, err)
		}
	}

	store.WaitListening(t, a)
	store.WaitListening(t, b)
	e := newRouteEnv(t, a)
	seen := func(db *store.DB, endpoints, automations int) {
		t.Helper()
		// Well inside the caches' 10 s: without the notification the old
		// lists would still be served.
		deadline := time.Now().Add(5 * time.Second)
		for {
			eps, autos := e.lists(t, db)
			if eps == endpoints && autos == automations {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d endpoints and %d automations seen, want %d and %d", eps, autos, endpoints, automations)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	seen(a, 0, 0) // cached
	seen(b, 0, 0)
	ep := e.addEndpoint(t, b)
	seen(a, 1, 0)
	e.addAutomation(t, a)
	seen(b, 1, 1)
	ep.Status = switchboard.EndpointDisabled
	if err := b.UpdateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	seen(a, 0, 1)
}
