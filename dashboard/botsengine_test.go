package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

// echoEngine is an engine the editor has no form of its own for: its
// configuration is {"model", "api_key"*}, and it answers "model: text".
type echoEngine struct{}

func (echoEngine) Name() string { return "echo" }

func (echoEngine) ParseConfig(raw json.RawMessage) (json.RawMessage, map[string]string, error) {
	var c struct {
		Model  string `json:"model"`
		APIKey string `json:"api_key"`
	}
	if err := sb.DecodeConfig(raw, &c); err != nil {
		return nil, nil, err
	}
	if c.Model == "" {
		return nil, nil, sb.Invalid("config.model", "is required")
	}
	var secrets map[string]string
	if c.APIKey != "" {
		secrets = map[string]string{"api_key": c.APIKey}
	}
	out, err := json.Marshal(map[string]string{"model": c.Model})
	return out, secrets, err
}

func (echoEngine) Reply(_ context.Context, t *sb.BotTurn) (*sb.BotAnswer, error) {
	var c struct {
		Model string `json:"model"`
	}
	_ = json.Unmarshal(t.Bot.Config, &c)
	return &sb.BotAnswer{Replies: []string{c.Model + ": " + t.Message.Text}}, nil
}

// TestOtherEngineBotPages: an engine without a form of its own is edited
// as JSON, which the engine validates (its errors named), its secret
// fields never shown and kept when left out; the test chat tries it.
func TestOtherEngineBotPages(t *testing.T) {
	s := newOpsStack(t, echoEngine{})
	body := s.open(t, "/bots/new?engine=echo&name=Echo", 200)
	if !strings.Contains(body, `<textarea id="config" name="config"`) || !strings.Contains(body, "Configuration of the echo engine (JSON)") {
		t.Fatalf("JSON form:\n%s", body)
	}
	_, body = s.submit(t, "/bots/new", url.Values{"engine": {"echo"}, "name": {"Echo"}, "config": {`{"model": `}}, 400)
	if !strings.Contains(body, `id="config-error"`) {
		t.Fatalf("bad JSON names no field:\n%s", body)
	}
	_, body = s.submit(t, "/bots/new", url.Values{"engine": {"echo"}, "name": {"Echo"}, "config": {`{"modle": "m1"}`}}, 400)
	if !strings.Contains(body, "config.modle") || !strings.Contains(body, `id="config-error"`) {
		t.Fatalf("an unknown field is not named:\n%s", body)
	}
	_, body = s.submit(t, "/bots/new", url.Values{"engine": {"echo"}, "name": {"Echo"}, "config": {`{}`}}, 400)
	if !strings.Contains(body, "config.model") {
		t.Fatalf("a missing field is not named:\n%s", body)
	}
	loc, _ := s.submit(t, "/bots/new", url.Values{"engine": {"echo"}, "name": {"Echo"}, "config": {`{"model": "m1", "api_key": "sk-very-secret"}`}}, http.StatusSeeOther)
	id := botID.FindStringSubmatch(loc)[1]
	for _, p := range []string{loc, loc + "/edit", "/bots"} {
		if body := s.open(t, p, 200); strings.Contains(body, "sk-very-secret") {
			t.Fatalf("%s shows the secret", p)
		}
	}
	if body := s.open(t, loc+"/edit", 200); !strings.Contains(body, "&#34;model&#34;: &#34;m1&#34;") {
		t.Fatalf("the editor does not show the configuration:\n%s", body)
	}
	_, body = s.submit(t, loc+"/edit", url.Values{"config": {`{"model": "", "api_key": "sk-typed-again"}`}}, 400)
	if !strings.Contains(body, "config.model") || strings.Contains(body, "sk-typed-again") {
		t.Fatalf("a refused draft shows its secret field again:\n%s", body)
	}
	s.submit(t, loc+"/edit", url.Values{"config": {`{"model": "m2"}`}}, http.StatusSeeOther)
	b, _ := s.db.GetBot(context.Background(), s.ws, id)
	if string(b.Config) != `{"model":"m2"}` || b.Secrets["api_key"] != "sk-very-secret" || b.Status != sb.BotDraft {
		t.Fatalf("saved draft %s %v %s", b.Config, b.Secrets, b.Status)
	}
	_, body = s.submit(t, loc+"/parse", url.Values{"text": {"hi"}}, 200)
	if !strings.Contains(body, "<q>m1: hi</q>") {
		t.Fatalf("test chat:\n%s", body)
	}
}
