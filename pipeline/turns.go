package pipeline

import (
	"context"
	"maps"

	"github.com/prometheus/client_golang/prometheus"
	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/queue"
)

// DefaultSlowTurns bounds the turns of slow engines (switchboard.SlowReplier,
// the llm engine) waiting on their service at once in a process.
const DefaultSlowTurns = 256

// ToolMaker makes the tools of a bot turn (app.Service does): fact
// lookups, contact changes and integration actions for the turn's
// workspace, conversation, contact and inbound message.
type ToolMaker interface {
	TurnTools(conv *sb.Conversation, contact *sb.Contact, msg *sb.Message) sb.TurnTools
}

// toolMaker holds the ToolMaker (set once, before Start).
type toolMaker struct{ ToolMaker }

// ToolsWith makes m the maker of turns' tools. Call it before Start;
// without one, turns get no tools (BotTurn.Tools is nil).
func (p *Pipeline) ToolsWith(m ToolMaker) { p.toolMaker.Store(&toolMaker{m}) }

// tools returns the tools of a turn, or nil.
func (p *Pipeline) tools(in *turnInput) sb.TurnTools {
	m := p.toolMaker.Load()
	if m == nil {
		return nil
	}
	return m.TurnTools(in.conv, in.contact, in.msg)
}

// reply asks the engine, within the call timeout.
//
// Slow engines (switchboard.SlowReplier: a language model takes seconds)
// answer outside the queue's places: the turn gives its place among the
// Concurrency jobs back while it waits (queue.Yield), holding one of
// SlowTurns places of its own instead, so that 200 turns waiting on a slow
// model leave the places free for other bots' turns and for sends. The
// turn keeps its job's lease and its conversation's order (the next
// message of the conversation still waits for it). The wait for a place of
// the slow pool counts in the call timeout, which bounds the whole turn
// below the lease.
func (p *Pipeline) reply(ctx context.Context, engine sb.BotEngine, t *sb.BotTurn) (*sb.BotAnswer, error) {
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	defer cancel()
	if _, slow := engine.(sb.SlowReplier); !slow {
		return engine.Reply(cctx, t)
	}
	resume := queue.Yield(ctx)
	defer resume()
	select {
	case p.slow <- struct{}{}:
		defer func() { <-p.slow }()
	case <-cctx.Done():
		return nil, cctx.Err()
	}
	return engine.Reply(cctx, t)
}

// recordTurn records a turn with its outcome, with q: its answer, or the
// error that ended it (a bot.error).
func (p *Pipeline) recordTurn(ctx context.Context, q sb.Queries, in *turnInput, a *sb.BotAnswer, failure string) error {
	r := &sb.TurnRecord{
		WorkspaceID: in.conv.WorkspaceID, BotID: in.bot.ID, Version: in.version.Version, ConversationID: in.conv.ID,
		MessageID: in.msg.ID, Engine: in.bot.Engine, ToolCalls: []sb.ToolCall{}, CreatedAt: p.now(),
	}
	if a != nil {
		r.Intent, r.Confidence, r.OutOfScope, r.Handoff = a.Intent, a.Confidence, a.OutOfScope, a.Handoff && failure == ""
		r.Model, r.PromptTokens, r.CompletionTokens, r.Replies = a.Model, a.PromptTokens, a.CompletionTokens, len(a.Replies)
		if a.ToolCalls != nil {
			r.ToolCalls = a.ToolCalls
		}
	}
	if failure != "" {
		r.Error = &failure
	}
	return q.CreateBotTurn(ctx, r)
}

// countTokens counts the tokens a turn's model spent, by bot and model.
func (p *Pipeline) countTokens(bot *sb.Bot, a *sb.BotAnswer) {
	if a == nil || (a.PromptTokens == 0 && a.CompletionTokens == 0) {
		return
	}
	p.metrics.tokens.WithLabelValues(bot.ID, a.Model, "prompt").Add(float64(a.PromptTokens))
	p.metrics.tokens.WithLabelValues(bot.ID, a.Model, "completion").Add(float64(a.CompletionTokens))
}

// newTokenCounter is the counter of the tokens models spent.
func newTokenCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_bot_tokens_total",
		Help: "Tokens spent by language models answering bot turns (the llm engine), by bot, model and kind: prompt or completion.",
	}, []string{"bot_id", "model", "kind"})
}

// handoffPatch is the change of a conversation a bot hands off: status
// handoff, and the reason in the metadata's handoff_reason, where the inbox
// shows it.
func handoffPatch(conv *sb.Conversation, reason string) sb.ConversationPatch {
	patch := sb.ConversationPatch{Status: sb.ConversationHandoff}
	if reason != "" {
		md := maps.Clone(conv.Metadata)
		if md == nil {
			md = map[string]any{}
		}
		md["handoff_reason"] = reason
		patch.SetMetadata, patch.Metadata = true, md
	}
	return patch
}
