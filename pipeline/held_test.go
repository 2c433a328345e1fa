package pipeline_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// apiReceiver is a receiver of an api channel's sends that records the
// webhook-id of each.
type apiReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	ids []string
}

func newAPIReceiver(t *testing.T) *apiReceiver {
	r := &apiReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.ids = append(r.ids, req.Header.Get("webhook-id"))
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *apiReceiver) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// queueOnAPIChannel starts a conversation on a new api channel and queues
// an agent's message in it through p, as POST
// /conversations/{id}/messages does.
func (e *env) queueOnAPIChannel(p *pipeline.Pipeline, callback string) (*sb.Conversation, *sb.Message) {
	e.t.Helper()
	ch := e.newChannel(sb.ChannelAPI, nil, map[string]any{"callback_url": callback}, map[string]string{"secret": signature.NewSecret()})
	contact := &sb.Contact{WorkspaceID: e.ws.ID, ChannelID: ch.ID, ExternalID: "u-1"}
	must(e.t, e.db.CreateContact(e.ctx, contact))
	var conv *sb.Conversation
	var msg *sb.Message
	must(e.t, p.Write(e.ctx, func(q sb.Queries) error {
		var err error
		if conv, err = pipeline.StartConversation(e.ctx, q, nil, pipeline.NewConversation{Channel: ch, Contact: contact, Now: e.clock.Now()}); err != nil {
			return err
		}
		msg, err = p.QueueMessage(e.ctx, q, pipeline.Outgoing{Conversation: conv, Sender: sb.SenderAgent, Text: "Hi, Ann here."})
		return err
	}))
	return conv, msg
}

// TestAPISendHeldFromTheStart: on the api channel, whose receivers drop
// repeats, a queued message's send is written held by the process that
// queued it, one attempt counted, and runs without a claim of its own.
func TestAPISendHeldFromTheStart(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		rcv := newAPIReceiver(t)
		_, msg := e.queueOnAPIChannel(e.p, rcv.URL)
		jobs, err := e.db.ClaimJobs(e.ctx, e.clock.Now(), e.cfg.Lease, 10, nil)
		must(t, err)
		if len(jobs) != 0 {
			t.Fatalf("the send was due at once (%d jobs claimable), want it held", len(jobs))
		}
		if n := e.run(); n != 1 {
			t.Fatalf("ran %d jobs, want the send", n)
		}
		equal(t, "webhook-ids", rcv.received(), []string{msg.ID})
		list := e.messagesOf(msg.ConversationID)
		if list[0].Status != sb.MessageSent {
			t.Fatalf("message %+v, want sent", list[0])
		}
		e.noJobsLeft()
	})
}

// TestAPISendHeldCrashResends: the process that queued a message on the api
// channel dies before sending it. Another takes the send over once the
// lease expires and sends it (the receiver drops a repeat by its
// webhook-id, so an interrupted send may be repeated there); the dead
// process's job is not run twice.
func TestAPISendHeldCrashResends(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		rcv := newAPIReceiver(t)
		a := e.p
		_, msg := e.queueOnAPIChannel(a, rcv.URL)
		a.Crash()
		b := e.pipeline()
		if n, _ := b.RunDue(e.ctx); n != 0 {
			t.Fatal("the dead process's send was taken before its lease expired")
		}
		e.afterLease()
		if n, _ := b.RunDue(e.ctx); n != 1 {
			t.Fatalf("ran %d jobs, want the send", n)
		}
		equal(t, "webhook-ids", rcv.received(), []string{msg.ID})
		if m := e.messagesOf(msg.ConversationID)[0]; m.Status != sb.MessageSent {
			t.Fatalf("message %+v, want sent", m)
		}
		e.noJobsLeft()
	})
}

// TestTelegramSendNotHeld: on a platform that cannot drop repeats, the
// send of a queued message is written due, not held, and claimed just
// before the platform is called: if the process dies before that, another
// sends it at once, not as an interrupted send.
func TestTelegramSendNotHeld(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		a := e.p
		e.hook(a, 1, 42, "talk to a human") // handoff: the bot stays silent from now on
		if n := a.RunPending(e.ctx, sb.JobBotTurn); n != 1 {
			t.Fatalf("ran %d bot turns", n)
		}
		a.RunDue(e.ctx)
		conv := e.conversations(42)[0]
		must(t, a.Write(e.ctx, func(q sb.Queries) error {
			_, err := a.QueueMessage(e.ctx, q, pipeline.Outgoing{Conversation: conv, Sender: sb.SenderAgent, Text: "Hi, Ann here."})
			return err
		}))
		a.Crash()
		b := e.pipeline()
		if n, _ := b.RunDue(e.ctx); n != 1 {
			t.Fatalf("ran %d jobs, want the send at once", n)
		}
		equal(t, "sent", e.sent(), []string{"Connecting you to a person.", "Hi, Ann here."})
		e.noJobsLeft()
	})
}

// messagesOf returns a conversation's messages, newest first.
func (e *env) messagesOf(convID string) []*sb.Message {
	e.t.Helper()
	list, err := e.db.ListMessages(e.ctx, e.ws.ID, convID, sb.Page{Limit: 200})
	must(e.t, err)
	return list
}

// TestQueueMessageWithoutPipeline: a message queued where no pipeline runs
// (a nil *Pipeline) gets a send job written due, which a pipeline's poller
// claims and sends.
func TestQueueMessageWithoutPipeline(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		rcv := newAPIReceiver(t)
		ch := e.newChannel(sb.ChannelAPI, nil, map[string]any{"callback_url": rcv.URL}, map[string]string{"secret": signature.NewSecret()})
		contact := &sb.Contact{WorkspaceID: e.ws.ID, ChannelID: ch.ID, ExternalID: "u-1"}
		must(t, e.db.CreateContact(e.ctx, contact))
		var msg *sb.Message
		must(t, e.db.Tx(e.ctx, func(q sb.Queries) error {
			conv, err := pipeline.StartConversation(e.ctx, q, nil, pipeline.NewConversation{Channel: ch, Contact: contact, Now: e.clock.Now()})
			if err != nil {
				return err
			}
			var none *pipeline.Pipeline
			msg, err = none.QueueMessage(e.ctx, q, pipeline.Outgoing{Conversation: conv, Sender: sb.SenderAgent, Text: "Hi, Ann here."})
			return err
		}))
		if e.p.Pending() != 0 {
			t.Fatal("a pipeline was handed the job of a message it did not queue")
		}
		e.clock.Advance(5 * time.Minute) // the job is due at the wall clock's now, ahead of the env's
		if n := e.run(); n != 1 {
			t.Fatalf("ran %d jobs, want the send", n)
		}
		equal(t, "webhook-ids", rcv.received(), []string{msg.ID})
		if m := e.messagesOf(msg.ConversationID)[0]; m.Status != sb.MessageSent {
			t.Fatalf("message %+v, want sent", m)
		}
		e.noJobsLeft()
	})
}
