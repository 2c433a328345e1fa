package pipeline

import (
	"context"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/queue"
)

// sendPayload is the payload of a send job.
type sendPayload struct {
	MessageID      string `json:"message_id"`
	ConversationID string `json:"conversation_id"`
	Thread         string `json:"thread,omitempty"`
}

// QueueMessage stores an outbound message from an agent or the bot in
// status queued, records the activity in the conversation, and writes the job
// that sends it, all with q (in the caller's transaction). The reply goes
// where the conversation's last inbound message came from (its thread).
// Once the transaction commits the send starts at once; p may be nil (the
// job then waits for a pipeline's poller).
func (p *Pipeline) QueueMessage(ctx context.Context, q sb.Queries, conv *sb.Conversation, sender, text string) (*sb.Message, error) {
	now := time.Now().UTC()
	if p != nil {
		now = p.now()
	}
	thread := ""
	last, err := q.LastInboundMessage(ctx, conv.WorkspaceID, conv.ID)
	switch {
	case err == nil:
		thread = last.Thread
	case sb.ErrorCode(err) != sb.ENotFound:
		return nil, err
	}
	hold := p != nil && p.holdsSend(ctx, conv)
	m, err := queueMessage(ctx, q, conv, sender, text, thread, now)
	if err != nil {
		return nil, err
	}
	if err := p.enqueueSend(ctx, q, m, hold, &sendInput{msg: m, contactID: conv.ContactID}); err != nil {
		return nil, err
	}
	if err := touch(ctx, q, conv, now); err != nil {
		return nil, err
	}
	return m, nil
}

// holdsSend says whether the send of a message queued in conv is written
// held by this process, claimed from the start (one attempt counted), so
// that it runs without a claim of its own. Only on channels whose receivers
// drop repeats (repeatSafe): if this process dies before the send starts,
// the job is taken over as interrupted and, there, sent again; on the other
// channels an interrupted send ends failed, so their sends are claimed just
// before the platform is called.
func (p *Pipeline) holdsSend(ctx context.Context, conv *sb.Conversation) bool {
	ch, err := p.channel(ctx, conv.WorkspaceID, conv.ChannelID)
	return err == nil && p.repeatSafe(ch.Type)
}

// queueMessage stores a queued outbound message.
func queueMessage(ctx context.Context, q sb.Queries, conv *sb.Conversation, sender, text, thread string, now time.Time) (*sb.Message, error) {
	m := &sb.Message{
		ID: sb.NewID(sb.PrefixMessage), WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, ChannelID: conv.ChannelID,
		Direction: sb.DirectionOutbound, Sender: sender, Text: text, Status: sb.MessageQueued, Thread: thread,
		CreatedAt: now, UpdatedAt: now,
	}
	return m, q.CreateMessage(ctx, m)
}

// enqueueSend writes the send job of a queued message m with q: through
// this pipeline's queue, held by this process if hold, and handed over with
// hint once q commits; or, if p is nil, due for a pipeline's poller.
func (p *Pipeline) enqueueSend(ctx context.Context, q sb.Queries, m *sb.Message, hold bool, hint *sendInput) error {
	nj := queue.NewJob[sendPayload]{
		WorkspaceID: m.WorkspaceID, Key: m.ConversationID, RunAt: m.CreatedAt, Hold: hold,
		Args: sendPayload{MessageID: m.ID, ConversationID: m.ConversationID, Thread: m.Thread},
	}
	if p == nil {
		_, err := queue.Create(ctx, q, sb.JobSend, nj)
		return err
	}
	_, err := p.sends.Enqueue(ctx, q, nj, hint)
	return err
}
