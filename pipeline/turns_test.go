package pipeline_test

import (
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestTurnsRecorded: every turn is recorded with its outcome, whatever the
// engine: a builtin bot's answer with its intent and confidence, the
// fallback as out of scope, the handoff intent as a handoff; no turn is
// recorded for a conversation the bot no longer answers.
func TestTurnsRecorded(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		e.hook(e.p, 1, 42, "hello")
		e.run()
		e.hook(e.p, 2, 42, "xyzzy")
		e.run()
		e.hook(e.p, 3, 42, "talk to a human")
		e.run()
		e.hook(e.p, 4, 42, "hello?") // the conversation is the agents' now
		e.run()
		conv := e.conversations(42)[0]
		turns, err := e.db.ListBotTurns(e.ctx, e.ws.ID, conv.ID, sb.Page{Limit: 10})
		must(t, err)
		if len(turns) != 3 {
			t.Fatalf("%d turns recorded, want 3", len(turns))
		}
		msgs := e.messages(conv.ID)
		greet, fallback, human := turns[2], turns[1], turns[0]
		if greet.Engine != sb.EngineBuiltin || greet.Intent != "greet" || greet.Confidence <= 0 || greet.OutOfScope || greet.Handoff ||
			greet.Replies != 1 || greet.Version != 1 || greet.BotID != e.bot.ID || greet.MessageID != msgs[0].ID || greet.Error != nil {
			t.Fatalf("greeting turn: %+v", greet)
		}
		if !fallback.OutOfScope || fallback.Handoff {
			t.Fatalf("fallback turn: %+v", fallback)
		}
		if human.Intent != "human" || !human.Handoff || len(human.ToolCalls) != 0 {
			t.Fatalf("handoff turn: %+v", human)
		}
	})
}
