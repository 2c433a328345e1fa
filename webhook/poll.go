package webhook

import (
	"context"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// claimBatch is how many deliveries the recovery loop claims at a time.
const claimBatch = 200

// pollLoop is the recovery loop: every PollInterval, and whenever woken,
// it claims the deliveries that are due and that nobody holds (retries,
// released deliveries, deliveries of a process that died) and queues them.
func (d *Dispatcher) pollLoop() {
	for {
		d.Poll(d.ctx)
		select {
		case <-d.ctx.Done():
			return
		case <-d.wake:
		case <-d.cfg.Clock.After(d.cfg.PollInterval):
		}
	}
}

// Poll claims and queues every delivery due now that nobody holds. The
// recovery loop calls it; tests may too.
func (d *Dispatcher) Poll(ctx context.Context) {
	for ctx.Err() == nil {
		start := d.released.begin()
		now := d.cfg.Clock.Now()
		ds, err := d.store.ClaimDeliveries(ctx, sb.DeliveryClaim{
			Owner: d.owner, Now: now, Until: now.Add(d.cfg.Lease), Limit: claimBatch,
		})
		if err != nil {
			d.released.end()
			if ctx.Err() == nil {
				d.log.Warn("webhook: claiming due deliveries", "error", err)
			}
			return
		}
		for _, del := range ds {
			d.lane(del.EndpointID).push(&job{d: del, p: d.payloads.forDelivery(del)}, start+1)
		}
		d.released.end()
		if len(ds) < claimBatch {
			return
		}
	}
}

// statsLoop refreshes the backlog gauges.
func (d *Dispatcher) statsLoop() {
	for {
		d.refreshStats(d.ctx)
		select {
		case <-d.ctx.Done():
			return
		case <-time.After(d.cfg.StatsInterval):
		}
	}
}

func (d *Dispatcher) refreshStats(ctx context.Context) {
	backlog, err := d.store.Backlog(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("webhook: reading the backlog", "error", err)
		}
		return
	}
	d.m.setBacklog(backlog, d.cfg.Clock.Now())
}

// purgeLoop runs Purge every PurgeInterval.
func (d *Dispatcher) purgeLoop() {
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-time.After(d.cfg.PurgeInterval):
		}
		if n, err := d.Purge(d.ctx); err != nil && d.ctx.Err() == nil {
			d.log.Warn("webhook: purging old deliveries and events", "error", err)
		} else if n > 0 {
			d.log.Info("webhook: purged old deliveries and events", "count", n)
		}
	}
}

// purgePause is the rest between two purge batches, during which other
// writers get the database.
const purgePause = 20 * time.Millisecond

// Purge deletes the deliveries (with their attempts) and then the events
// older than Retention, PurgeBatch rows per transaction, so that writers
// never wait long. Pending deliveries, and their events, are kept. It
// returns the number of rows deleted.
func (d *Dispatcher) Purge(ctx context.Context) (int64, error) {
	cutoff := d.cfg.Clock.Now().Add(-d.cfg.Retention)
	var total int64
	for _, purge := range []func(context.Context, time.Time, int) (int64, error){d.store.PurgeDeliveries, d.store.PurgeEvents} {
		for {
			n, err := purge(ctx, cutoff, d.cfg.PurgeBatch)
			total += n
			if err != nil {
				return total, err
			}
			if n < int64(d.cfg.PurgeBatch) {
				break
			}
			select {
			case <-ctx.Done():
				return total, ctx.Err()
			case <-time.After(purgePause):
			}
		}
	}
	return total, nil
}
