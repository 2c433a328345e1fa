package pgtest

import (
	"context"
	"testing"

	"github.com/switchboardhq/switchboard/secret"
	"github.com/switchboardhq/switchboard/store"
)

// testKey is the master key of the stores that Open opens.
const testKey = "switchboard tests master key, not secret"

// Open opens the database at databaseURL (SQLite or PostgreSQL, as from
// URL or EachDatabase) with secrets sealed under a fixed test key and
// logs discarded, migrates it, and closes it when t ends: after the
// cleanups registered later, such as those stopping what uses it.
func Open(t testing.TB, databaseURL string) *store.DB {
	t.Helper()
	key, err := secret.ParseKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return OpenWith(t, databaseURL, store.Options{Sealer: box})
}

// OpenWith is Open with the options given.
func OpenWith(t testing.TB, databaseURL string, o store.Options) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, databaseURL, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}
