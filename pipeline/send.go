package pipeline

import (
	"context"
	"errors"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// retriesInterrupted says whether a send interrupted by a crash is sent
// again on channel ch: its send_guarantee if it chose one; else yes where
// the receivers drop a repeated send (the spec's RepeatSafe: the api
// channel's webhook-id is the message id; the web chat widget keeps
// messages by their msg_ id). Elsewhere a repeat could reach the contact
// twice, so by default an interrupted send ends failed instead; a channel
// with "send_guarantee": "at_least_once" prefers a possible repeat to a
// lost reply.
func (p *Pipeline) retriesInterrupted(ch *sb.Channel) bool {
	return p.adapters.Spec(ch.Type).RetriesInterruptedSends(ch)
}

// errOutcomeUnknown is the error of a send interrupted on a channel that
// does not send it again (send_guarantee at_most_once).
const errOutcomeUnknown = "delivery outcome unknown: Switchboard stopped while the platform was being called, " +
	"so the message may or may not have arrived; it is not sent again, so that the contact never receives it twice " +
	"(a channel with send_guarantee at_least_once sends it again instead)"

// send delivers one queued outbound message through its channel's adapter.
// The job was claimed just before (one more attempt, written down), so a
// run that finds itself Interrupted knows a previous run may have reached
// the platform. Retryable failures (429, 5xx, network) are retried on the
// send schedule, honouring the platform's retry hint; the message ends sent
// (message.sent) or failed (message.failed, with the platform's error).
func (p *Pipeline) send(ctx context.Context, j *sb.Job, pl *sendPayload, in *sendInput) {
	var err error
	if in == nil {
		in, err = p.readSend(ctx, j.WorkspaceID, pl)
	} else {
		// The message (and the contact, or its id) came with the job; the
		// channel is looked up again, for its status and its current
		// credentials.
		in, err = p.completeSend(ctx, j.WorkspaceID, in)
	}
	if err != nil {
		if sb.ErrorCode(err) == sb.ENotFound { // erased meanwhile
			p.finish(ctx, j, nil)
			return
		}
		p.log.Error("pipeline: reading a send; retrying", "job", j.ID, "error", err)
		p.retry(ctx, j, p.now().Add(p.cfg.PollInterval), err.Error())
		return
	}
	m, ch, contact := in.msg, in.ch, in.contact
	if m.Status != sb.MessageQueued {
		p.finish(ctx, j, nil)
		return
	}
	if ch.Status == sb.ChannelDisconnected {
		p.sendFailed(ctx, j, m, ch.Type, "the channel is disconnected: nothing is sent through it until it is connected again")
		return
	}
	adapter, ok := p.adapters.Lookup(ch.Type)
	if !ok {
		p.sendFailed(ctx, j, m, ch.Type, "channels of type "+ch.Type+" cannot send messages in this version of Switchboard")
		return
	}
	if j.Interrupted && !p.retriesInterrupted(ch) {
		p.sendFailed(ctx, j, m, ch.Type, errOutcomeUnknown)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	start := time.Now()
	ext, err := adapter.Send(cctx, ch, &sb.OutboundMessage{MessageID: m.ID, To: contact.ExternalID, Sender: m.Sender, Text: m.Text, Thread: pl.Thread,
		Attempt: j.Attempts})
	p.metrics.sendTime.WithLabelValues(ch.Type).Observe(time.Since(start).Seconds())
	cancel()
	if err == nil {
		p.metrics.sends.WithLabelValues(ch.Type, "sent").Inc()
		p.sent(ctx, j, m, ext)
		return
	}
	var se *sb.SendError
	retryable := !errors.As(err, &se) || se.Retryable // anything but a platform's refusal may pass next time
	if retryable {
		var after time.Duration
		if se != nil {
			after = se.RetryAfter
		}
		if d, ok := p.retryDelay(p.cfg.SendRetry, j.Attempts, after); ok {
			p.log.Info("pipeline: send failed; retrying", "message", m.ID, "attempt", j.Attempts, "in", d, "error", err)
			p.metrics.sends.WithLabelValues(ch.Type, "retried").Inc()
			p.retry(ctx, j, p.now().Add(d), err.Error())
			return
		}
	}
	p.sendFailed(ctx, j, m, ch.Type, err.Error())
}

// sendInput is what a send needs: the message, its channel (with its
// secrets) and its contact. Handed over with a job, it may name the contact
// by id only (contactID), and its channel is looked up again.
type sendInput struct {
	msg       *sb.Message
	ch        *sb.Channel
	contact   *sb.Contact
	contactID string
}

// completeSend fills in what a send handed over with its job lacks: the
// channel, always read again (through the cache), and the contact if only
// its id came.
func (p *Pipeline) completeSend(ctx context.Context, ws string, in *sendInput) (*sendInput, error) {
	ch, err := p.channel(ctx, ws, in.msg.ChannelID)
	if err != nil {
		return nil, err
	}
	contact := in.contact
	if contact == nil {
		if contact, err = p.contact(ctx, ws, in.contactID); err != nil {
			return nil, err
		}
	}
	return &sendInput{msg: in.msg, ch: ch, contact: contact}, nil
}

// readSend loads the message, its channel and its contact.
func (p *Pipeline) readSend(ctx context.Context, ws string, pl *sendPayload) (*sendInput, error) {
	in := &sendInput{}
	var err error
	if in.msg, err = p.store.GetMessage(ctx, ws, pl.ConversationID, pl.MessageID); err != nil {
		return nil, err
	}
	conv, err := p.store.GetConversation(ctx, ws, pl.ConversationID)
	if err != nil {
		return nil, err
	}
	if in.ch, err = p.channel(ctx, ws, conv.ChannelID); err != nil {
		return nil, err
	}
	if in.contact, err = p.store.GetContact(ctx, ws, conv.ContactID); err != nil {
		return nil, err
	}
	return in, nil
}

// sent records a send the platform accepted.
func (p *Pipeline) sent(ctx context.Context, j *sb.Job, m *sb.Message, ext string) {
	p.finish(ctx, j, func(q sb.Queries) error {
		sent := *m
		sent.Status, sent.Error = sb.MessageSent, nil
		if ext != "" {
			sent.ExternalID = &ext
		}
		return p.recordSend(ctx, q, &sent, sb.EventMessageSent)
	})
}

// sendFailed records a send that will not be tried again.
func (p *Pipeline) sendFailed(ctx context.Context, j *sb.Job, m *sb.Message, chType, msg string) {
	p.metrics.sends.WithLabelValues(chType, "failed").Inc()
	p.log.Warn("pipeline: message failed", "message", m.ID, "attempts", j.Attempts, "error", msg)
	p.finish(ctx, j, func(q sb.Queries) error {
		failed := *m
		failed.Status, failed.Error = sb.MessageFailed, &msg
		return p.recordSend(ctx, q, &failed, sb.EventMessageFailed)
	})
}

// recordSend writes a message's new status and its event; a message erased
// meanwhile needs nothing.
func (p *Pipeline) recordSend(ctx context.Context, q sb.Queries, m *sb.Message, typ string) error {
	if err := q.UpdateMessage(ctx, m); err != nil {
		return ignoreNotFound(err)
	}
	return p.events.Publish(ctx, q, sb.MessageEvent(typ, m))
}
