package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot/llm"
	"github.com/switchboardhq/switchboard/egress"
)

// TestLLMBotForm: an llm bot's settings as a form (not JSON): numbers
// checked and named by field, tools offered from the built-in ones and the
// workspace's integration actions, the key write-only (never shown, kept
// when left empty).
func TestLLMBotForm(t *testing.T) {
	s := newOpsStack(t, llm.New(egress.NewClient(egress.Policy{AllowPrivate: true}, 5*time.Second), "test"))
	ctx := context.Background()
	in := &sb.Integration{WorkspaceID: s.ws, Type: "http", Name: "Help desk", Status: "connected", Config: map[string]any{}}
	if err := s.db.CreateIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	body := s.open(t, "/bots/new?engine=llm&name=Assistant", 200)
	for _, want := range []string{`<input id="base_url" name="base_url" type="url"`, `<input id="api_key" name="api_key" type="password"`,
		`value="knowledge" checked`, `value="handoff" checked`, `value="contact">`, `value="` + in.ID + `:call"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the llm form lacks %s", want)
		}
	}
	form := func(more map[string][]string) url.Values {
		v := url.Values{"engine": {"llm"}, "name": {"Assistant"}, "base_url": {"http://127.0.0.1:9/v1"}, "model": {"small"},
			"system_prompt": {"You help <customers>."}, "temperature": {"0.3"}, "max_tokens": {"300"}, "history": {"12"},
			"tools": {"knowledge", in.ID + ":call"}, "api_key": {"sk-very-secret"}}
		for k, vs := range more {
			v[k] = vs
		}
		return v
	}
	_, body = s.submit(t, "/bots/new", form(map[string][]string{"temperature": {"warm"}, "history": {"many"}}), 400)
	for _, id := range []string{`id="temperature-error"`, `id="history-error"`} {
		if !strings.Contains(body, id) {
			t.Errorf("a bad number is not named: %s", id)
		}
	}
	if strings.Contains(body, "sk-very-secret") {
		t.Fatal("a refused form shows the key it was given")
	}
	_, body = s.submit(t, "/bots/new", form(map[string][]string{"temperature": {"7"}}), 400)
	if !strings.Contains(body, `id="temperature-error"`) {
		t.Fatalf("the engine's bound on temperature is not shown by its field:\n%s", body)
	}
	loc, _ := s.submit(t, "/bots/new", form(nil), http.StatusSeeOther)
	id := botID.FindStringSubmatch(loc)[1]
	b, err := s.db.GetBot(ctx, s.ws, id)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	_ = json.Unmarshal(b.Config, &c)
	if c["model"] != "small" || c["temperature"] != 0.3 || c["max_tokens"] != 300.0 || c["history"] != 12.0 ||
		len(c["tools"].([]any)) != 2 || c["api_key"] != nil || b.Secrets["api_key"] != "sk-very-secret" {
		t.Fatalf("stored %s %v", b.Config, b.Secrets)
	}
	body = s.open(t, loc+"/edit", 200)
	if strings.Contains(body, "sk-very-secret") || !strings.Contains(body, "(set; leave empty to keep it)") ||
		!strings.Contains(body, `value="`+in.ID+`:call" checked`) || !strings.Contains(body, "You help &lt;customers&gt;.") {
		t.Fatalf("the editor:\n%s", body)
	}
	edited := form(map[string][]string{"model": {"large"}, "tools": {"handoff"}})
	edited.Del("api_key")
	edited.Del("name")
	s.submit(t, loc+"/edit", edited, http.StatusSeeOther)
	b, _ = s.db.GetBot(ctx, s.ws, id)
	if !strings.Contains(string(b.Config), `"model":"large"`) || !strings.Contains(string(b.Config), `"tools":["handoff"]`) ||
		b.Secrets["api_key"] != "sk-very-secret" {
		t.Fatalf("saved draft %s %v", b.Config, b.Secrets)
	}
}
