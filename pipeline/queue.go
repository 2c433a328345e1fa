package pipeline

import (
	"context"
	"encoding/json"
	"time"

	sb "github.com/switchboardhq/switchboard"
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
	m, job, err := queueMessage(ctx, q, conv, sender, text, thread, now)
	if err != nil {
		return nil, err
	}
	if err := touch(ctx, q, conv, now); err != nil {
		return nil, err
	}
	if p != nil {
		q.AfterCommit(func() { p.run.submit(task{job: job}) })
	}
	return m, nil
}

// queueMessage stores a queued outbound message and its send job.
func queueMessage(ctx context.Context, q sb.Queries, conv *sb.Conversation, sender, text, thread string, now time.Time) (*sb.Message, *sb.Job, error) {
	m := &sb.Message{
		ID: sb.NewID(sb.PrefixMessage), WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, ChannelID: conv.ChannelID,
		Direction: sb.DirectionOutbound, Sender: sender, Text: text, Status: sb.MessageQueued, Thread: thread,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := q.CreateMessage(ctx, m); err != nil {
		return nil, nil, err
	}
	payload, _ := json.Marshal(sendPayload{MessageID: m.ID, ConversationID: conv.ID, Thread: thread})
	j := &sb.Job{
		ID: sb.NewID(sb.PrefixJob), WorkspaceID: conv.WorkspaceID, Kind: sb.JobSend, Key: conv.ID,
		Payload: payload, RunAt: now, CreatedAt: now,
	}
	return m, j, q.CreateJob(ctx, j)
}
