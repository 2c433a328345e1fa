package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// RawColumn runs query on the writer and returns every row as bytes (the
// columns joined by " | "), for tests that inspect what is stored.
func RawColumn(t testing.TB, db *DB, query string) [][]byte {
	t.Helper()
	rows, err := db.writer.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var row []byte
		for i, v := range vals {
			if i > 0 {
				row = append(row, " | "...)
			}
			if b, ok := v.([]byte); ok {
				row = append(row, b...)
			} else {
				row = append(row, fmt.Sprint(v)...)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ExecSQL runs statements on the writer.
func ExecSQL(t testing.TB, db *DB, statements ...string) {
	t.Helper()
	for _, s := range statements {
		if _, err := db.writer.ExecContext(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
}

// MigrateTo applies the migrations up to version and no further.
func MigrateTo(t testing.TB, db *DB, version int64) {
	t.Helper()
	p, err := db.provider(db.writer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
}

// WaitListening waits until a PostgreSQL DB opened with SharedCaches
// listens for changes.
func WaitListening(t testing.TB, db *DB) {
	t.Helper()
	select {
	case <-db.listener.listening:
	case <-time.After(30 * time.Second):
		t.Fatal("the listener did not start")
	}
}
