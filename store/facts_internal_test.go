package store

import (
	"strings"
	"testing"
)

// TestLookupFactsPlan: the lookup of templates is one search of the unique
// index on (workspace, subject, key), whatever the number of keys.
func TestLookupFactsPlan(t *testing.T) {
	db := openMigrated(t, "sqlite://"+t.TempDir()+"/plan.db")
	for _, n := range []int{1, 3, 12} {
		args := []any{"ws_1", "", "contact:ct_1", "email:a@b.c", "phone:+1"}
		for range n {
			args = append(args, "k")
		}
		args = append(args, "2026-01-01T00:00:00.000000Z")
		plan := queryPlan(t, db, lookupFactsQuery(4, n), args)
		if len(plan) != 1 || !strings.Contains(plan[0], "USING INDEX facts_workspace_subject (workspace_id=? AND subject=? AND key=?)") {
			t.Fatalf("plan for %d keys: %q", n, plan)
		}
	}
}
