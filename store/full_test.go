package store

import (
	"strconv"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
)

// TestStorageFull: a write refused for want of room is unavailable (503
// over HTTP, nothing stored), the database reports itself not ready, and
// the first write that commits once there is room makes it ready again.
// SQLite's max_page_count stands for a full disk.
func TestStorageFull(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, "sqlite://"+t.TempDir()+"/full.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := db.writer.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.writer.ExecContext(ctx, "PRAGMA max_page_count = "+strconv.Itoa(pages+2)); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 4000)
	var refused error
	for i := 0; i < 50 && refused == nil; i++ {
		refused = db.Tx(ctx, func(q switchboard.Queries) error {
			return q.CreateWorkspace(ctx, &switchboard.Workspace{Name: big + strconv.Itoa(i)})
		})
	}
	if switchboard.ErrorCode(refused) != switchboard.EUnavailable {
		t.Fatalf("a write to a full database: %v, want %s", refused, switchboard.EUnavailable)
	}
	if err := db.Ready(ctx); err == nil || !strings.Contains(err.Error(), "no room") {
		t.Fatalf("Ready of a full database: %v", err)
	}
	if _, err := db.writer.ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(ctx, func(q switchboard.Queries) error {
		return q.CreateWorkspace(ctx, &switchboard.Workspace{Name: "room again"})
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("Ready once a write committed: %v", err)
	}
}
