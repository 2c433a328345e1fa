package pipeline_test

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// The tests of this file kill a "process" (a Pipeline) between two steps,
// or in the middle of one, and check that another process sharing the
// database finishes the work: each step runs to completion once, and no
// reply reaches the contact twice.

// afterLease moves the clock past the lease of every held job.
func (e *env) afterLease() { e.clock.Advance(e.cfg.Lease + time.Second) }

// TestCrashResumeAfterIngest: the process dies right after the hook's
// transaction committed, before the bot turn. Another process takes the
// turn over once the lease expires, and the contact gets one reply.
func TestCrashResumeAfterIngest(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		a := e.p
		e.hook(a, 1, 42, "hello")
		a.Crash()
		b := e.pipeline()
		if n, _ := b.RunDue(e.ctx); n != 0 {
			t.Fatal("the dead process's job was taken before its lease expired")
		}
		e.afterLease()
		if n, _ := b.RunDue(e.ctx); n != 2 {
			t.Fatalf("ran %d jobs, want 2", n)
		}
		equal(t, "sent", e.sent(), []string{"Hello! How can I help?"})
		equal(t, "events", e.events(), []string{"conversation.started", "message.received", "message.sent"})
		e.noJobsLeft()
	})
}

// TestCrashTakeOverAtStart: a process alone on its database (SQLite) takes
// over the jobs of the run that died as soon as it starts.
func TestCrashTakeOverAtStart(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	e.hook(e.p, 1, 42, "hello")
	e.p.Crash()
	e.cfg.SingleProcess = true
	b := e.pipeline()
	b.Start(e.ctx)
	e.tg.Wait("sendMessage", 1, 30*time.Second)
	must(t, b.Stop(e.ctx))
	equal(t, "sent", e.sent(), []string{"Hello! How can I help?"})
	e.noJobsLeft()
}

// TestCrashResumeAfterBotTurn: the process dies after the bot turn
// committed its reply, before sending it. Another process sends it once.
func TestCrashResumeAfterBotTurn(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		a := e.p
		e.hook(a, 1, 42, "hello")
		if n := a.RunPending(e.ctx, sb.JobBotTurn); n != 1 {
			t.Fatalf("ran %d bot turns", n)
		}
		if a.Pending() != 1 || len(e.sent()) != 0 {
			t.Fatal("the send should be waiting")
		}
		a.Crash()
		b := e.pipeline()
		if n, _ := b.RunDue(e.ctx); n != 1 { // the send was never claimed: due at once
			t.Fatalf("ran %d jobs, want the send", n)
		}
		equal(t, "sent", e.sent(), []string{"Hello! How can I help?"})
		equal(t, "events", e.events(), []string{"conversation.started", "message.received", "message.sent"})
		e.noJobsLeft()
	})
}

// TestCrashDuringSendNeverSendsTwice: the process dies while the platform
// is handling the send (it may or may not have delivered it). Telegram
// cannot drop a repeat, so by default (and with send_guarantee
// at_most_once) the process that takes over does not call it again: the
// message ends failed with an explicit error. When the "dead" process comes
// back to life, its lease is gone and it records nothing.
func TestCrashDuringSendNeverSendsTwice(t *testing.T) {
	for _, guarantee := range []string{"", sb.SendAtMostOnce} {
		t.Run("guarantee="+guarantee, func(t *testing.T) {
			pgtest.EachDatabase(t, func(t *testing.T, url string) {
				e := newEnv(t, url)
				if guarantee != "" {
					e.setConfig(e.ch, "send_guarantee", guarantee)
				}
				e.crashDuringSend()
				if calls := e.tg.Calls("sendMessage"); len(calls) != 1 {
					t.Fatalf("the platform was called %d times, want 1", len(calls))
				}
				reply := e.messages(e.conversations(42)[0].ID)[1]
				if reply.Status != sb.MessageFailed || reply.Error == nil || *reply.Error == "" {
					t.Fatalf("reply: %+v", reply)
				}
				equal(t, "events", e.events(), []string{"conversation.started", "message.received", "message.failed"})
				e.noJobsLeft()
			})
		})
	}
}

// TestCrashDuringSendAtLeastOnce: on a channel whose config chose
// send_guarantee at_least_once, the process that takes an interrupted send
// over sends it again (the contact may get it twice, never not at all),
// and the message ends sent, once.
func TestCrashDuringSendAtLeastOnce(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		e.setConfig(e.ch, "send_guarantee", sb.SendAtLeastOnce)
		e.crashDuringSend()
		equal(t, "sent", e.sent(), []string{"Hello! How can I help?", "Hello! How can I help?"})
		reply := e.messages(e.conversations(42)[0].ID)[1]
		if reply.Status != sb.MessageSent || reply.Error != nil {
			t.Fatalf("reply: %+v", reply)
		}
		equal(t, "events", e.events(), []string{"conversation.started", "message.received", "message.sent"})
		e.noJobsLeft()
	})
}

// setConfig sets one public setting of a channel, in the store.
func (e *env) setConfig(ch *sb.Channel, name, value string) {
	e.t.Helper()
	cfg := maps.Clone(ch.Config)
	cfg[name] = value
	ch.Config = cfg
	must(e.t, e.db.UpdateChannel(e.ctx, ch))
}

// crashDuringSend: a hello comes in on the Telegram channel; process e.p
// answers it and is stuck while the platform handles the reply until its
// lease expires; another process takes the send over; then e.p comes back
// and finishes what it was doing.
func (e *env) crashDuringSend() {
	e.t.Helper()
	arrived, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	e.tg.OnCall(func(c telegramtest.Call) {
		if c.Method == "sendMessage" && first.CompareAndSwap(false, true) { // only the first call is held
			close(arrived)
			<-release
		}
	})
	a := e.p
	e.hook(a, 1, 42, "hello")
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.RunDue(e.ctx)
	}()
	<-arrived // the platform has the message; process a is stuck
	e.afterLease()
	b := e.pipeline()
	if n, _ := b.RunDue(e.ctx); n != 1 {
		e.t.Fatalf("ran %d jobs, want the interrupted send", n)
	}
	close(release) // process a comes back
	<-done
}

// TestCrashDuringSendAPIChannelRetries: on the api channel, whose
// receivers drop repeats by webhook-id, an interrupted send is sent again
// with the same webhook-id, and the message ends sent.
func TestCrashDuringSendAPIChannelRetries(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		var mu sync.Mutex
		var ids []string
		arrived, release := make(chan struct{}), make(chan struct{})
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			ids = append(ids, r.Header.Get("webhook-id"))
			first := len(ids) == 1
			mu.Unlock()
			if first { // hold the first call: its caller "dies" meanwhile
				close(arrived)
				<-release
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		defer receiver.Close()
		secret := signature.NewSecret()
		ch := e.newChannel(sb.ChannelAPI, &e.bot.ID, map[string]any{"callback_url": receiver.URL}, map[string]string{"secret": secret})
		body := []byte(`{"message_id":"m-1","user_id":"u-1","text":"hello"}`)
		h := http.Header{}
		key, _ := signature.Key(secret)
		signature.SetHeaders(h, [][]byte{key}, "m-1", e.clock.Now(), body)
		a := e.p
		_, err := e.ingest(a, ch, body, h)
		must(t, err)
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.RunDue(e.ctx)
		}()
		<-arrived
		e.afterLease()
		b := e.pipeline()
		b.RunDue(e.ctx)
		close(release)
		<-done
		mu.Lock()
		defer mu.Unlock()
		if len(ids) != 2 || ids[0] != ids[1] {
			t.Fatalf("webhook-ids received: %v, want the same id twice", ids)
		}
		list, err := e.db.ListConversations(e.ctx, e.ws.ID, sb.ConversationFilter{ChannelID: ch.ID}, sb.Page{Limit: 1})
		must(t, err)
		reply := e.messages(list[0].ID)[1]
		if reply.Status != sb.MessageSent || reply.ID != ids[0] {
			t.Fatalf("reply: %+v", reply)
		}
		e.noJobsLeft()
	})
}

// TestCrashDuringBotCall: the process dies while the bot's own service is
// thinking. Another process asks again (same webhook-id, so the service can
// tell), and the one reply is sent once; the first process, coming back,
// finds its lease gone and queues nothing.
func TestCrashDuringBotCall(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		secret := signature.NewSecret()
		key, _ := signature.Key(secret)
		var mu sync.Mutex
		var ids []string
		arrived, release := make(chan struct{}), make(chan struct{})
		service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if err := signature.Verify(key, r.Header, body, time.Now(), signature.DefaultTolerance); err != nil {
				t.Errorf("bot call not signed: %v", err)
			}
			mu.Lock()
			ids = append(ids, r.Header.Get("webhook-id"))
			first := len(ids) == 1
			mu.Unlock()
			if first {
				close(arrived)
				<-release
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"replies":[{"text":"From the service."}]}`)
		}))
		defer service.Close()
		wb := e.newBot(sb.EngineWebhook, `{"url":"`+service.URL+`"}`, map[string]string{"secret": secret})
		e.ch.BotID = &wb.ID
		must(t, e.db.UpdateChannel(e.ctx, e.ch))

		a := e.p
		e.hook(a, 1, 42, "hello")
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.RunDue(e.ctx)
		}()
		<-arrived
		e.afterLease()
		b := e.pipeline()
		b.RunDue(e.ctx)
		close(release)
		<-done
		b.RunDue(e.ctx)
		equal(t, "sent", e.sent(), []string{"From the service."})
		if len(ids) != 2 || ids[0] != ids[1] {
			t.Fatalf("webhook-ids: %v", ids)
		}
		if msgs := e.messages(e.conversations(42)[0].ID); len(msgs) != 2 {
			t.Fatalf("%d messages, want the inbound one and one reply", len(msgs))
		}
		e.noJobsLeft()
	})
}

// TestStopGivesJobsBack: a process that stops cleanly gives back the jobs
// it holds and has not started, so that another takes them at once.
func TestStopGivesJobsBack(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		e.hook(e.p, 1, 42, "hello")
		ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
		defer cancel()
		must(t, e.p.Stop(ctx))
		b := e.pipeline()
		if n, _ := b.RunDue(e.ctx); n != 2 {
			t.Fatalf("ran %d jobs, want 2 without waiting for a lease", n)
		}
		equal(t, "sent", e.sent(), []string{"Hello! How can I help?"})
	})
}

// TestTwoProcesses: two pipelines on one database (several serve
// processes on PostgreSQL) receive the same updates, some twice, and
// answer each exactly once.
func TestTwoProcesses(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		a, b := e.p, e.pipeline()
		a.Start(e.ctx)
		b.Start(e.ctx)
		const updates = 40
		var wg sync.WaitGroup
		for i := range updates {
			for _, p := range []*pipeline.Pipeline{a, b} { // every update reaches both
				wg.Add(1)
				go func() {
					defer wg.Done()
					e.hook(p, int64(i), int64(100+i%5), "hello")
				}()
			}
		}
		wg.Wait()
		calls := e.tg.Wait("sendMessage", updates, 60*time.Second)
		if len(calls) != updates {
			t.Fatalf("%d replies to %d updates", len(calls), updates)
		}
		for u := range 5 {
			if convs := e.conversations(int64(100 + u)); len(convs) != 1 {
				t.Fatalf("user %d has %d conversations", u, len(convs))
			}
		}
		// Nothing more arrives: every job is done.
		deadline := time.Now().Add(30 * time.Second)
		for {
			next, err := e.db.NextJobDue(e.ctx, nil)
			must(t, err)
			if next.IsZero() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("jobs left over")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if got := len(e.tg.Calls("sendMessage")); got != updates {
			t.Fatalf("%d replies", got)
		}
	})
}
