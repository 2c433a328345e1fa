package switchboard

import (
	"errors"
	"testing"
)

func TestDecodeStrictNamesTheField(t *testing.T) {
	type inner struct {
		N int `json:"n"`
	}
	type body struct {
		Name  string   `json:"name"`
		Tags  []string `json:"tags"`
		Inner inner    `json:"inner"`
	}
	cases := []struct{ in, field, msg string }{
		{`{"name": 5}`, "name", "must be a string, not number"},
		{`{"tags": "x"}`, "tags", "must be an array, not string"},
		{`{"inner": {"n": "x"}}`, "inner.n", "must be an integer, not string"},
		{`{"extra": 1}`, "extra", "is not a known field"},
		{`{"name": `, "body", ""},
		{`[]`, "body", "must be an object"},
		{`{} {}`, "body", "must be a single JSON value"},
		{``, "body", ""},
	}
	for _, c := range cases {
		var b body
		err := DecodeStrict([]byte(c.in), &b, "")
		var e *Error
		if !errors.As(err, &e) || e.Code != EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != c.field {
			t.Errorf("%s: %v, want field %s", c.in, err, c.field)
			continue
		}
		if c.msg != "" && e.Fields[0].Message != c.msg {
			t.Errorf("%s: message %q, want %q", c.in, e.Fields[0].Message, c.msg)
		}
	}
	var b body
	if err := DecodeStrict([]byte(`{"name":"x"}`), &b, "config"); err != nil || b.Name != "x" {
		t.Fatalf("valid body: %v", err)
	}
	if err := DecodeStrict([]byte(`{"nope":1}`), &b, "config"); err == nil || err.(*Error).Fields[0].Field != "config.nope" {
		t.Fatalf("prefix: %v", err)
	}
}

func TestNewIDSortsByCreation(t *testing.T) {
	prev := NewID(PrefixEvent)
	for i := 0; i < 10000; i++ {
		id := NewID(PrefixEvent)
		if id <= prev || !HasPrefix(id, PrefixEvent) {
			t.Fatalf("%s after %s", id, prev)
		}
		prev = id
	}
}

func TestCanTransition(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{ConversationActive, ConversationHandoff, true},
		{ConversationHandoff, ConversationActive, true},
		{ConversationActive, ConversationEnded, true},
		{ConversationEnded, ConversationActive, false},
		{ConversationEnded, ConversationEnded, true},
		{ConversationActive, "paused", false},
	} {
		if CanTransition(c.from, c.to) != c.ok {
			t.Errorf("%s → %s: want %v", c.from, c.to, c.ok)
		}
	}
}

func TestMatchEventType(t *testing.T) {
	if !MatchEventType("message.*", "message.sent") || MatchEventType("message.*", "bot.error") ||
		!MatchEventType("*", "bot.error") || !MatchEventType("bot.error", "bot.error") || MatchEventType("bot", "bot.error") {
		t.Fatal("MatchEventType")
	}
	if !ValidEventFilter("webhook.*") || ValidEventFilter("nope.*") || ValidEventFilter("message") {
		t.Fatal("ValidEventFilter")
	}
}
