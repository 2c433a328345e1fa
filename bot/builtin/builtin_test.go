package builtin

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

const config = `{"intents":[
	{"name":"greet","examples":["hello","hi there","good morning"],"responses":["Hello!","Hi!","Welcome!"]},
	{"name":"order","examples":["where is my order","track my parcel"],"responses":["On its way."]},
	{"name":"hours","examples":["when are you open","opening hours"],"responses":["9 to 5."]},
	{"name":"human","examples":["talk to a human","I want a person"]}],
	"fallback":"Sorry?","handoff_intent":"human"}`

func parse(t *testing.T, raw string) *Config {
	t.Helper()
	out, _, err := New().ParseConfig(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func TestMatch(t *testing.T) {
	cfg := parse(t, config)
	for _, tc := range []struct{ text, want string }{
		{"hello", "greet"},
		{"HELLO!!!", "greet"},
		{"Hello there, anyone?", "greet"},
		{"helo", "greet"}, // a typo
		{"Where is my order #1042?", "order"},
		{"where's my ordr", "order"}, // typo and contraction
		{"could you track my parcel please", "order"},
		{"What are your opening hours?", "hours"},
		{"I want to talk to a human", "human"},
		{"the weather in Paris", ""},
		{"", ""},
		{"?!", ""},
	} {
		got, score := Match(cfg, tc.text)
		if got != tc.want {
			t.Errorf("Match(%q) = %q (score %.2f), want %q", tc.text, got, score, tc.want)
		}
	}
}

func TestSimilarity(t *testing.T) {
	a, b := analyse("Good  MORNING, Ada!"), analyse("good morning ada")
	if a.norm != "good morning ada" || similarity(&a, &b) != 1 {
		t.Fatalf("normalised %q, similarity %v", a.norm, similarity(&a, &b))
	}
	u, v := analyse("Grüße aus Köln"), analyse("grüße aus köln")
	if similarity(&u, &v) != 1 {
		t.Fatal("letters of any script are kept and lower-cased")
	}
	x, y := analyse("abc"), analyse("xyz")
	if s := similarity(&x, &y); s != 0 {
		t.Fatalf("unrelated texts score %v", s)
	}
}

func reply(t *testing.T, e *Engine, b *sb.Bot, msgID, text string) *sb.BotAnswer {
	t.Helper()
	a, err := e.Reply(context.Background(), &sb.BotTurn{Bot: b, Message: &sb.Message{ID: msgID, Text: text}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestReply(t *testing.T) {
	cfg, _, _ := New().ParseConfig(json.RawMessage(config))
	b := &sb.Bot{ID: "bot_1", Engine: sb.EngineBuiltin, Config: cfg, UpdatedAt: time.Unix(1, 0)}
	e := New()

	a := reply(t, e, b, "msg_1", "hi there")
	if a.Intent != "greet" || a.Handoff || len(a.Replies) != 1 {
		t.Fatalf("greet: %+v", a)
	}
	if again := reply(t, e, b, "msg_1", "hi there"); again.Replies[0] != a.Replies[0] {
		t.Fatal("a retried turn must give the same answer")
	}
	seen := map[string]bool{}
	for i := range 30 {
		seen[reply(t, e, b, "msg_"+string(rune('a'+i)), "hello").Replies[0]] = true
	}
	if len(seen) < 2 {
		t.Fatalf("responses are not varied across messages: %v", seen)
	}

	if a := reply(t, e, b, "msg_2", "the weather"); a.Intent != "" || len(a.Replies) != 1 || a.Replies[0] != "Sorry?" {
		t.Fatalf("fallback: %+v", a)
	}
	if a := reply(t, e, b, "msg_3", "I want a person"); !a.Handoff || a.Intent != "human" || len(a.Replies) != 0 {
		t.Fatalf("handoff: %+v", a)
	}

	// A new configuration is picked up (UpdatedAt changed).
	b2 := *b
	b2.Config, _, _ = New().ParseConfig(json.RawMessage(`{"intents":[],"fallback":""}`))
	b2.UpdatedAt = time.Unix(2, 0)
	if a := reply(t, e, &b2, "msg_4", "hello"); len(a.Replies) != 0 {
		t.Fatalf("empty bot with no fallback answers nothing: %+v", a)
	}
}

func BenchmarkReply(b *testing.B) {
	cfg, _, _ := New().ParseConfig(json.RawMessage(config))
	bot := &sb.Bot{ID: "bot_1", Engine: sb.EngineBuiltin, Config: cfg}
	e := New()
	turn := &sb.BotTurn{Bot: bot, Message: &sb.Message{ID: "msg_1", Text: "could you track my parcel please"}}
	for b.Loop() {
		if _, err := e.Reply(context.Background(), turn); err != nil {
			b.Fatal(err)
		}
	}
}
