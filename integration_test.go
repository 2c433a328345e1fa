package switchboard

import (
	"encoding/json"
	"testing"
	"time"
)

var testSpec = &IntegrationSpec{Type: "shop", Fields: []IntegrationField{
	{Name: "token", Secret: true, Required: true},
	{Name: "messages", Kind: FieldObject, Keys: []string{"shipped"}},
	{Name: "headers", Kind: FieldObject, Secret: true},
	{Name: "timeout", Kind: FieldDuration, Max: time.Minute},
	{Name: "mode", OneOf: []string{"a", "b"}},
}}

func TestIntegrationParseConfig(t *testing.T) {
	config, secrets, err := testSpec.ParseConfig(json.RawMessage(`{"token":"t","messages":{"shipped":"On its way: {{knowledge.order.latest.tracking}}"},
		"headers":{"X-Key":"k"},"timeout":"10s","api_base_url":"https://shop.example.com"}`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := &Integration{Config: config, Secrets: secrets}
	if in.Setting("token") != "t" || in.Object("headers")["X-Key"] != "k" || in.Object("messages")["shipped"] == "" ||
		config["token"] != nil || config["headers"] != nil || in.APIBaseURL("x") != "https://shop.example.com" {
		t.Fatalf("config %v secrets %v", config, secrets)
	}
	// A patch: null removes, an object replaces, the rest stays.
	config, secrets, err = testSpec.ParseConfig(json.RawMessage(`{"timeout":null,"headers":{"X-Other":"o"}}`), config, secrets)
	in = &Integration{Config: config, Secrets: secrets}
	if err != nil || config["timeout"] != nil || in.Object("headers")["X-Key"] != "" || in.Object("headers")["X-Other"] != "o" || in.Setting("token") != "t" {
		t.Fatalf("patched: %v %v %v", config, secrets, err)
	}
	for raw, field := range map[string]string{
		`{}`:                                     "config.token",
		`{"token":5}`:                            "config.token",
		`{"token":"t","messages":{"lost":"x"}}`:  "config.messages.lost",
		`{"token":"t","messages":"x"}`:           "config.messages",
		`{"token":"t","timeout":"2m"}`:           "config.timeout",
		`{"token":"t","timeout":"soon"}`:         "config.timeout",
		`{"token":"t","mode":"c"}`:               "config.mode",
		`{"token":"t","api_base_url":"ftp://x"}`: "config.api_base_url",
		`{"token":"t","other":1}`:                "config.other",
	} {
		_, _, err := testSpec.ParseConfig(json.RawMessage(raw), nil, nil)
		e, ok := err.(*Error)
		if !ok || len(e.Fields) == 0 || e.Fields[0].Field != field {
			t.Errorf("%s: %v, want an error naming %s", raw, err, field)
		}
	}
}

func TestAutomationMatches(t *testing.T) {
	conv := &Conversation{ID: "conv_1", Status: ConversationHandoff, Metadata: map[string]any{"tier": 2.0}}
	e := ConversationEvent(EventConversationUpdated, conv, &Change{Field: "status", OldValue: "active", NewValue: "handoff"})
	a := &Automation{Enabled: true, EventTypes: []string{"conversation.*"},
		Filter: map[string]any{"data.conversation.status": "handoff", "data.changes.field": "status", "data.conversation.metadata.tier": 2.0}}
	if !a.Matches(e) {
		t.Fatal("a matching event does not match")
	}
	for name, change := range map[string]func(a *Automation){
		"disabled":     func(a *Automation) { a.Enabled = false },
		"other type":   func(a *Automation) { a.EventTypes = []string{"message.*"} },
		"other value":  func(a *Automation) { a.Filter["data.conversation.status"] = "ended" },
		"missing path": func(a *Automation) { a.Filter["data.conversation.nope"] = "x" },
		"typed":        func(a *Automation) { a.Filter["data.conversation.metadata.tier"] = "2" },
	} {
		b := *a
		b.Filter = map[string]any{}
		for k, v := range a.Filter {
			b.Filter[k] = v
		}
		change(&b)
		if b.Matches(e) {
			t.Errorf("%s: matches", name)
		}
	}
	if !(&Automation{Enabled: true}).Matches(e) {
		t.Error("no types and no filter: want every event")
	}
}

func TestLookupPath(t *testing.T) {
	var doc any
	_ = json.Unmarshal([]byte(`{"a":{"items":[{"sku":"x"},{"sku":"y"}]}}`), &doc)
	for path, want := range map[string]any{"a.items.1.sku": "y", "a.items.2.sku": nil, "a.items.01.sku": nil, "a.b": nil, "a.items.-1": nil} {
		if got := LookupPath(doc, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
}
