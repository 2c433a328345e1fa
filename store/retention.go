package store

import (
	"context"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard"
)

// The history of integrations kept for a while and then purged: finished
// runs and processed inbound hooks. Ids sort by creation time, so "created
// before" is a range of the primary key.

// PurgeRuns deletes up to limit finished runs created before the given
// time, oldest first; their attempts go with them (ON DELETE CASCADE).
func (q *queries) PurgeRuns(ctx context.Context, before time.Time, limit int) (int64, error) {
	return q.changeN(ctx, "purge", "run",
		`DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE id < ? AND status IN (?, ?)
		 ORDER BY id LIMIT `+strconv.Itoa(max(limit, 1))+`)`,
		switchboard.IDAt(switchboard.PrefixRun, before), switchboard.RunSucceeded, switchboard.RunFailed)
}

// PurgeIntegrationHooks deletes up to limit processed hooks received
// before the given time, oldest first.
func (q *queries) PurgeIntegrationHooks(ctx context.Context, before time.Time, limit int) (int64, error) {
	return q.changeN(ctx, "purge", "integration hook",
		`DELETE FROM integration_hooks WHERE id IN (SELECT id FROM integration_hooks WHERE id < ?
		 AND processed_at IS NOT NULL ORDER BY id LIMIT `+strconv.Itoa(max(limit, 1))+`)`,
		switchboard.IDAt(switchboard.PrefixIntegrationHook, before))
}
