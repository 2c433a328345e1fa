package switchboard

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// fakeAdapter is a channel type described by its spec only.
type fakeAdapter struct{ spec ChannelSpec }

func (a fakeAdapter) Spec() ChannelSpec { return a.spec }
func (fakeAdapter) HandleHook(context.Context, *Channel, *HookRequest) (*HookResult, error) {
	return &HookResult{}, nil
}
func (fakeAdapter) Send(context.Context, *Channel, *OutboundMessage) (string, error) { return "", nil }

// fakeEngine is an engine that takes any configuration.
type fakeEngine struct{ name string }

func (e fakeEngine) Name() string { return e.name }
func (fakeEngine) ParseConfig(raw json.RawMessage) (json.RawMessage, map[string]string, error) {
	return raw, nil, nil
}
func (fakeEngine) Reply(context.Context, *BotTurn) (*BotAnswer, error) { return &BotAnswer{}, nil }

var chatSpec = ChannelSpec{
	Type: "chat",
	Fields: []ConfigField{
		{Name: "token", Secret: true, Required: true},
		{Name: "account", Required: true},
		{Name: "hook_url", URL: true},
		{Name: "origins", List: true},
		{Name: "signing", Secret: true, Generate: func() string { return "made" }},
		{Name: "session", Secret: true, Generate: func() string { return "inner" }, Internal: true},
	},
	TextLimit: 300,
}

// fieldsOf returns the field names of an invalid_request error.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != EInvalid {
		t.Fatalf("error %v, want invalid_request", err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return out
}

func TestChannelSpecParseConfig(t *testing.T) {
	config, secrets, err := chatSpec.ParseConfig(json.RawMessage(
		`{"token":"t-1","account":"a-1","hook_url":"https://x.example/h","origins":["https://a.example"],"api_base_url":"http://127.0.0.1:9"}`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if config["account"] != "a-1" || config["hook_url"] != "https://x.example/h" || config["api_base_url"] != "http://127.0.0.1:9" ||
		!slices.Equal(config["origins"].([]string), []string{"https://a.example"}) || config["token"] != nil {
		t.Fatalf("config %v", config)
	}
	if len(secrets) != 1 || secrets["token"] != "t-1" {
		t.Fatalf("secrets %v", secrets)
	}

	// A patch merges over the old settings; null removes one.
	config2, secrets2, err := chatSpec.ParseConfig(json.RawMessage(`{"hook_url":null,"account":"a-2"}`), config, secrets)
	if err != nil {
		t.Fatal(err)
	}
	if config2["account"] != "a-2" || config2["hook_url"] != nil || secrets2["token"] != "t-1" || config["account"] != "a-1" {
		t.Fatalf("merged config %v secrets %v (old config %v)", config2, secrets2, config)
	}

	_, _, err = chatSpec.ParseConfig(json.RawMessage(`{"fax":"1","hook_url":"ftp://x","origins":"a","token":5}`), nil, nil)
	want := []string{"config.account", "config.fax", "config.hook_url", "config.origins", "config.token"}
	if got := slices.Compact(fieldsOf(t, err)); !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	if _, _, err := chatSpec.ParseConfig(json.RawMessage(`[1]`), nil, nil); fieldsOf(t, err)[0] != "config" {
		t.Fatalf("a config that is not an object: %v", err)
	}
}

// TestSendGuarantee: every channel type takes send_guarantee, one of two
// values; it decides whether an interrupted send is sent again, and
// without it the type's RepeatSafe does.
func TestSendGuarantee(t *testing.T) {
	safe := ChannelSpec{Type: "hooks", RepeatSafe: true}
	for _, spec := range []ChannelSpec{chatSpec, safe} {
		base := `"token":"t","account":"a",`
		if spec.Type == "hooks" {
			base = ""
		}
		for _, value := range []string{"at_most_once", "at_least_once"} {
			config, _, err := spec.ParseConfig(json.RawMessage(`{`+base+`"send_guarantee":"`+value+`"}`), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if config["send_guarantee"] != value {
				t.Fatalf("config %v", config)
			}
			if got := spec.RetriesInterruptedSends(&Channel{Type: spec.Type, Config: config}); got != (value == SendAtLeastOnce) {
				t.Fatalf("%s with %s: retries %v", spec.Type, value, got)
			}
		}
		for _, bad := range []string{`"twice"`, `""`, `true`} {
			_, _, err := spec.ParseConfig(json.RawMessage(`{`+base+`"send_guarantee":`+bad+`}`), nil, nil)
			if got := fieldsOf(t, err); !slices.Equal(got, []string{"config.send_guarantee"}) {
				t.Fatalf("send_guarantee %s: fields %v", bad, got)
			}
			if bad == `"twice"` && !strings.Contains(err.Error(), "must be one of at_most_once, at_least_once") {
				t.Fatalf("send_guarantee %s: %v", bad, err)
			}
		}
		// Without it, the type decides.
		if got := spec.RetriesInterruptedSends(&Channel{Type: spec.Type, Config: map[string]any{}}); got != spec.RepeatSafe {
			t.Fatalf("%s without send_guarantee: retries %v", spec.Type, got)
		}
	}
	// null removes it.
	config, _, err := chatSpec.ParseConfig(json.RawMessage(`{"send_guarantee":null}`), map[string]any{"account": "a", "send_guarantee": "at_least_once"}, map[string]string{"token": "t"})
	if err != nil || config["send_guarantee"] != nil {
		t.Fatalf("config %v, error %v", config, err)
	}
}

func TestChannelSpecCheck(t *testing.T) {
	spec := chatSpec
	spec.Check = func(config map[string]any, _ map[string]string) error {
		if config["account"] == "bad" {
			return Invalid("config.account", "is not an account")
		}
		return nil
	}
	if _, _, err := spec.ParseConfig(json.RawMessage(`{"token":"t","account":"bad"}`), nil, nil); !slices.Equal(fieldsOf(t, err), []string{"config.account"}) {
		t.Fatalf("Check not applied: %v", err)
	}
	if _, _, err := spec.ParseConfig(json.RawMessage(`{"token":"t","account":"good"}`), nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestChannelSpecGenerateSecrets(t *testing.T) {
	secrets := map[string]string{"token": "t"}
	shown := chatSpec.GenerateSecrets(secrets)
	if len(shown) != 1 || shown["signing"] != "made" {
		t.Fatalf("shown %v, want the generated signing secret only", shown)
	}
	if secrets["signing"] != "made" || secrets["session"] != "inner" || secrets["token"] != "t" {
		t.Fatalf("secrets %v", secrets)
	}
	given := map[string]string{"signing": "mine", "session": "mine too"}
	if shown := chatSpec.GenerateSecrets(given); len(shown) != 0 || given["signing"] != "mine" || given["session"] != "mine too" {
		t.Fatalf("a given secret was replaced: %v %v", shown, given)
	}
}

func TestChannelsRegistry(t *testing.T) {
	chs := NewChannels(fakeAdapter{chatSpec}, fakeAdapter{ChannelSpec{Type: "beta"}}, fakeAdapter{ChannelSpec{Type: "alpha", RepeatSafe: true}})
	if got := chs.Types(); !slices.Equal(got, []string{"alpha", "beta", "chat"}) {
		t.Fatalf("types %v, want them sorted", got)
	}
	if !chs.Spec("alpha").RepeatSafe || chs.Spec("chat").TextLimit != 300 {
		t.Fatal("specs not found by type")
	}
	if s := chs.Spec("fax"); s.Type != "" || s.RepeatSafe || s.TextLimit != 0 {
		t.Fatalf("spec of an unknown type %+v, want the zero spec", s)
	}
	if _, ok := chs.Lookup("fax"); ok {
		t.Fatal("an unknown type was found")
	}
	_, _, err := chs.ParseConfig("fax", nil, nil, nil)
	var e *Error
	if !errors.As(err, &e) || e.Fields[0].Field != "type" || e.Fields[0].Message != "must be one of alpha, beta, chat" {
		t.Fatalf("unknown type: %v", err)
	}
	if _, _, err := chs.ParseConfig("beta", json.RawMessage(`{"api_base_url":"https://b.example"}`), nil, nil); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a type registered twice did not panic")
		}
	}()
	NewChannels(fakeAdapter{chatSpec}, fakeAdapter{chatSpec})
}

func TestEnginesRegistry(t *testing.T) {
	en := NewEngines(fakeEngine{"webhook"}, fakeEngine{"builtin"})
	if got := en.Names(); !slices.Equal(got, []string{"builtin", "webhook"}) {
		t.Fatalf("names %v, want them sorted", got)
	}
	if _, ok := en.Lookup("llm"); ok {
		t.Fatal("an engine this build does not have was found")
	}
	_, _, err := en.ParseConfig("llm", json.RawMessage(`{}`))
	var e *Error
	if !errors.As(err, &e) || e.Fields[0].Field != "engine" || !strings.HasSuffix(e.Fields[0].Message, "builtin, webhook") {
		t.Fatalf("unknown engine: %v", err)
	}
	if out, _, err := en.ParseConfig("builtin", json.RawMessage(`{"a":1}`)); err != nil || string(out) != `{"a":1}` {
		t.Fatalf("ParseConfig: %s %v", out, err)
	}
}
