package app

import (
	"context"
	"errors"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/queue"
)

// hookPayload is the payload of an integration_hook job.
type hookPayload struct {
	HookID string `json:"hook_id"`
}

// enqueueHook writes the job that processes a stored hook, with q.
func (s *Service) enqueueHook(ctx context.Context, q sb.Queries, h *sb.IntegrationHook) error {
	nj := queue.NewJob[hookPayload]{WorkspaceID: h.WorkspaceID, Key: h.IntegrationID, Args: hookPayload{HookID: h.ID}, RunAt: h.ReceivedAt}
	if s.integ.hooks == nil {
		_, err := queue.Create(ctx, q, JobIntegrationHook, nj)
		return err
	}
	_, err := s.integ.hooks.Enqueue(ctx, q, nj, nil)
	return err
}

// processHook is the worker of integration_hook jobs: the provider turns
// the stored hook into effects, applied in one transaction with the job's
// deletion. Hooks of one integration are processed one at a time, in the
// order they arrived (the job's key).
func (s *Service) processHook(ctx context.Context, j *sb.Job, pl *hookPayload) {
	h, err := s.store.GetIntegrationHook(ctx, j.WorkspaceID, pl.HookID)
	var in *sb.Integration
	if err == nil {
		in, err = s.store.GetIntegration(ctx, j.WorkspaceID, h.IntegrationID)
	}
	if sb.ErrorCode(err) == sb.ENotFound { // the integration was deleted
		s.integ.jobs.Finish(ctx, j, nil)
		return
	} else if err != nil {
		s.integ.jobs.Retry(ctx, j, s.now().Add(time.Second), err.Error())
		return
	}
	p, _ := s.integ.providers.Lookup(in.Type)
	handler, ok := p.(sb.HookHandler)
	if !ok {
		s.integ.log.Warn("integrations: a stored hook's type takes no hooks any more; dropped", "hook", h.ID, "type", in.Type)
		s.integ.jobs.Finish(ctx, j, nil)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, s.integ.timeout)
	fx, err := handler.ProcessHook(cctx, &sb.HookCall{Integration: in, Hook: h, Client: s.integ.client, Now: s.now()})
	cancel()
	if err != nil {
		var ae *sb.ActionError
		if errors.As(err, &ae) && ae.Retryable {
			if d, ok := s.integ.jobs.Backoff(s.integ.retry, j.Attempts, s.retryWait(ae)); ok {
				s.integ.jobs.Retry(ctx, j, s.now().Add(d), err.Error())
				return
			}
		}
		s.integ.log.Warn("integrations: an inbound hook could not be processed; dropped", "hook", h.ID, "integration", in.ID,
			"topic", h.Topic, "error", err)
		s.integ.jobs.Finish(ctx, j, func(q sb.Queries) error {
			return q.MarkIntegrationHookProcessed(ctx, h.WorkspaceID, h.ID, s.now())
		})
		return
	}
	s.integ.jobs.Finish(ctx, j, func(q sb.Queries) error {
		if err := s.applyHookEffects(ctx, q, in, fx); err != nil {
			return err
		}
		return q.MarkIntegrationHookProcessed(ctx, h.WorkspaceID, h.ID, s.now())
	})
}

// applyHookEffects writes what a hook changes with q: facts, proactive
// messages (once per dedup key and contact) and events.
func (s *Service) applyHookEffects(ctx context.Context, q sb.Queries, in *sb.Integration, fx *sb.HookEffects) error {
	if fx == nil {
		return nil
	}
	if err := s.keepFacts(ctx, q, in.WorkspaceID, in.ID, fx.Facts); err != nil {
		return err
	}
	for i := range fx.Messages {
		if err := s.sendNotice(ctx, q, in, &fx.Messages[i]); err != nil {
			return err
		}
	}
	for _, e := range fx.Events {
		if _, known := sb.LookupEventType(e.Type); !known {
			s.integ.log.Warn("integrations: a hook's event of an unknown type was not emitted", "integration", in.ID, "type", e.Type)
			continue
		}
		e.WorkspaceID = in.WorkspaceID
		if err := s.events.Publish(ctx, q, e); err != nil {
			return err
		}
	}
	return nil
}

// sendNotice queues a proactive message to every contact of its channel
// with its email or phone that has not had it (its dedup key) yet, in the
// contact's open conversation or a new one.
func (s *Service) sendNotice(ctx context.Context, q sb.Queries, in *sb.Integration, m *sb.ProactiveMessage) error {
	if m.DedupKey == "" || m.Text == "" || !sb.HasPrefix(m.ChannelID, sb.PrefixChannel) {
		s.integ.log.Warn("integrations: a proactive message without a dedup key, text or channel was not sent", "integration", in.ID)
		return nil
	}
	ch, err := q.GetChannel(ctx, in.WorkspaceID, m.ChannelID)
	if sb.ErrorCode(err) == sb.ENotFound {
		s.integ.log.Warn("integrations: a proactive message's channel does not exist", "integration", in.ID, "channel", m.ChannelID)
		return nil
	} else if err != nil {
		return err
	}
	contacts, err := q.FindContactsByEmailOrPhone(ctx, in.WorkspaceID, ch.ID, sb.NormalizeEmail(m.Email), m.Phone)
	if err != nil {
		return err
	}
	if m.Phone != "" && sb.NormalizePhone(m.Phone) != m.Phone {
		more, err := q.FindContactsByEmailOrPhone(ctx, in.WorkspaceID, ch.ID, "", sb.NormalizePhone(m.Phone))
		if err != nil {
			return err
		}
		contacts = append(contacts, more...)
	}
	sent := map[string]bool{}
	for _, c := range contacts {
		if sent[c.ID] {
			continue
		}
		sent[c.ID] = true
		if err := q.CreateNotice(ctx, in.WorkspaceID, m.DedupKey, c.ID, s.now()); sb.ErrorCode(err) == sb.EConflict {
			continue // sent before
		} else if err != nil {
			return err
		}
		conv, err := q.FindOpenConversation(ctx, ch.ID, c.ID)
		if sb.ErrorCode(err) == sb.ENotFound {
			conv, err = pipeline.StartConversation(ctx, q, s.events, pipeline.NewConversation{Channel: ch, Contact: c, Now: s.now()})
		}
		if err != nil {
			return err
		}
		if _, err := s.queue(ctx, q, conv, sb.SenderBot, m.Text); err != nil {
			return err
		}
	}
	return nil
}
