package store_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store"
)

// TestIdempotencyResponseSealed reads the stored idempotency record with
// SQL (and, on SQLite, the database file and its WAL): the response it
// replays carries a new secret, which must not be there in the clear,
// while reading the record back through the store returns it whole.
func TestIdempotencyResponseSealed(t *testing.T) {
	const secret = "sbk_PLAINTEXT_IDEMPOTENT_SECRET"
	for name, open := range dbs(t) {
		t.Run(name, func(t *testing.T) {
			db, url := open(t)
			ctx := context.Background()
			r := &switchboard.IdempotencyRecord{Scope: "key_1", Key: "req-1", RequestHash: "hash-of-the-request"}
			must(t, db.CreateIdempotencyRecord(ctx, r))
			r.Status = 201
			r.Header = map[string]string{"Content-Type": "application/json", "Location": "/api/v1/api-keys/PLAIN_LOCATION"}
			r.Body = []byte(`{"id":"key_2","key":"` + secret + `"}`)
			must(t, db.CompleteIdempotencyRecord(ctx, r))

			stored := store.RawColumn(t, db, `SELECT scope, key, request_hash, status, header, body FROM idempotency_records`)
			if len(stored) != 1 {
				t.Fatalf("%d rows stored, want 1", len(stored))
			}
			row := string(stored[0])
			if !strings.Contains(row, "hash-of-the-request") || !strings.Contains(row, "201") {
				t.Fatalf("the request hash and status must stay readable: %q", row)
			}
			if name == "sqlite" {
				path := strings.TrimPrefix(url, "sqlite://")
				for _, p := range []string{path, path + "-wal"} {
					b, err := os.ReadFile(p)
					if err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
					stored = append(stored, b)
				}
			}
			for _, b := range stored {
				for _, plain := range []string{secret, "PLAIN_LOCATION", `"key_2"`, "application/json"} {
					if bytes.Contains(b, []byte(plain)) {
						t.Fatalf("%q is stored in plaintext", plain)
					}
				}
			}

			got, err := db.GetIdempotencyRecord(ctx, "key_1", "req-1")
			must(t, err)
			if got.Status != 201 || string(got.Body) != string(r.Body) || got.Header["Location"] != r.Header["Location"] ||
				got.Header["Content-Type"] != "application/json" || got.RequestHash != r.RequestHash {
				t.Fatalf("read back as %+v", got)
			}
		})
	}
}

// TestIdempotencyPlainRecordsDropped: the records completed before
// responses were sealed held them in plain text; migrating deletes them
// and keeps the records still in progress.
func TestIdempotencyPlainRecordsDropped(t *testing.T) {
	for name := range dbs(t) {
		t.Run(name, func(t *testing.T) {
			url := sqliteURL(t)
			if name == "postgres" {
				url = emptyPostgres(t)
			}
			ctx := context.Background()
			db, err := store.Open(ctx, url, store.Options{Sealer: newSealer()})
			must(t, err)
			defer db.Close()
			store.MigrateTo(t, db, 4)
			blob := "BLOB"
			if name == "postgres" {
				blob = "BYTEA"
			}
			store.ExecSQL(t, db,
				`INSERT INTO idempotency_records (scope, key, request_hash, status, header, body, created_at)
				 VALUES ('key_1', 'done', 'h', 201, '{"Location":"/api/v1/api-keys/key_2"}',
				 CAST('{"key":"sbk_old"}' AS `+blob+`), '2026-01-01T00:00:00.000000Z')`,
				`INSERT INTO idempotency_records (scope, key, request_hash, status, header, body, created_at)
				 VALUES ('key_1', 'running', 'h', 0, '{}', NULL, '2026-01-01T00:00:00.000000Z')`)
			must(t, db.Migrate(ctx))
			if name == "sqlite" { // the deleted rows are not left in the file's free pages
				store.ExecSQL(t, db, `PRAGMA wal_checkpoint(TRUNCATE)`)
				b, err := os.ReadFile(strings.TrimPrefix(url, "sqlite://"))
				must(t, err)
				if bytes.Contains(b, []byte("sbk_old")) {
					t.Fatal("the deleted plain response is still in the database file")
				}
			}
			_, err = db.GetIdempotencyRecord(ctx, "key_1", "done")
			if switchboard.ErrorCode(err) != switchboard.ENotFound {
				t.Fatalf("a plain completed record after migrating: %v, want not found", err)
			}
			got, err := db.GetIdempotencyRecord(ctx, "key_1", "running")
			must(t, err)
			if got.Status != 0 || got.Body != nil {
				t.Fatalf("in-progress record read back as %+v", got)
			}
		})
	}
}
