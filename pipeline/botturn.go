package pipeline

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// maxReplies bounds the messages one turn sends; maxReplyLength the
// length of each, in UTF-16 code units, as for messages sent through the
// API. A longer reply, or one longer than the platform takes
// (the TextLimit of its channel's spec), is sent in parts (splitText), each
// a message.
const (
	maxReplies     = 10
	maxReplyLength = 4096
)

// turnInput is what a bot turn reads before asking the engine.
type turnInput struct {
	conv    *sb.Conversation
	msg     *sb.Message
	ch      *sb.Channel
	contact *sb.Contact
	bot     *sb.Bot
	version *sb.BotVersion // the bot's deployed version, answering
}

// botTurn runs the conversation's bot on one inbound message: asks the
// engine, then, in one transaction with the job's deletion, queues the
// replies and hands the conversation off if the bot said so. A conversation
// that is no longer active (an agent took over, it ended) gets no answer.
// A retryable engine failure is retried on the bot schedule; a final one
// emits bot.error.
func (p *Pipeline) botTurn(ctx context.Context, j *sb.Job, pl *botTurnPayload, in *turnInput) {
	var err error
	if in != nil { // handed over by the ingest that wrote the job
		in.bot, err = p.bot(ctx, j.WorkspaceID, *in.conv.BotID)
		if sb.ErrorCode(err) == sb.ENotFound {
			in, err = nil, nil
		}
	} else {
		in, err = p.readTurn(ctx, j.WorkspaceID, pl)
	}
	if err != nil {
		if sb.ErrorCode(err) == sb.ENotFound { // erased meanwhile: nothing to answer
			p.finish(ctx, j, nil)
			return
		}
		p.log.Error("pipeline: reading a bot turn; retrying", "job", j.ID, "error", err)
		p.retry(ctx, j, p.now().Add(p.cfg.PollInterval), err.Error())
		return
	}
	if in == nil || in.conv.Status != sb.ConversationActive {
		p.metrics.turns.WithLabelValues("none", "silent").Inc()
		p.finish(ctx, j, nil)
		return
	}
	version, err := p.deployed(ctx, in.bot)
	if err != nil {
		if sb.ErrorCode(err) == sb.ENotFound { // the bot was deleted meanwhile
			p.finish(ctx, j, nil)
			return
		}
		p.log.Error("pipeline: reading a bot's deployed version; retrying", "job", j.ID, "error", err)
		p.retry(ctx, j, p.now().Add(p.cfg.PollInterval), err.Error())
		return
	}
	if version == nil { // never deployed: the bot has nothing to answer with
		p.metrics.turns.WithLabelValues(in.bot.Engine, "not_deployed").Inc()
		p.finish(ctx, j, nil)
		return
	}
	in.version = version
	engine, ok := p.engines[in.bot.Engine]
	if !ok {
		p.botFailed(ctx, j, in, "the "+in.bot.Engine+" engine is not available in this version of Switchboard", nil)
		return
	}
	answer, err := p.reply(ctx, engine, p.turn(in, j.Attempts))
	if err != nil {
		p.replyFailed(ctx, j, in, err)
		return
	}
	outcome := "silent"
	if answer != nil && len(answer.Replies) > 0 {
		outcome = "answered"
	}
	p.countTokens(in.bot, answer)
	if p.finish(ctx, j, func(q sb.Queries) error {
		if err := p.answer(ctx, q, j, in, answer); err != nil {
			return err
		}
		return p.recordTurn(ctx, q, in, answer, "")
	}) {
		p.metrics.turns.WithLabelValues(in.bot.Engine, outcome).Inc()
	}
}

// turn is what the engine gets: the bot as its deployed version answers,
// the version's model and the template filler of the conversation.
func (p *Pipeline) turn(in *turnInput, attempt int) *sb.BotTurn {
	return &sb.BotTurn{
		Bot: VersionBot(in.bot, in.version), Channel: in.ch, Conversation: in.conv, Contact: in.contact,
		Message: in.msg, Attempt: attempt,
		Version: in.version.Version, Model: ModelLoader(p.store, in.version),
		Fill:  TurnFill(p.store, nowClock(p.now), in.conv.WorkspaceID, in.contact, in.conv),
		Tools: p.tools(in),
	}
}

// readTurn loads what a turn needs; nil (and no error) if the conversation
// has no bot any more.
func (p *Pipeline) readTurn(ctx context.Context, ws string, pl *botTurnPayload) (*turnInput, error) {
	in := &turnInput{}
	var err error
	if in.conv, err = p.store.GetConversation(ctx, ws, pl.ConversationID); err != nil {
		return nil, err
	}
	if in.conv.BotID == nil {
		return nil, nil
	}
	if in.msg, err = p.store.GetMessage(ctx, ws, pl.ConversationID, pl.MessageID); err != nil {
		return nil, err
	}
	if in.ch, err = p.channel(ctx, ws, in.conv.ChannelID); err != nil {
		return nil, err
	}
	if in.contact, err = p.store.GetContact(ctx, ws, in.conv.ContactID); err != nil {
		return nil, err
	}
	if in.bot, err = p.bot(ctx, ws, *in.conv.BotID); err != nil {
		if sb.ErrorCode(err) == sb.ENotFound {
			return nil, nil
		}
		return nil, err
	}
	return in, nil
}

// answer writes a turn's outcome: the replies, queued with their send jobs,
// and the handoff. It reads the conversation again first: if an agent took
// it over or it ended while the engine was thinking, the bot stays silent.
func (p *Pipeline) answer(ctx context.Context, q sb.Queries, j *sb.Job, in *turnInput, a *sb.BotAnswer) error {
	// Only the status and the last activity can have changed that matter
	// here (the rest of the conversation is read again for a handoff).
	status, last, err := q.GetConversationStatus(ctx, in.conv.WorkspaceID, in.conv.ID)
	if sb.ErrorCode(err) == sb.ENotFound {
		return nil
	}
	if err != nil || status != sb.ConversationActive || a == nil {
		return err
	}
	conv := *in.conv // the turn's copy: shared with the engine, not to be changed
	conv.Status, conv.LastActivityAt = status, last
	now := p.now()
	hold := p.retriesInterrupted(in.ch)
	limit := maxReplyLength
	if l := p.adapters.Spec(in.ch.Type).TextLimit; l > 0 {
		limit = min(limit, l)
	}
	queued := 0
	for _, reply := range a.Replies {
		reply = strings.TrimSpace(strings.ToValidUTF8(clean(reply), "\uFFFD"))
		for _, text := range splitText(reply, limit) {
			if queued == maxReplies || strings.TrimSpace(text) == "" {
				continue
			}
			m, err := queueMessage(ctx, q, outMessage{conv: &conv, sender: sb.SenderBot, text: text, thread: in.msg.Thread, at: now})
			if err != nil {
				return err
			}
			if err := p.enqueueSend(ctx, q, m, hold, &sendInput{msg: m, ch: in.ch, contact: in.contact}); err != nil {
				return err
			}
			queued++
		}
	}
	if err := p.queueAction(ctx, q, &conv, in.msg, a); err != nil {
		return err
	}
	if a.Handoff {
		full, err := q.HoldConversation(ctx, conv.WorkspaceID, conv.ID)
		if err != nil {
			return err
		}
		if err := UpdateConversation(ctx, q, p.events, full, handoffPatch(full, a.HandoffReason), now); err != nil {
			return err
		}
		conv.LastActivityAt = full.LastActivityAt
	}
	if queued > 0 {
		return touch(ctx, q, &conv, now)
	}
	return nil
}

// replyFailed retries a retryable engine failure, or ends the turn with
// bot.error.
func (p *Pipeline) replyFailed(ctx context.Context, j *sb.Job, in *turnInput, err error) {
	bot := in.bot
	var re *sb.ReplyError
	retryable := errors.As(err, &re) && re.Retryable
	var after time.Duration
	var partial *sb.BotAnswer
	if re != nil {
		after, partial = re.RetryAfter, re.Partial
		p.countTokens(bot, partial) // spent, whatever comes of the turn
	}
	if errors.Is(err, context.DeadlineExceeded) {
		retryable = true
	}
	if retryable {
		if d, ok := p.retryDelay(p.cfg.BotRetry, j.Attempts, after); ok {
			p.log.Info("pipeline: bot failed to answer; retrying", "bot", bot.ID, "attempt", j.Attempts, "in", d, "error", err)
			p.metrics.turns.WithLabelValues(bot.Engine, "retried").Inc()
			p.retry(ctx, j, p.now().Add(d), err.Error())
			return
		}
	}
	msg := err.Error()
	if retryable {
		msg = "the bot did not answer after " + strconv.Itoa(j.Attempts) + " attempts: " + msg
	}
	p.botFailed(ctx, j, in, msg, partial)
}

// botFailed ends a turn without an answer and emits bot.error, with the
// number of the version that failed; the turn is recorded with what the
// engine did before it failed (partial, nil for nothing).
func (p *Pipeline) botFailed(ctx context.Context, j *sb.Job, in *turnInput, msg string, partial *sb.BotAnswer) {
	bot := in.bot
	p.log.Warn("pipeline: bot failed to answer", "bot", bot.ID, "version", in.version.Version, "job", j.ID, "error", msg)
	p.metrics.turns.WithLabelValues(bot.Engine, "error").Inc()
	p.finish(ctx, j, func(q sb.Queries) error {
		if err := p.events.Publish(ctx, q, sb.BotErrorEvent(bot, &in.version.Version, msg)); err != nil {
			return err
		}
		return p.recordTurn(ctx, q, in, partial, msg)
	})
}
