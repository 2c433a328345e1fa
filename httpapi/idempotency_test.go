package httpapi_test

import (
	"bytes"
	"database/sql"
	"os"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestIdempotentSecretsSealed: the response of a POST with an
// Idempotency-Key is kept for replay, and the creation of an API key
// answers the new key. What the database holds must not give that key
// away, while a replay still returns the same, working key.
func TestIdempotentSecretsSealed(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		req := map[string]any{"name": "ci", "scopes": []string{"read:bots"}}
		first := e.must(201, "POST", "/api/v1/api-keys", e.admin, req, "Idempotency-Key", "create-ci-key")
		key := first.str(t, "key")
		if !strings.HasPrefix(key, "sbk_") {
			t.Fatalf("created %s", first.body)
		}

		rows := rawIdempotencyRecords(t, dbURL)
		if len(rows) != 1 {
			t.Fatalf("%d idempotency records, want 1", len(rows))
		}
		if path, ok := strings.CutPrefix(dbURL, "sqlite://"); ok {
			for _, p := range []string{path, path + "-wal"} {
				b, err := os.ReadFile(p)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				rows = append(rows, b)
			}
		}
		for _, b := range rows {
			if bytes.Contains(b, []byte(key)) || bytes.Contains(b, []byte(key[len(key)-16:])) {
				t.Fatal("the new API key is stored in plain text")
			}
		}

		again := e.must(201, "POST", "/api/v1/api-keys", e.admin, req, "Idempotency-Key", "create-ci-key")
		if again.header.Get("Idempotent-Replayed") != "true" || again.str(t, "key") != key ||
			again.header.Get("Location") != first.header.Get("Location") {
			t.Fatalf("replay %v %s\nfirst %v %s", again.header, again.body, first.header, first.body)
		}
		e.must(200, "GET", "/api/v1/bots", again.str(t, "key"), nil)
		e.must(403, "POST", "/api/v1/bots", again.str(t, "key"), builtinBot).problem(t, 403, sb.EForbidden, "")
	})
}

// rawIdempotencyRecords reads the stored header and body of every
// idempotency record with SQL, as someone holding the database would.
func rawIdempotencyRecords(t *testing.T, dbURL string) [][]byte {
	t.Helper()
	driver, dsn := "pgx", dbURL
	if path, ok := strings.CutPrefix(dbURL, "sqlite://"); ok {
		driver, dsn = "sqlite", "file:"+path+"?mode=ro"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT header, body FROM idempotency_records`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var header, body []byte
		if err := rows.Scan(&header, &body); err != nil {
			t.Fatal(err)
		}
		out = append(out, append(header, body...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
