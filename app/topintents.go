package app

import (
	"context"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// TopIntents returns the intents the workspace's bots recognised most
// often since a time (at most limit, most frequent first), from the
// recorded bot turns.
func (s *Service) TopIntents(ctx context.Context, ws string, since time.Time, limit int) ([]sb.IntentCount, error) {
	if limit < 1 || limit > 100 {
		return nil, sb.Invalid("limit", "must be between 1 and 100")
	}
	return s.store.TopIntents(ctx, ws, since, limit)
}
