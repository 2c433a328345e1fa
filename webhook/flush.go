package webhook

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// flushLoop records outcomes in batches: it takes whatever outcomes are
// waiting (up to BatchSize) and writes them in one transaction, so that the
// write rate follows the database rather than the number of attempts.
func (d *Dispatcher) flushLoop() {
	defer close(d.flushed)
	for first := range d.results {
		batch := []*outcome{first}
	collect:
		for len(batch) < d.cfg.BatchSize {
			select {
			case o, ok := <-d.results:
				if !ok {
					break collect
				}
				batch = append(batch, o)
			default:
				break collect
			}
		}
		d.save(batch)
	}
}

// save writes a batch, retrying while the database fails (unless the drain
// ran out of time: then the leases run out and the deliveries are attempted
// again), and releases its deliveries.
func (d *Dispatcher) save(batch []*outcome) {
	for try := 0; ; try++ {
		disabled, err := d.write(batch)
		if err == nil {
			for id := range disabled {
				d.endpoints.forget(id)
			}
			break
		}
		if d.sendCtx.Err() != nil {
			d.log.Error("webhook: outcomes not recorded; their deliveries will be attempted again", "count", len(batch), "error", err)
			break
		}
		d.log.Warn("webhook: recording outcomes", "count", len(batch), "error", err)
		select {
		case <-time.After(min(100*time.Millisecond<<min(try, 6), 5*time.Second)):
		case <-d.sendCtx.Done():
		}
	}
	for _, o := range batch {
		o.lane.release(o.d.ID)
		d.m.outcome(o)
	}
	d.m.batchSize.Observe(float64(len(batch)))
}

// health is what a batch says of one endpoint, in order.
type health struct {
	ok        bool // a success, after which...
	failed    bool // ...a failure, the first at
	firstFail time.Time
	gone      bool // a 410
}

// write records a batch in one transaction. It returns the endpoints it
// disabled.
func (d *Dispatcher) write(batch []*outcome) (map[string]bool, error) {
	ctx := context.WithoutCancel(d.sendCtx)
	disabled := map[string]bool{}
	err := d.store.Tx(ctx, func(q sb.Queries) error {
		clear(disabled)
		records := make([]sb.AttemptRecord, len(batch))
		for i, o := range batch {
			records[i] = sb.AttemptRecord{Delivery: o.d, Attempt: o.a}
		}
		lost, err := q.SaveAttempts(ctx, records, d.owner)
		if err != nil {
			return err
		}
		isLost := map[string]bool{}
		for _, id := range lost {
			d.log.Warn("webhook: lost the lease of a delivery before recording its attempt", "delivery_id", id)
			isLost[id] = true
		}
		byEndpoint := map[string]*health{}
		for _, o := range batch {
			if o.a == nil || isLost[o.d.ID] {
				continue
			}
			h := byEndpoint[o.lane.id]
			if h == nil {
				h = &health{}
				byEndpoint[o.lane.id] = h
			}
			switch o.result {
			case AttemptSucceeded:
				h.ok, h.failed = true, false
			case AttemptDisableEndpoint:
				h.gone = true
				fallthrough
			default:
				if !h.failed {
					h.failed, h.firstFail = true, o.a.AttemptedAt
				}
			}
		}
		// In id order, so that two processes' batches lock endpoints in the
		// same order and never deadlock.
		for _, id := range slices.Sorted(maps.Keys(byEndpoint)) {
			if err := d.recordHealth(ctx, q, id, byEndpoint[id], disabled); err != nil {
				return err
			}
		}
		return nil
	})
	return disabled, err
}

// recordHealth keeps an endpoint's FailingSince and disables it on a 410
// or after DisableAfter of failures.
func (d *Dispatcher) recordHealth(ctx context.Context, q sb.Queries, id string, h *health, disabled map[string]bool) error {
	if h.ok {
		if err := q.ClearEndpointFailing(ctx, id); err != nil {
			return err
		}
	}
	if !h.failed {
		return nil
	}
	ep, err := q.MarkEndpointFailing(ctx, id, h.firstFail)
	if sb.ErrorCode(err) == sb.ENotFound {
		return nil
	} else if err != nil {
		return err
	}
	switch {
	case h.gone:
		return d.disable(ctx, q, ep, "the endpoint answered 410 Gone", disabled)
	case ep.FailingSince != nil && d.cfg.Clock.Now().Sub(*ep.FailingSince) >= d.cfg.DisableAfter:
		return d.disable(ctx, q, ep, fmt.Sprintf("every attempt failed for %s (since %s)",
			formatDuration(d.cfg.DisableAfter), ep.FailingSince.UTC().Format(time.RFC3339)), disabled)
	}
	return nil
}

// disable disables an enabled endpoint and announces it to the
// workspace's other endpoints with webhook.endpoint.disabled.
func (d *Dispatcher) disable(ctx context.Context, q sb.Queries, ep *sb.WebhookEndpoint, reason string, disabled map[string]bool) error {
	if ep.Status != sb.EndpointEnabled {
		return nil
	}
	ep.Status, ep.DisabledReason = sb.EndpointDisabled, &reason
	if err := q.UpdateEndpoint(ctx, ep); err != nil {
		return err
	}
	ev := sb.NewEvent(ep.WorkspaceID, sb.EventEndpointDisabled, map[string]any{
		"endpoint": map[string]any{"id": ep.ID, "url": ep.URL, "status": ep.Status},
		"reason":   reason,
	})
	if err := d.publisher.Publish(ctx, q, ev); err != nil {
		return err
	}
	disabled[ep.ID] = true
	d.log.Warn("webhook: endpoint disabled", "endpoint_id", ep.ID, "url", ep.URL, "reason", reason)
	return nil
}

// formatDuration writes whole days as days.
func formatDuration(dur time.Duration) string {
	if dur >= 24*time.Hour && dur%(24*time.Hour) == 0 {
		if n := dur / (24 * time.Hour); n == 1 {
			return "1 day"
		} else {
			return fmt.Sprintf("%d days", n)
		}
	}
	return dur.String()
}
