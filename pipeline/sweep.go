package pipeline

import (
	"context"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// sweep ends idle conversations every SweepInterval until ctx ends.
func (p *Pipeline) sweep(ctx context.Context) {
	t := time.NewTicker(p.cfg.SweepInterval)
	defer t.Stop()
	for {
		if _, err := p.EndIdle(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("pipeline: ending idle conversations", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// EndIdle ends every open conversation whose last activity is older than
// the inactivity timeout at the pipeline's clock, with conversation.updated
// (status) and conversation.ended, and returns how many it ended. (A
// contact's next message ends an idle conversation by itself too, before
// starting a new one, so that the timeout holds even between sweeps.)
func (p *Pipeline) EndIdle(ctx context.Context) (int, error) {
	ended := 0
	for {
		now := p.now()
		idle, err := p.store.ListIdleConversations(ctx, now.Add(-p.cfg.InactivityTimeout), 100)
		if err != nil || len(idle) == 0 {
			return ended, err
		}
		n := 0
		for _, c := range idle {
			done := false
			err := p.commit.Do(ctx, func(q sb.Queries) error {
				done = false
				conv, err := q.HoldConversation(ctx, c.WorkspaceID, c.ID)
				if sb.ErrorCode(err) == sb.ENotFound {
					return nil
				}
				if err != nil || !conv.Idle(now, p.cfg.InactivityTimeout) {
					return err // written to since the list was read
				}
				done = true
				return p.endConversation(ctx, q, conv, now)
			})
			if err != nil {
				return ended, err
			}
			if done {
				n++
			}
		}
		ended += n
		if n == 0 {
			return ended, nil
		}
	}
}
