package app

import (
	"context"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// HookRetentionFloor is the least time processed inbound business hooks
// are kept, whatever the retention: longer than any system retries a
// delivery (Shopify retries for 48 hours), so that a late repeat is still
// recognised by its delivery id and dropped.
const HookRetentionFloor = 72 * time.Hour

// PurgeIntegrationHistory deletes, in every workspace, the finished runs
// (with their attempts) created more than retention ago and the processed
// inbound hooks received more than max(retention, HookRetentionFloor) ago,
// a batch per transaction, and returns how many rows went. Queued and
// running runs and unprocessed hooks are kept whatever their age.
func (s *Service) PurgeIntegrationHistory(ctx context.Context, retention time.Duration) (int64, error) {
	now := s.now()
	runs, err := s.purge(ctx, func(q sb.Queries) (int64, error) { return q.PurgeRuns(ctx, now.Add(-retention), purgeBatch) })
	if err != nil {
		return runs, err
	}
	hooksBefore := now.Add(-max(retention, HookRetentionFloor))
	hooks, err := s.purge(ctx, func(q sb.Queries) (int64, error) {
		return q.PurgeIntegrationHooks(ctx, hooksBefore, purgeBatch)
	})
	return runs + hooks, err
}
