package store

import (
	"context"
	"fmt"
	"testing"
)

// RawColumn runs query on the writer and returns the first column of every
// row as bytes, for tests that inspect what is stored.
func RawColumn(t testing.TB, db *DB, query string) [][]byte {
	t.Helper()
	rows, err := db.writer.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		switch x := v.(type) {
		case []byte:
			out = append(out, x)
		default:
			out = append(out, []byte(fmt.Sprint(x)))
		}
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
