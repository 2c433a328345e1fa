package pipeline

import (
	"context"

	sb "github.com/switchboardhq/switchboard"
)

// ActionQueuer queues, in a bot turn's transaction, the run of the
// integration action of the intent that answered (app.Service does):
// once per inbound message and action, however often the turn is written.
type ActionQueuer interface {
	QueueIntentAction(ctx context.Context, q sb.Queries, conv *sb.Conversation, msg *sb.Message, a *sb.IntentAction) error
}

// actionQueuer holds the ActionQueuer (set once, before Start).
type actionQueuer struct{ ActionQueuer }

// QueueActionsWith makes a the queuer of intents' actions. Call it before
// Start; without one, answers' actions are ignored.
func (p *Pipeline) QueueActionsWith(a ActionQueuer) { p.actions.Store(&actionQueuer{a}) }

// queueAction queues the action of a turn's answer, if it has one.
func (p *Pipeline) queueAction(ctx context.Context, q sb.Queries, conv *sb.Conversation, msg *sb.Message, a *sb.BotAnswer) error {
	aq := p.actions.Load()
	if a.Action == nil || aq == nil {
		return nil
	}
	return aq.QueueIntentAction(ctx, q, conv, msg, a.Action)
}
