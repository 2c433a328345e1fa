package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/queue"
	"github.com/switchboardhq/switchboard/webhook"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// inbound is one message of a platform's request to store: the channel it
// came on, the message, the time it is stored at, and whether to look for a
// repeat before writing anything (a second try of the transaction).
type inbound struct {
	ch         *sb.Channel
	msg        *sb.InboundMessage
	at         time.Time
	checkFirst bool
}

// IngestResult says what Ingest did with a request's messages.
type IngestResult struct {
	Stored     int // new messages stored
	Duplicates int // messages received before, dropped
	Statuses   int // delivery receipts applied
}

// botTurnPayload is the payload of a bot_turn job.
type botTurnPayload struct {
	MessageID      string `json:"message_id"`
	ConversationID string `json:"conversation_id"`
}

// errDuplicateRace reports a message found to be a repeat only when it was
// inserted, after the transaction had written something for it (a contact
// or a conversation the first delivery did not need): the transaction is
// rolled back and written again with the duplicate check first.
var errDuplicateRace = errors.New("pipeline: repeated message found late")

// Ingest stores what an adapter made of one verified inbound request, in
// one transaction, and returns once it has committed: for each message, the
// contact (created or refreshed), its open conversation (an idle one is
// ended and a new one started), the message with message.received (and
// conversation.started, conversation.updated, conversation.ended as they
// happen), and the bot turn when the conversation's bot should answer. A
// message already received (same platform id on the channel) is dropped.
// Delivery receipts update their outbound message and emit message.delivered,
// message.read or message.failed.
func (p *Pipeline) Ingest(ctx context.Context, ch *sb.Channel, res *sb.HookResult) (IngestResult, error) {
	var out IngestResult
	if res == nil || (len(res.Messages) == 0 && len(res.Statuses) == 0) {
		return out, nil
	}
	ctx, span := p.tracer.Start(ctx, "ingest", trace.WithAttributes(
		attribute.String("channel.id", ch.ID), attribute.String("channel.type", ch.Type),
		attribute.Int("messages", len(res.Messages)), attribute.Int("statuses", len(res.Statuses))))
	defer span.End()
	var err error
	for try := 0; try < 3; try++ {
		checkFirst := try > 0
		err = p.commit.Do(ctx, func(q sb.Queries) error {
			out = IngestResult{}
			now := p.now()
			for i := range res.Messages {
				dup, err := p.receive(ctx, q, inbound{ch: ch, msg: &res.Messages[i], at: now, checkFirst: checkFirst})
				if err != nil {
					return err
				}
				if dup {
					out.Duplicates++
					continue
				}
				out.Stored++
			}
			for i := range res.Statuses {
				applied, err := p.applyStatus(ctx, q, ch, &res.Statuses[i])
				if err != nil {
					return err
				}
				if applied {
					out.Statuses++
				}
			}
			return nil
		})
		if !errors.Is(err, errDuplicateRace) {
			break
		}
	}
	if err == nil {
		p.metrics.inbound.WithLabelValues(ch.Type, "stored").Add(float64(out.Stored))
		p.metrics.inbound.WithLabelValues(ch.Type, "duplicate").Add(float64(out.Duplicates))
	}
	if sb.ErrorCode(err) == sb.EInvalid && p.channelGone(ctx, ch.ID) {
		// A dangling reference: another process deleted the channel after
		// this one read it.
		return IngestResult{}, sb.ErrNotFound("channel")
	}
	return out, err
}

// channelGone reports whether a channel no longer exists, and forgets it.
func (p *Pipeline) channelGone(ctx context.Context, id string) bool {
	_, err := p.store.GetChannelByID(ctx, id)
	if sb.ErrorCode(err) != sb.ENotFound {
		return false
	}
	p.Forget(id)
	return true
}

// receive stores one inbound message, and the bot turn that answers it;
// dup reports a repeat. A repeat is found by the insert of the message (the
// unique platform id): a repeat finds its contact and conversation in place
// and so writes nothing before it. If something was written for it all the
// same (the conversation ended since the first delivery), the transaction
// is rolled back (errDuplicateRace) and written again with checkFirst,
// which looks for the repeat before anything else.
func (p *Pipeline) receive(ctx context.Context, q sb.Queries, r inbound) (dup bool, err error) {
	ch, in, now, checkFirst := r.ch, r.msg, r.at, r.checkFirst
	var ext *string
	if in.ExternalID != "" {
		ext = &in.ExternalID
	}
	if ext != nil && checkFirst {
		_, err := q.GetMessageByExternalID(ctx, ch.ID, sb.DirectionInbound, in.ExternalID)
		if err == nil {
			return true, nil
		}
		if sb.ErrorCode(err) != sb.ENotFound {
			return false, err
		}
	}
	// The contact is held until the transaction ends, so that concurrent
	// messages of one contact take turns finding or starting its open
	// conversation.
	contact, wrote, err := upsertContact(ctx, q, ch, &in.Contact, now)
	if err != nil {
		return false, err
	}
	conv, started, err := p.openConversation(ctx, q, ch, contact, now)
	if err != nil {
		return false, err
	}
	m := &sb.Message{
		ID: sb.NewID(sb.PrefixMessage), WorkspaceID: ch.WorkspaceID, ConversationID: conv.ID, ChannelID: ch.ID,
		Direction: sb.DirectionInbound, Sender: sb.SenderUser, Text: clean(in.Text), Status: sb.MessageReceived,
		ExternalID: ext, Raw: cleanRaw(in.Raw), Thread: in.Thread, CreatedAt: now, UpdatedAt: now,
	}
	if err := q.CreateMessage(ctx, m); err != nil {
		if sb.ErrorCode(err) != sb.EConflict {
			return false, err
		}
		if wrote || started {
			return false, errDuplicateRace
		}
		return true, nil
	}
	if conv.BotID == nil && ch.BotID != nil && conv.Status == sb.ConversationActive {
		conv.BotID = ch.BotID // a bot attached to the channel since the conversation started
		conv.LastActivityAt = now
		if err := q.UpdateConversation(ctx, conv); err != nil {
			return false, err
		}
	} else if err := touch(ctx, q, conv, now); err != nil {
		return false, err
	}
	if err := p.events.Publish(ctx, q, sb.MessageEvent(sb.EventMessageReceived, m)); err != nil {
		return false, err
	}
	if !p.botAnswers(ch, conv, in) {
		return false, nil
	}
	return false, p.newBotTurn(ctx, q, conv, m, &turnInput{conv: conv, msg: m, ch: ch, contact: contact})
}

// activityStep is the precision of a conversation's last activity: it is
// written at most once per step, however many messages a conversation
// gets within it (a write saved per message of a lively conversation; the
// inactivity timeout is hours).
const activityStep = time.Second

// touch records activity in a conversation at now.
func touch(ctx context.Context, q sb.Queries, conv *sb.Conversation, now time.Time) error {
	if now.Sub(conv.LastActivityAt) < activityStep {
		return nil
	}
	conv.LastActivityAt = now
	return q.TouchConversation(ctx, conv.WorkspaceID, conv.ID, now)
}

// botAnswers says whether the conversation's bot answers a message: text,
// in an active conversation with a bot, on a channel that is not
// disconnected (the hook refuses their requests; this is for other
// callers).
func (p *Pipeline) botAnswers(ch *sb.Channel, conv *sb.Conversation, in *sb.InboundMessage) bool {
	return conv.Status == sb.ConversationActive && conv.BotID != nil && ch.Status != sb.ChannelDisconnected &&
		in.Kind == "text" && strings.TrimSpace(in.Text) != ""
}

// newBotTurn writes the bot-turn job of a message, held by this process
// from the start: it runs here right after the commit, without being
// claimed, with what the ingest read (hint); if this process dies first,
// its lease expires and another run takes it.
func (p *Pipeline) newBotTurn(ctx context.Context, q sb.Queries, conv *sb.Conversation, m *sb.Message, hint *turnInput) error {
	_, err := p.turns.Enqueue(ctx, q, queue.NewJob[botTurnPayload]{
		WorkspaceID: conv.WorkspaceID, Key: conv.ID, RunAt: m.CreatedAt, Hold: true,
		Args: botTurnPayload{MessageID: m.ID, ConversationID: conv.ID},
	}, hint)
	return err
}

// upsertContact finds the sender's contact on the channel, creating it, or
// refreshing what the platform says about it; wrote says it wrote. The
// contact is held until the transaction ends (found with
// HoldContactByExternalID, or created by it and so invisible to others).
func upsertContact(ctx context.Context, q sb.Queries, ch *sb.Channel, info *sb.ContactInfo, now time.Time) (*sb.Contact, bool, error) {
	c, err := q.HoldContactByExternalID(ctx, ch.ID, info.ExternalID)
	if sb.ErrorCode(err) == sb.ENotFound {
		c = &sb.Contact{
			ID: sb.NewID(sb.PrefixContact), WorkspaceID: ch.WorkspaceID, ChannelID: ch.ID, ExternalID: info.ExternalID,
			Name: clean(info.Name), Email: clean(info.Email), Phone: clean(info.Phone), Attributes: map[string]any{},
			CreatedAt: now, UpdatedAt: now,
		}
		err = q.CreateContact(ctx, c)
		if sb.ErrorCode(err) == sb.EConflict { // created meanwhile by another process
			c, err = q.HoldContactByExternalID(ctx, ch.ID, info.ExternalID)
			return c, false, err
		}
		return c, true, err
	}
	if err != nil {
		return nil, false, err
	}
	changed := false
	for _, f := range []struct {
		dst *string
		v   string
	}{{&c.Name, info.Name}, {&c.Email, info.Email}, {&c.Phone, info.Phone}} {
		if v := clean(f.v); v != "" && v != *f.dst {
			*f.dst, changed = v, true
		}
	}
	if changed {
		err = q.UpdateContact(ctx, c)
	}
	return c, changed, err
}

// openConversation returns the contact's open conversation on the channel,
// ending it first if it has been idle past the timeout, and starting a new
// one if there is none; started says it wrote.
func (p *Pipeline) openConversation(ctx context.Context, q sb.Queries, ch *sb.Channel, contact *sb.Contact, now time.Time) (*sb.Conversation, bool, error) {
	conv, err := q.FindOpenConversation(ctx, ch.ID, contact.ID)
	switch {
	case sb.ErrorCode(err) == sb.ENotFound:
	case err != nil:
		return nil, false, err
	case conv.Idle(now, p.cfg.InactivityTimeout):
		if err := p.endConversation(ctx, q, conv, now); err != nil {
			return nil, false, err
		}
	default:
		return conv, false, nil
	}
	conv, err = StartConversation(ctx, q, p.events, NewConversation{Channel: ch, Contact: contact, Now: now})
	return conv, true, err
}

// NewConversation is a conversation to start: a contact's on a channel.
type NewConversation struct {
	Channel  *sb.Channel
	Contact  *sb.Contact
	Metadata map[string]any
	Now      time.Time
}

// StartConversation creates an active conversation of a contact on a
// channel, with the channel's bot, and publishes its conversation.started
// event, with q.
func StartConversation(ctx context.Context, q sb.Queries, events *webhook.Publisher, c NewConversation) (*sb.Conversation, error) {
	metadata := c.Metadata
	if metadata == nil {
		metadata = map[string]any{}
	}
	now := c.Now.UTC()
	conv := &sb.Conversation{
		ID: sb.NewID(sb.PrefixConversation), WorkspaceID: c.Channel.WorkspaceID, ChannelID: c.Channel.ID, BotID: c.Channel.BotID,
		ContactID: c.Contact.ID, Status: sb.ConversationActive, Metadata: metadata, StartedAt: now, LastActivityAt: now,
	}
	if err := q.CreateConversation(ctx, conv); err != nil {
		return nil, err
	}
	return conv, events.Publish(ctx, q, sb.ConversationEvent(sb.EventConversationStarted, conv, nil))
}

// UpdateConversation applies a patch to a conversation and writes it with
// q, publishing the events the change causes (conversation.updated per
// changed field, conversation.ended).
func UpdateConversation(ctx context.Context, q sb.Queries, events *webhook.Publisher, conv *sb.Conversation, patch sb.ConversationPatch, now time.Time) error {
	evs, err := conv.Apply(patch, now)
	if err != nil || len(evs) == 0 {
		return err
	}
	if err := q.UpdateConversation(ctx, conv); err != nil {
		return err
	}
	for _, e := range evs {
		if err := events.Publish(ctx, q, e); err != nil {
			return err
		}
	}
	return nil
}

// endConversation ends an idle conversation.
func (p *Pipeline) endConversation(ctx context.Context, q sb.Queries, conv *sb.Conversation, now time.Time) error {
	return UpdateConversation(ctx, q, p.events, conv, sb.ConversationPatch{Status: sb.ConversationEnded, Idle: true}, now)
}

// statusRank orders the statuses an outbound message moves through.
var statusRank = map[string]int{sb.MessageQueued: 0, sb.MessageSent: 1, sb.MessageDelivered: 2, sb.MessageRead: 3}

// statusEvents are the events of delivery receipts.
var statusEvents = map[string]string{
	sb.MessageDelivered: sb.EventMessageDelivered,
	sb.MessageRead:      sb.EventMessageRead,
	sb.MessageFailed:    sb.EventMessageFailed,
}

// applyStatus moves an outbound message forward by a platform's receipt.
// Receipts for unknown messages, and those that would move a message back
// (a late "delivered" after "read"), change nothing.
func (p *Pipeline) applyStatus(ctx context.Context, q sb.Queries, ch *sb.Channel, st *sb.StatusUpdate) (bool, error) {
	typ, ok := statusEvents[st.Status]
	if !ok || st.ExternalID == "" {
		return false, nil
	}
	m, err := q.GetMessageByExternalID(ctx, ch.ID, sb.DirectionOutbound, st.ExternalID)
	if sb.ErrorCode(err) == sb.ENotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if st.Status == m.Status || m.Status == sb.MessageFailed ||
		(st.Status != sb.MessageFailed && statusRank[st.Status] <= statusRank[m.Status]) {
		return false, nil
	}
	m.Status = st.Status
	if st.Status == sb.MessageFailed {
		e := clean(st.Error)
		if e == "" {
			e = "the platform reported the message failed"
		}
		m.Error = &e
	}
	if err := q.UpdateMessage(ctx, m); err != nil {
		return false, err
	}
	return true, p.events.Publish(ctx, q, sb.MessageEvent(typ, m))
}

// clean removes NUL characters, which PostgreSQL cannot store in text.
func clean(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

// cleanRaw replaces the JSON escape of NUL, which PostgreSQL cannot store
// in JSONB, with the replacement character. (The store refuses a raw body
// that is not JSON; adapters give the bodies they parsed.)
func cleanRaw(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	if bytes.Contains(raw, []byte(`\u0000`)) {
		raw = bytes.ReplaceAll(raw, []byte(`\u0000`), []byte(`\ufffd`))
	}
	return raw
}
