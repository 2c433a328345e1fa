package pipeline_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestInboundToReply: a Telegram update is stored with its contact and a
// new conversation, the bot answers, the reply reaches the platform, and
// the events tell the story in order.
func TestInboundToReply(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		res := e.hook(e.p, 1001, 42, "Hello!")
		if res.Stored != 1 || res.Duplicates != 0 {
			t.Fatalf("ingest: %+v", res)
		}
		// Stored before anything runs.
		convs := e.conversations(42)
		if len(convs) != 1 || convs[0].Status != sb.ConversationActive || convs[0].BotID == nil {
			t.Fatalf("conversations: %+v", convs)
		}
		equal(t, "events after ingest", e.events(), []string{"conversation.started", "message.received"})

		if n := e.run(); n != 2 { // the bot turn, the send
			t.Fatalf("ran %d jobs, want 2", n)
		}
		equal(t, "sent", e.sent(), []string{"Hello! How can I help?"})
		call := e.tg.Calls("sendMessage")[0]
		if call.ChatID() != "42" || call.Token != "123:TEST" {
			t.Fatalf("sendMessage: %+v", call)
		}
		msgs := e.messages(convs[0].ID)
		if len(msgs) != 2 || msgs[0].Direction != sb.DirectionInbound || *msgs[0].ExternalID != "1001" ||
			msgs[1].Sender != sb.SenderBot || msgs[1].Status != sb.MessageSent || msgs[1].ExternalID == nil {
			t.Fatalf("messages: %+v %+v", msgs[0], msgs[1])
		}
		equal(t, "events", e.events(), []string{"conversation.started", "message.received", "message.sent"})
		ct, err := e.db.GetContactByExternalID(e.ctx, e.ch.ID, "42")
		must(t, err)
		if ct.Name != "Ada" {
			t.Fatalf("contact: %+v", ct)
		}
		e.noJobsLeft()

		// The next message continues the conversation.
		e.hook(e.p, 1002, 42, "where is my order?")
		e.run()
		equal(t, "sent", e.sent(), []string{"Hello! How can I help?", "Your order is on its way."})
		if convs := e.conversations(42); len(convs) != 1 {
			t.Fatalf("%d conversations, want 1", len(convs))
		}
	})
}

// TestDuplicateUpdates: an update delivered again (Telegram retries with
// the same update_id), in sequence or at once, is stored and answered once.
func TestDuplicateUpdates(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		e.hook(e.p, 7, 42, "hello")
		if res := e.hook(e.p, 7, 42, "hello"); res.Stored != 0 || res.Duplicates != 1 {
			t.Fatalf("repeat: %+v", res)
		}
		e.run()
		if res := e.hook(e.p, 7, 42, "hello"); res.Duplicates != 1 { // after the reply too
			t.Fatalf("repeat after the reply: %+v", res)
		}

		// Ten deliveries of another update at once, from a new user.
		var wg sync.WaitGroup
		var mu sync.Mutex
		stored := 0
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := e.ingest(e.p, e.ch, telegramtest.Update(8, 43, "Bob", "hello"), http.Header{telegram.HeaderSecretToken: {secretToken}})
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				stored += res.Stored
				mu.Unlock()
			}()
		}
		wg.Wait()
		e.run()
		if stored != 1 {
			t.Fatalf("10 concurrent deliveries stored %d messages", stored)
		}
		equal(t, "sent", e.sent(), []string{"Hello! How can I help?", "Hello! How can I help?"})
		convs := e.conversations(43)
		if len(convs) != 1 || len(e.messages(convs[0].ID)) != 2 {
			t.Fatalf("user 43: %d conversations", len(convs))
		}
		received := 0
		for _, ev := range e.events() {
			if ev == sb.EventMessageReceived {
				received++
			}
		}
		if received != 2 {
			t.Fatalf("%d message.received events, want 2", received)
		}
	})
}

// TestIgnoredKinds: messages bots do not answer (a sticker, an edit) are
// stored and emitted, without a bot turn; updates that carry no message
// store nothing.
func TestIgnoredKinds(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	sticker := `{"update_id":5,"message":{"message_id":1,"from":{"id":42,"is_bot":false,"first_name":"Ada"},"chat":{"id":42,"type":"private"},"date":1,"sticker":{"file_id":"x","file_unique_id":"y","type":"regular","width":1,"height":1,"is_animated":false,"is_video":false}}}`
	res, err := e.ingest(e.p, e.ch, []byte(sticker), http.Header{telegram.HeaderSecretToken: {secretToken}})
	must(t, err)
	if res.Stored != 1 {
		t.Fatalf("sticker: %+v", res)
	}
	poll := `{"update_id":6,"poll":{"id":"1","question":"?","options":[],"total_voter_count":0,"is_closed":false,"is_anonymous":true,"type":"regular","allows_multiple_answers":false}}`
	res, err = e.ingest(e.p, e.ch, []byte(poll), http.Header{telegram.HeaderSecretToken: {secretToken}})
	must(t, err)
	if res.Stored != 0 {
		t.Fatalf("poll: %+v", res)
	}
	if n := e.run(); n != 0 {
		t.Fatalf("ran %d jobs for a sticker", n)
	}
	equal(t, "events", e.events(), []string{"conversation.started", "message.received"})
}

// TestHandoff: the handoff intent answers, hands the conversation to
// agents (conversation.updated) and the bot stays silent while it is in
// handoff; messages are still stored and emitted; giving it back to the
// bot makes it answer again.
func TestHandoff(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		e.hook(e.p, 1, 42, "I want to talk to a human")
		e.run()
		equal(t, "sent", e.sent(), []string{"Connecting you to a person."})
		conv := e.conversations(42)[0]
		if conv.Status != sb.ConversationHandoff {
			t.Fatalf("status %s, want handoff", conv.Status)
		}
		equal(t, "events", e.events(), []string{"conversation.started", "message.received", "conversation.updated", "message.sent"})
		ev, err := e.db.ListEvents(e.ctx, e.ws.ID, sb.EventFilter{Type: sb.EventConversationUpdated}, sb.Page{Limit: 1})
		must(t, err)
		var data struct{ Changes sb.Change }
		must(t, json.Unmarshal(ev[0].Data, &data))
		if data.Changes != (sb.Change{Field: "status", OldValue: "active", NewValue: "handoff"}) {
			t.Fatalf("conversation.updated data: %s", ev[0].Data)
		}

		e.hook(e.p, 2, 42, "hello?")
		if n := e.run(); n != 0 {
			t.Fatalf("ran %d jobs in handoff", n)
		}
		if got := e.messages(conv.ID); len(got) != 3 || got[2].Text != "hello?" {
			t.Fatalf("messages in handoff: %d", len(got))
		}

		// An agent answers through the API path; then hands back.
		must(t, e.db.Tx(e.ctx, func(q sb.Queries) error {
			c, err := q.GetConversation(e.ctx, e.ws.ID, conv.ID)
			if err != nil {
				return err
			}
			if _, err := e.p.QueueMessage(e.ctx, q, pipeline.Outgoing{Conversation: c, Sender: sb.SenderAgent, Text: "Hi, Ann here."}); err != nil {
				return err
			}
			return pipeline.UpdateConversation(e.ctx, q, nil, c, sb.ConversationPatch{Status: sb.ConversationActive}, e.clock.Now())
		}))
		e.run()
		e.hook(e.p, 3, 42, "good morning")
		e.run()
		equal(t, "sent", e.sent(), []string{"Connecting you to a person.", "Hi, Ann here.", "Hello! How can I help?"})
	})
}

// TestInactivityTimeout: a conversation idle past the timeout is ended by
// the sweeper (conversation.updated, conversation.ended); the next message
// starts a new one. A message arriving after the timeout, before any sweep,
// ends the old one itself.
func TestInactivityTimeout(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		e.hook(e.p, 1, 42, "hello")
		e.run()
		first := e.conversations(42)[0]

		e.clock.Advance(sb.DefaultInactivityTimeout)
		n, err := e.p.EndIdle(e.ctx)
		must(t, err)
		if n != 0 {
			t.Fatal("a conversation ended before its timeout")
		}
		e.clock.Advance(time.Millisecond)
		n, err = e.p.EndIdle(e.ctx)
		must(t, err)
		if n != 1 {
			t.Fatalf("EndIdle ended %d, want 1", n)
		}
		got, err := e.db.GetConversation(e.ctx, e.ws.ID, first.ID)
		must(t, err)
		if got.Status != sb.ConversationEnded || got.EndedAt == nil || !got.LastActivityAt.Equal(first.LastActivityAt) {
			t.Fatalf("after the timeout: %+v", got)
		}
		e.hook(e.p, 2, 42, "hello again")
		e.run()
		convs := e.conversations(42)
		if len(convs) != 2 || convs[0].ID == first.ID || convs[0].Status != sb.ConversationActive {
			t.Fatalf("conversations: %+v", convs)
		}

		// Without a sweep: the message itself ends the idle conversation.
		e.clock.Advance(25 * time.Hour)
		e.hook(e.p, 3, 42, "are you there")
		e.run()
		convs = e.conversations(42)
		if len(convs) != 3 || convs[1].Status != sb.ConversationEnded || convs[0].Status != sb.ConversationActive {
			t.Fatalf("conversations: %v %v %v", convs[0].Status, convs[1].Status, convs[2].Status)
		}
		want := []string{"conversation.started", "message.received", "message.sent",
			"conversation.updated", "conversation.ended",
			"conversation.started", "message.received", "message.sent",
			"conversation.updated", "conversation.ended",
			"conversation.started", "message.received", "message.sent"}
		equal(t, "events", e.events(), want)
	})
}

// TestSendRetriesHonourRetryAfter: a 429 with retry_after is retried no
// sooner than asked; a 5xx on the schedule; then the message is sent once.
func TestSendRetriesHonourRetryAfter(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		e.tg.SetReply(func(c telegramtest.Call, n int) telegramtest.Reply {
			switch {
			case c.Method != "sendMessage":
			case n == 1:
				return telegramtest.Error429(30)
			case n == 2:
				return telegramtest.Error500
			}
			return telegramtest.Reply{}
		})
		e.hook(e.p, 1, 42, "hello")
		e.run()
		if got := len(e.tg.Calls("sendMessage")); got != 1 {
			t.Fatalf("%d calls, want 1", got)
		}
		e.clock.Advance(29 * time.Second)
		e.run()
		if got := len(e.tg.Calls("sendMessage")); got != 1 {
			t.Fatal("retried before retry_after")
		}
		e.clock.Advance(time.Second)
		e.run() // the 500
		e.clock.Advance(pipeline.DefaultSendRetry[1] - time.Millisecond)
		e.run()
		if got := len(e.tg.Calls("sendMessage")); got != 2 {
			t.Fatalf("%d calls before the second delay passed, want 2", got)
		}
		e.clock.Advance(time.Millisecond)
		e.run()
		if got := len(e.tg.Calls("sendMessage")); got != 3 {
			t.Fatalf("%d calls, want 3", got)
		}
		msgs := e.messages(e.conversations(42)[0].ID)
		if msgs[1].Status != sb.MessageSent {
			t.Fatalf("reply: %+v", msgs[1])
		}
		e.noJobsLeft()
	})
}

// TestPlatformDownForever: a platform that answers 500 forever ends in
// message.failed with the platform's error after the schedule, and the
// queue is empty; a refusal (403) fails at once.
func TestPlatformDownForever(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		e.tg.SetReply(func(c telegramtest.Call, n int) telegramtest.Reply {
			if c.ChatID() == "43" {
				return telegramtest.Error403Blocked
			}
			return telegramtest.Error500
		})
		e.hook(e.p, 1, 42, "hello")
		e.hook(e.p, 2, 43, "hello")
		e.run()
		for range 100 {
			e.clock.Advance(time.Hour)
			if e.run() == 0 {
				break
			}
		}
		calls := map[string]int{}
		for _, c := range e.tg.Calls("sendMessage") {
			calls[c.ChatID()]++
		}
		if calls["42"] != pipeline.DefaultSendRetry.Attempts() || calls["43"] != 1 {
			t.Fatalf("calls per chat: %v, want %d and 1", calls, pipeline.DefaultSendRetry.Attempts())
		}
		for user, want := range map[int64]string{42: "platform answered 500: Internal Server Error", 43: "platform answered 403: Forbidden: bot was blocked by the user"} {
			msgs := e.messages(e.conversations(user)[0].ID)
			if m := msgs[1]; m.Status != sb.MessageFailed || m.Error == nil || *m.Error != want {
				t.Fatalf("user %d reply: status %s error %v, want %q", user, m.Status, m.Error, want)
			}
		}
		failed := 0
		for _, ev := range e.events() {
			if ev == sb.EventMessageFailed {
				failed++
			}
		}
		if failed != 2 {
			t.Fatalf("%d message.failed events, want 2", failed)
		}
		e.noJobsLeft()
	})
}

// TestRepliesInOrder: several messages of one conversation, run by the
// background runner, are answered in their order.
func TestRepliesInOrder(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		e.p.Start(e.ctx)
		texts := []string{"hello", "where is my order", "good morning", "track my parcel", "xyzzy"}
		for i, text := range texts {
			e.hook(e.p, int64(100+i), 42, text)
		}
		calls := e.tg.Wait("sendMessage", len(texts), 30*time.Second)
		want := []string{"Hello! How can I help?", "Your order is on its way.", "Hello! How can I help?", "Your order is on its way.", "Sorry, I did not get that."}
		got := make([]string, len(calls))
		for i, c := range calls {
			got[i] = c.Text()
		}
		equal(t, "replies", got, want)
	})
}

// TestManyUsersAtOnce: concurrent hooks for many users (grouped into
// shared transactions) each store one message and get one reply.
func TestManyUsersAtOnce(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		e.p.Start(e.ctx)
		const users, each = 20, 5
		var wg sync.WaitGroup
		for u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					e.hook(e.p, int64(u*100+i), int64(1000+u), "hello")
				}
			}()
		}
		wg.Wait()
		calls := e.tg.Wait("sendMessage", users*each, 60*time.Second)
		per := map[string]int{}
		for _, c := range calls {
			per[c.ChatID()]++
		}
		if len(calls) != users*each || len(per) != users {
			t.Fatalf("%d replies to %d chats, want %d to %d", len(calls), len(per), users*each, users)
		}
		for u := range users {
			if convs := e.conversations(int64(1000 + u)); len(convs) != 1 {
				t.Fatalf("user %d has %d conversations", u, len(convs))
			}
		}
	})
}

// TestOneNewUserAtOnce: concurrent hooks from one user never seen before,
// taken by two processes, make one contact with one conversation: the first
// transaction creates the contact and the others wait for it, then take
// turns holding it.
func TestOneNewUserAtOnce(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		a, b := e.p, e.pipeline()
		a.Start(e.ctx)
		b.Start(e.ctx)
		const n = 16
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.hook([]*pipeline.Pipeline{a, b}[i%2], int64(i+1), 4242, "hello")
			}()
		}
		wg.Wait()
		if calls := e.tg.Wait("sendMessage", n, 60*time.Second); len(calls) != n {
			t.Fatalf("%d replies, want %d", len(calls), n)
		}
		if convs := e.conversations(4242); len(convs) != 1 {
			t.Fatalf("%d conversations, want 1", len(convs))
		}
	})
}

// TestStatusReceipts: delivery receipts move an outbound message forward,
// never back, with their events.
func TestStatusReceipts(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	e.hook(e.p, 1, 42, "hello")
	e.run()
	reply := e.messages(e.conversations(42)[0].ID)[1]
	ch, err := e.db.GetChannelByID(e.ctx, e.ch.ID)
	must(t, err)
	for _, st := range []string{sb.MessageRead, sb.MessageDelivered, sb.MessageRead} {
		_, err := e.p.Ingest(e.ctx, ch, &sb.HookResult{Statuses: []sb.StatusUpdate{{ExternalID: *reply.ExternalID, Status: st}}})
		must(t, err)
	}
	_, err = e.p.Ingest(e.ctx, ch, &sb.HookResult{Statuses: []sb.StatusUpdate{{ExternalID: "unknown", Status: sb.MessageRead}}})
	must(t, err)
	got, err := e.db.GetMessage(e.ctx, e.ws.ID, reply.ConversationID, reply.ID)
	must(t, err)
	if got.Status != sb.MessageRead {
		t.Fatalf("status %s", got.Status)
	}
	equal(t, "events", e.events(), []string{"conversation.started", "message.received", "message.sent", "message.read"})
}

// TestDisconnectedChannel: nothing is sent through a disconnected channel
// (its hook refuses inbound requests; see httpapi): a reply queued before
// it was disconnected fails.
func TestDisconnectedChannel(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	e.hook(e.p, 1, 42, "hello")
	e.p.RunPending(e.ctx, sb.JobBotTurn)
	e.ch.Status = sb.ChannelDisconnected
	must(t, e.db.UpdateChannel(e.ctx, e.ch))
	e.p.Forget(e.ch.ID) // as the API does when it changes a channel
	e.run()
	if len(e.sent()) != 0 {
		t.Fatal("sent through a disconnected channel")
	}
	reply := e.messages(e.conversations(42)[0].ID)[1]
	if reply.Status != sb.MessageFailed || !strings.Contains(*reply.Error, "disconnected") {
		t.Fatalf("reply: %+v", reply)
	}
}

func TestBotAttachedLater(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	e.ch.BotID = nil
	must(t, e.db.UpdateChannel(e.ctx, e.ch))
	e.hook(e.p, 1, 42, "hello")
	if n := e.run(); n != 0 {
		t.Fatalf("ran %d jobs without a bot", n)
	}
	e.ch.BotID = &e.bot.ID
	must(t, e.db.UpdateChannel(e.ctx, e.ch))
	e.p.Forget(e.ch.ID)
	e.hook(e.p, 2, 42, "hello")
	e.run()
	equal(t, "sent", e.sent(), []string{"Hello! How can I help?"})
}

// TestMetrics: what the pipeline did is counted.
func TestMetrics(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.p.Collectors()...)
	e.hook(e.p, 1, 42, "hello")
	e.hook(e.p, 1, 42, "hello")
	e.run()
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"switchboard_inbound_messages_total", map[string]string{"channel_type": "telegram", "result": "stored"}, 1},
		{"switchboard_inbound_messages_total", map[string]string{"channel_type": "telegram", "result": "duplicate"}, 1},
		{"switchboard_sends_total", map[string]string{"channel_type": "telegram", "outcome": "sent"}, 1},
		{"switchboard_bot_turns_total", map[string]string{"engine": "builtin", "outcome": "answered"}, 1},
	} {
		if got := metricValue(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

// metricValue reads one counter of a registry.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	must(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
