package builtin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

const config = `{"intents":[
	{"name":"greet","examples":["hello","hi there","good morning","hey"],"responses":["Hello!","Hi!","Welcome!"]},
	{"name":"order","examples":["where is my order","track my parcel","has my package shipped","when will my delivery arrive"],
	 "responses":["{{contact.name}}, your order {{knowledge.order.latest.id}} is {{knowledge.order.latest.status}}.","Your order is on its way."],
	 "action":{"integration_id":"int_1","action":"order_status","params":{"limit":1}}},
	{"name":"refund","examples":["I want a refund","can I get my money back","I'd like to return this and be refunded"],"responses":["Refunds take 5 days."]},
	{"name":"hours","examples":["when are you open","what are your opening hours","are you open on sunday"],"responses":["9 to 5."]},
	{"name":"human","examples":["talk to a human","I want a person","get me an agent"]}],
	"out_of_scope_examples":["what's the weather like","tell me a joke","who won the football match","book me a flight",
	 "what is the capital of France","play some music","how do I cook pasta","my dog is sick","recommend a film"],
	"fallback":"Sorry, {{contact.name}}?","handoff_intent":"human"}`

func parse(t *testing.T, raw string) json.RawMessage {
	t.Helper()
	out, _, err := New().ParseConfig(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// version is a trained version of a bot, served the way the pipeline
// does: its configuration, its number and its model read on demand.
type version struct {
	bot   *sb.Bot
	num   int
	model []byte
	reads atomic.Int32
}

func trained(t *testing.T, e *Engine, botID string, num int, raw string) *version {
	t.Helper()
	cfg := parse(t, raw)
	tm, err := e.Train(context.Background(), &sb.TrainInput{BotID: botID, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return &version{bot: &sb.Bot{ID: botID, Engine: sb.EngineBuiltin, Config: cfg}, num: num, model: tm.Model}
}

// filler fills {{contact.name}} and fails on anything else, as the
// template filler does for a fact it does not have.
func filler(name string) func(context.Context, string) (string, error) {
	return func(_ context.Context, s string) (string, error) {
		s = strings.ReplaceAll(s, "{{contact.name}}", name)
		if strings.Contains(s, "{{") {
			return "", sb.Invalid("template", "a placeholder cannot be filled")
		}
		return s, nil
	}
}

func (v *version) turn(msgID, text string) *sb.BotTurn {
	return &sb.BotTurn{
		Bot: v.bot, Version: v.num, Message: &sb.Message{ID: msgID, Text: text},
		Model: func(context.Context) ([]byte, error) { v.reads.Add(1); return v.model, nil },
		Fill:  filler("Ada"),
	}
}

func reply(t *testing.T, e *Engine, turn *sb.BotTurn) *sb.BotAnswer {
	t.Helper()
	a, err := e.Reply(context.Background(), turn)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestParseConfig(t *testing.T) {
	var c Config
	if err := json.Unmarshal(parse(t, `{"intents":[{"name":"a","examples":["hi"],"responses":["yo"]}]}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Language != "en" || len(c.Intents) != 1 {
		t.Fatalf("defaults: %+v", c)
	}
	for raw, field := range map[string]string{
		`{"intents":[{"name":"","examples":["hi"],"responses":["yo"]}]}`:                                                           "config.intents[0].name",
		`{"intents":[{"name":"a","examples":["hi"],"responses":["x"]},{"name":"a","examples":["yo"],"responses":["x"]}]}`:          "config.intents[1].name",
		`{"intents":[{"name":"a","examples":[],"responses":["yo"]}]}`:                                                              "config.intents[0].examples",
		`{"intents":[{"name":"a","examples":["?!"," "],"responses":["yo"]}]}`:                                                      "config.intents[0].examples",
		`{"intents":[{"name":"a","examples":["hi"]}]}`:                                                                             "config.intents[0].responses",
		`{"intents":[{"name":"a","examples":["hi"],"responses":["x"]}],"handoff_intent":"b"}`:                                      "config.handoff_intent",
		`{"intents":[{"name":"a","examples":["hi"],"responses":["x"],"action":{"action":"x"}}]}`:                                   "config.intents[0].action.integration_id",
		`{"intents":[{"name":"a","examples":["hi"],"responses":["x"],"action":{"integration_id":"int_1"}}]}`:                       "config.intents[0].action.action",
		`{"intents":[{"name":"a","examples":["hi"],"responses":["x"],"action":{"integration_id":"i","action":"x","params":[1]}}]}`: "config.intents[0].action.params",
		`{"intents":[{"name":"a","examples":["hi"],"responses":["ok","Hi {{contact.name"]}]}`:                                      "config.intents[0].responses[1]",
		`{"intents":[{"name":"a","examples":["hi"],"responses":["Hi {{contact.shoe_size}}"]}]}`:                                    "config.intents[0].responses[0]",
		`{"intents":[],"fallback":"Sorry {{ nope"}`:                                                                                "config.fallback",
		`{"intents":[],"language":"e n"}`:                                                                                          "config.language",
		`{"intents":[],"language":"-en"}`:                                                                                          "config.language",
		`{"intents":[],"out_of_scope_examples":"x"}`:                                                                               "config.out_of_scope_examples",
	} {
		_, _, err := New().ParseConfig(json.RawMessage(raw))
		var se *sb.Error
		if !errors.As(err, &se) || se.Code != sb.EInvalid || len(se.Fields) == 0 || se.Fields[0].Field != field {
			t.Errorf("%s: %v, want a field error on %s", raw, err, field)
		}
	}
	for _, lang := range []string{"de", "pt-BR", "zh_Hant", "ja"} {
		parse(t, `{"intents":[],"language":"`+lang+`"}`)
	}
}

func TestTrain(t *testing.T) {
	e := New()
	cfg := parse(t, config)
	tm, err := e.Train(context.Background(), &sb.TrainInput{BotID: "bot_1", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var m Metrics
	if err := json.Unmarshal(tm.Metrics, &m); err != nil {
		t.Fatal(err)
	}
	if m.Intents != 5 || m.Examples != 17 || m.OutOfScopeExamples != 9 || m.CVFolds != 3 ||
		m.CVAccuracy <= 0 || m.CVAccuracy > 1 || m.TrainingMS < 0 || m.ModelBytes != len(tm.Model) || m.Threshold <= 0 {
		t.Fatalf("metrics %s", tm.Metrics)
	}
	for _, k := range []string{"intents", "examples", "training_ms", "cv_accuracy"} {
		if !strings.Contains(string(tm.Metrics), `"`+k+`":`) {
			t.Fatalf("metrics %s lack %s", tm.Metrics, k)
		}
	}
	again, _ := e.Train(context.Background(), &sb.TrainInput{BotID: "bot_1", Config: cfg})
	if string(again.Model) != string(tm.Model) {
		t.Fatal("training the same configuration twice gave two models")
	}

	empty, err := e.Train(context.Background(), &sb.TrainInput{BotID: "bot_2", Config: parse(t, `{"intents":[],"fallback":"Sorry?"}`)})
	if err != nil || empty.Model != nil || !strings.Contains(string(empty.Metrics), `"intents":0`) {
		t.Fatalf("no intents: %+v, %v", empty, err)
	}
	turn := &sb.BotTurn{Bot: &sb.Bot{ID: "bot_2", Config: parse(t, `{"intents":[],"fallback":"Sorry?"}`)}, Version: 1,
		Message: &sb.Message{ID: "m", Text: "hello"}, Fill: filler("Ada")}
	if a := reply(t, e, turn); !a.OutOfScope || len(a.Replies) != 1 || a.Replies[0] != "Sorry?" {
		t.Fatalf("a bot without intents: %+v", a)
	}
	if _, err := e.Train(context.Background(), &sb.TrainInput{BotID: "bot_3", Config: json.RawMessage(`{"intents":7}`)}); sb.ErrorCode(err) != sb.EInvalid {
		t.Fatalf("a configuration that does not decode: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Train(ctx, &sb.TrainInput{BotID: "bot_1", Config: cfg}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestReply(t *testing.T) {
	e := New()
	v := trained(t, e, "bot_1", 1, config)

	a := reply(t, e, v.turn("msg_1", "hi there"))
	if a.Intent != "greet" || a.Handoff || a.OutOfScope || len(a.Replies) != 1 || a.Confidence <= 0 || a.Ranking[0].Name != "greet" {
		t.Fatalf("greet: %+v", a)
	}
	if again := reply(t, e, v.turn("msg_1", "hi there")); again.Replies[0] != a.Replies[0] {
		t.Fatal("a retried turn must give the same answer")
	}
	seen := map[string]bool{}
	for i := range 30 {
		seen[reply(t, e, v.turn(fmt.Sprint("msg_", i), "hello")).Replies[0]] = true
	}
	if len(seen) < 2 {
		t.Fatalf("responses are not varied across messages: %v", seen)
	}

	// Phrasings never shown.
	for text, want := range map[string]string{
		"refund please":                "refund",
		"where's my parcel?":           "order",
		"are you open tomorrow":        "hours",
		"I'd like to speak to a human": "human",
	} {
		if a := reply(t, e, v.turn("msg_p", text)); a.Intent != want {
			t.Errorf("%q: %+v, want %s", text, a, want)
		}
	}

	// Out of scope: the fallback, filled.
	for _, text := range []string{"where is my cat", "I want a pizza", "the weather in Paris"} {
		a := reply(t, e, v.turn("msg_2", text))
		if a.Intent != "" || !a.OutOfScope || len(a.Replies) != 1 || a.Replies[0] != "Sorry, Ada?" || len(a.Ranking) == 0 {
			t.Errorf("%q: %+v, want the fallback", text, a)
		}
	}

	// The handoff intent has no responses.
	if a := reply(t, e, v.turn("msg_3", "I want a person")); !a.Handoff || a.Intent != "human" || len(a.Replies) != 0 {
		t.Fatalf("handoff: %+v", a)
	}

	// The intent's action comes with the answer.
	a = reply(t, e, v.turn("msg_4", "where is my order"))
	if a.Intent != "order" || a.Action == nil || a.Action.IntegrationID != "int_1" || a.Action.Action != "order_status" || string(a.Action.Params) != `{"limit":1}` {
		t.Fatalf("action: %+v", a)
	}
	if reply(t, e, v.turn("msg_5", "hello")).Action != nil {
		t.Fatal("an intent without an action returns one")
	}

	if n := v.reads.Load(); n != 1 {
		t.Fatalf("the model was read %d times, want once per process", n)
	}
}

func TestReplyFillsResponses(t *testing.T) {
	e := New()
	v := trained(t, e, "bot_1", 1, config)
	// The first response of "order" needs order facts the filler does
	// not have: every message gets the second, whatever it picks first.
	for i := range 20 {
		a := reply(t, e, v.turn(fmt.Sprint("msg_", i), "track my parcel"))
		if len(a.Replies) != 1 || a.Replies[0] != "Your order is on its way." {
			t.Fatalf("%+v", a)
		}
	}
	// All responses unfillable: the fallback; the fallback unfillable:
	// nothing, never a raw placeholder.
	v2 := trained(t, e, "bot_2", 1, `{"intents":[{"name":"a","examples":["status please"],"responses":["{{knowledge.x}}"]},
		{"name":"b","examples":["hello"],"responses":["hi"]}],"fallback":"{{knowledge.y}}"}`)
	turn := v2.turn("msg_1", "status please")
	a := reply(t, e, turn)
	if len(a.Replies) != 0 || a.Intent != "a" {
		t.Fatalf("unfillable: %+v", a)
	}
	// A filler that fails for another reason fails the turn, to be
	// retried.
	turn.Fill = func(context.Context, string) (string, error) { return "", errors.New("database is down") }
	_, err := e.Reply(context.Background(), turn)
	var re *sb.ReplyError
	if !errors.As(err, &re) || !re.Retryable {
		t.Fatalf("filler failure: %v", err)
	}
}

func TestModelCachePerVersion(t *testing.T) {
	e := New()
	v1 := trained(t, e, "bot_1", 1, config)
	v2 := trained(t, e, "bot_1", 2, `{"intents":[{"name":"only","examples":["hello"],"responses":["v2"]}]}`)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() { defer wg.Done(); reply(t, e, v1.turn(fmt.Sprint("m", i), "hello")) }()
		go func() { defer wg.Done(); reply(t, e, v2.turn(fmt.Sprint("m", i), "hello")) }()
	}
	wg.Wait()
	if v1.reads.Load() != 1 || v2.reads.Load() != 1 {
		t.Fatalf("reads: v1 %d, v2 %d", v1.reads.Load(), v2.reads.Load())
	}
	if a := reply(t, e, v2.turn("m", "hello")); a.Replies[0] != "v2" {
		t.Fatalf("version 2 answers %+v", a)
	}
	if a := reply(t, e, v1.turn("m", "hello")); a.Intent != "greet" {
		t.Fatalf("version 1 answers %+v", a)
	}

	// A model that cannot be read is tried again on the next turn.
	bad := v1.turn("m", "hello")
	bad.Version = 3
	bad.Model = func(context.Context) ([]byte, error) { return nil, errors.New("unreachable") }
	if _, err := e.Reply(context.Background(), bad); err == nil {
		t.Fatal("an unreadable model answers")
	}
	bad.Model = func(context.Context) ([]byte, error) { return []byte("garbage"), nil }
	if _, err := e.Reply(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "not a model") {
		t.Fatalf("a corrupt model: %v", err)
	}

	// The cache is bounded.
	for i := range maxCached + 20 {
		v := &version{bot: v1.bot, num: 100 + i, model: v1.model}
		reply(t, e, v.turn("m", "hello"))
	}
	e.mu.Lock()
	n := e.lru.Len()
	e.mu.Unlock()
	if n > maxCached {
		t.Fatalf("%d models cached", n)
	}
}

func TestReplyWithoutModel(t *testing.T) {
	// A version without a model (trained before models existed) is
	// trained once in the process, by its configuration.
	e := New()
	b := &sb.Bot{ID: "bot_1", Engine: sb.EngineBuiltin, Config: parse(t, config)}
	turn := &sb.BotTurn{Bot: b, Message: &sb.Message{ID: "m1", Text: "refund please"}, Fill: filler("Ada")}
	if a := reply(t, e, turn); a.Intent != "refund" {
		t.Fatalf("%+v", a)
	}
	b2 := *b
	b2.Config = parse(t, `{"intents":[],"fallback":""}`)
	turn.Bot = &b2
	if a := reply(t, e, turn); len(a.Replies) != 0 || !a.OutOfScope {
		t.Fatalf("empty bot with no fallback answers nothing: %+v", a)
	}
}

func BenchmarkReply(b *testing.B) {
	e := New()
	cfg, _, _ := e.ParseConfig(json.RawMessage(config))
	tm, err := e.Train(context.Background(), &sb.TrainInput{BotID: "bot_1", Config: cfg})
	if err != nil {
		b.Fatal(err)
	}
	turn := &sb.BotTurn{
		Bot: &sb.Bot{ID: "bot_1", Engine: sb.EngineBuiltin, Config: cfg}, Version: 1,
		Message: &sb.Message{ID: "msg_1", Text: "could you track my parcel please"},
		Model:   func(context.Context) ([]byte, error) { return tm.Model, nil },
		Fill:    filler("Ada"),
	}
	for b.Loop() {
		if _, err := e.Reply(context.Background(), turn); err != nil {
			b.Fatal(err)
		}
	}
}
