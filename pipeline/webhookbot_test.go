package pipeline_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// botService is a customer's bot service: it checks the signature of each
// call and answers with answer(call number, body).
type botService struct {
	t      *testing.T
	srv    *httptest.Server
	key    []byte
	mu     sync.Mutex
	bodies []map[string]any
	heads  []http.Header
}

func newBotService(t *testing.T, secret string, answer func(n int, w http.ResponseWriter)) *botService {
	key, err := signature.Key(secret)
	must(t, err)
	s := &botService{t: t, key: key}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		if err := signature.Verify(key, r.Header, raw, time.Now(), signature.DefaultTolerance); err != nil {
			t.Errorf("the bot call is not signed with the bot's secret: %v", err)
		}
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("bot call body: %v", err)
		}
		s.mu.Lock()
		s.bodies = append(s.bodies, body)
		s.heads = append(s.heads, r.Header.Clone())
		n := len(s.bodies)
		s.mu.Unlock()
		answer(n, w)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *botService) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

// useWebhookBot attaches a webhook bot calling the service to the channel.
func (e *env) useWebhookBot(url, secret string) *sb.Bot {
	b := e.newBot(sb.EngineWebhook, `{"url":"`+url+`"}`, map[string]string{"secret": secret})
	e.ch.BotID = &b.ID
	must(e.t, e.db.UpdateChannel(e.ctx, e.ch))
	return b
}

func TestWebhookBotReplies(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		secret := signature.NewSecret()
		svc := newBotService(t, secret, func(n int, w http.ResponseWriter) {
			io.WriteString(w, `{"replies":[{"text":"One."},{"text":"Two."}],"extra":"ignored"}`)
		})
		b := e.useWebhookBot(svc.srv.URL, secret)
		e.hook(e.p, 1, 42, "hello")
		e.run()
		equal(t, "sent", e.sent(), []string{"One.", "Two."})
		body, head := svc.bodies[0], svc.heads[0]
		msg := body["message"].(map[string]any)
		conv := body["conversation"].(map[string]any)
		if body["bot_id"] != b.ID || msg["text"] != "hello" || conv["status"] != "active" ||
			body["contact"].(map[string]any)["external_id"] != "42" || body["attempt"] != 1.0 {
			t.Fatalf("bot call body: %v", body)
		}
		if head.Get("webhook-id") != msg["id"] || head.Get("X-Idempotency-Key") != msg["id"] || head.Get("X-Attempt") != "1" ||
			!strings.HasPrefix(head.Get("User-Agent"), "Switchboard/") || !strings.HasPrefix(head.Get("X-Signature"), "sha256=") {
			t.Fatalf("bot call headers: %v", head)
		}
	})
}

// TestWebhookBotDeferred: a 202 means the service answers later, through
// the API (QueueMessage is what POST /conversations/{id}/messages does).
func TestWebhookBotDeferred(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	secret := signature.NewSecret()
	svc := newBotService(t, secret, func(n int, w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) })
	e.useWebhookBot(svc.srv.URL, secret)
	e.hook(e.p, 1, 42, "hello")
	e.run()
	if len(e.sent()) != 0 || svc.calls() != 1 {
		t.Fatalf("sent %v after a 202", e.sent())
	}
	conv := e.conversations(42)[0]
	must(t, e.db.Tx(e.ctx, func(q sb.Queries) error {
		_, err := e.p.QueueMessage(e.ctx, q, pipeline.Outgoing{Conversation: conv, Sender: sb.SenderBot, Text: "Later answer."})
		return err
	}))
	e.run()
	equal(t, "sent", e.sent(), []string{"Later answer."})
}

// TestWebhookBotHandoff: the service can hand the conversation off.
func TestWebhookBotHandoff(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	secret := signature.NewSecret()
	svc := newBotService(t, secret, func(n int, w http.ResponseWriter) {
		io.WriteString(w, `{"replies":[{"text":"A person will answer."}],"handoff":true}`)
	})
	e.useWebhookBot(svc.srv.URL, secret)
	e.hook(e.p, 1, 42, "hello")
	e.run()
	e.hook(e.p, 2, 42, "anyone?")
	e.run()
	if svc.calls() != 1 || e.conversations(42)[0].Status != sb.ConversationHandoff {
		t.Fatalf("calls %d, status %s", svc.calls(), e.conversations(42)[0].Status)
	}
	equal(t, "sent", e.sent(), []string{"A person will answer."})
}

// TestWebhookBotDown: a bot service that fails is retried on the bot
// schedule (honouring Retry-After) and then the turn ends with bot.error;
// the inbound message is kept. A 200 with a body of the wrong shape fails
// at once.
func TestWebhookBotDown(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		secret := signature.NewSecret()
		svc := newBotService(t, secret, func(n int, w http.ResponseWriter) {
			if n == 1 {
				w.Header().Set("Retry-After", "120")
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "maintenance")
		})
		e.useWebhookBot(svc.srv.URL, secret)
		e.hook(e.p, 1, 42, "hello")
		e.run()
		e.clock.Advance(119 * time.Second)
		e.run()
		if svc.calls() != 1 {
			t.Fatalf("%d calls before Retry-After passed", svc.calls())
		}
		for range 50 {
			e.clock.Advance(time.Hour)
			if e.run() == 0 {
				break
			}
		}
		if svc.calls() != pipeline.DefaultBotRetry.Attempts() {
			t.Fatalf("%d calls, want %d", svc.calls(), pipeline.DefaultBotRetry.Attempts())
		}
		equal(t, "events", e.events(), []string{"conversation.started", "message.received", "bot.error"})
		ev, err := e.db.ListEvents(e.ctx, e.ws.ID, sb.EventFilter{Type: sb.EventBotError}, sb.Page{Limit: 1})
		must(t, err)
		var data struct {
			Bot   sb.Bot
			Error string
		}
		must(t, json.Unmarshal(ev[0].Data, &data))
		if !strings.Contains(data.Error, "answered 503: maintenance") || data.Bot.ID != *e.ch.BotID {
			t.Fatalf("bot.error data: %s", ev[0].Data)
		}
		if len(e.messages(e.conversations(42)[0].ID)) != 1 {
			t.Fatal("the inbound message must be kept")
		}
		e.noJobsLeft()
	})
}

func TestWebhookBotBadAnswer(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	secret := signature.NewSecret()
	svc := newBotService(t, secret, func(n int, w http.ResponseWriter) { io.WriteString(w, `{"replies":"nope"}`) })
	e.useWebhookBot(svc.srv.URL, secret)
	e.hook(e.p, 1, 42, "hello")
	e.run()
	if svc.calls() != 1 {
		t.Fatalf("%d calls", svc.calls())
	}
	equal(t, "events", e.events(), []string{"conversation.started", "message.received", "bot.error"})
}
