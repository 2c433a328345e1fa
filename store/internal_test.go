package store

import (
	"strconv"
	"testing"
	"time"
)

func TestParseStoredTime(t *testing.T) {
	for _, want := range []time.Time{
		time.Date(2025, 6, 30, 23, 59, 59, 123456000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(2024, 2, 29, 0, 0, 0, 1000, time.UTC),
	} {
		s := want.Format(sqliteTimeLayout)
		got, ok := parseStoredTime(s)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseStoredTime(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, bad := range []string{"", "2025-06-30T23:59:59Z", "2025-13-30T23:59:59.000000Z", "2025-06-30 23:59:59.000000Z",
		"2025-06-30T23:59:59.00000xZ", "2025-06-30T24:00:00.000000Z"} {
		if _, ok := parseStoredTime(bad); ok {
			t.Errorf("parseStoredTime(%q) succeeded", bad)
		}
	}
	// Other forms still parse, through the slow path.
	got, err := parseTimeText("2025-06-30T23:59:59.5+02:00")
	if err != nil || !got.Equal(time.Date(2025, 6, 30, 21, 59, 59, 5e8, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("parseTimeText RFC 3339 = %v, %v", got, err)
	}
}

func TestRebind(t *testing.T) {
	got := rebind(`SELECT a FROM t WHERE b = ? AND c LIKE ? ESCAPE '\' AND d = '?' AND e IN (?, ?)`)
	want := `SELECT a FROM t WHERE b = $1 AND c LIKE $2 ESCAPE '\' AND d = '?' AND e IN ($3, $4)`
	if got != want {
		t.Fatalf("rebind:\n got %s\nwant %s", got, want)
	}
}

func TestEscapeLike(t *testing.T) {
	if got := escapeLike(`a_b%c\d`); got != `a\_b\%c\\d` {
		t.Fatalf("escapeLike = %s", got)
	}
}

// TestStmtCacheFull: past its bound, the cache runs queries unprepared.
func TestStmtCacheFull(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, "sqlite://"+t.TempDir()+"/x.db", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range maxCachedStmts + 10 {
		var n int
		if err := db.readerStmts.QueryRowContext(ctx, "SELECT "+strconv.Itoa(i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d: %d, %v", i, n, err)
		}
	}
	if got := db.readerStmts.count.Load(); got != maxCachedStmts {
		t.Fatalf("cache holds %d statements, want %d", got, maxCachedStmts)
	}
	if _, err := db.writerStmts.ExecContext(ctx, "CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.readerStmts.QueryContext(ctx, "SELECT x FROM t")
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
}
