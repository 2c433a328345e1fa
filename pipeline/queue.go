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
	hold := p != nil && p.holdsSend(ctx, conv)
	m, job, err := queueMessage(ctx, q, conv, sender, text, thread, now, p.leaseFor(hold, now))
	if err != nil {
		return nil, err
	}
	if err := touch(ctx, q, conv, now); err != nil {
		return nil, err
	}
	if p != nil {
		hint := &sendInput{msg: m, contactID: conv.ContactID}
		q.AfterCommit(func() { p.run.submit(task{job: job, hint: hint}) })
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

// leaseFor returns the lease of a job this process writes held (hold), or
// nil for a job written due.
func (p *Pipeline) leaseFor(hold bool, now time.Time) *jobLease {
	if !hold || p == nil {
		return nil
	}
	return &jobLease{token: newLease(), until: now.Add(p.cfg.Lease)}
}

// jobLease is the lease of a job written held by this process.
type jobLease struct {
	token string
	until time.Time
}

// queueMessage stores a queued outbound message and its send job, held by
// this process if lease is not nil.
func queueMessage(ctx context.Context, q sb.Queries, conv *sb.Conversation, sender, text, thread string, now time.Time, lease *jobLease) (*sb.Message, *sb.Job, error) {
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
	if lease != nil {
		until := lease.until
		j.Lease, j.LeasedUntil, j.Attempts = lease.token, &until, 1
	}
	return m, j, q.CreateJob(ctx, j)
}
