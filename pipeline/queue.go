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

// Outgoing is a message to the contact of a conversation, from an agent
// or the bot.
type Outgoing struct {
	Conversation *sb.Conversation
	Sender       string // sb.SenderAgent or sb.SenderBot
	Text         string
	// Now is the time it is queued at (zero: the pipeline's clock, or the
	// system's without a pipeline).
	Now time.Time
}

// QueueMessage stores an outbound message in status queued, records the
// activity in the conversation, and writes the job that sends it, all with
// q (in the caller's transaction). The reply goes where the conversation's
// last inbound message came from (its thread). Once the transaction
// commits the send starts at once; p may be nil (the job then waits for a
// pipeline's poller).
func (p *Pipeline) QueueMessage(ctx context.Context, q sb.Queries, o Outgoing) (*sb.Message, error) {
	conv, now := o.Conversation, o.Now
	switch {
	case !now.IsZero():
		now = now.UTC()
	case p != nil:
		now = p.now()
	default:
		now = time.Now().UTC()
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
	m, err := queueMessage(ctx, q, outMessage{conv: conv, sender: o.Sender, text: o.Text, thread: thread, at: now})
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
// that it runs without a claim of its own. Only on channels that send an
// interrupted send again (retriesInterrupted): if this process dies before
// the send starts, the job is taken over as interrupted and, there, sent
// again; on the other channels an interrupted send ends failed, so their
// sends are claimed just before the platform is called.
func (p *Pipeline) holdsSend(ctx context.Context, conv *sb.Conversation) bool {
	ch, err := p.channel(ctx, conv.WorkspaceID, conv.ChannelID)
	return err == nil && p.retriesInterrupted(ch)
}

// outMessage is an outbound message to store: its conversation, who sends it,
// its text, the platform thread it answers in, and when.
type outMessage struct {
	conv         *sb.Conversation
	sender, text string
	thread       string
	at           time.Time
}

// queueMessage stores a queued outbound message.
func queueMessage(ctx context.Context, q sb.Queries, o outMessage) (*sb.Message, error) {
	m := &sb.Message{
		ID: sb.NewID(sb.PrefixMessage), WorkspaceID: o.conv.WorkspaceID, ConversationID: o.conv.ID, ChannelID: o.conv.ChannelID,
		Direction: sb.DirectionOutbound, Sender: o.sender, Text: o.text, Status: sb.MessageQueued, Thread: o.thread,
		CreatedAt: o.at, UpdatedAt: o.at,
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
