package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot/builtin"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
)

// FuzzTelegramHook posts arbitrary bodies, correctly authenticated, to a
// Telegram channel's hook: every answer is 200, 400 or 413 (never a server
// error), and only a 200 may store anything.
func FuzzTelegramHook(f *testing.F) {
	seeds, _ := filepath.Glob("../channel/telegram/testdata/updates/*.json")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(telegramtest.Update(1, 42, "Ada", "hello"))
	f.Add([]byte(`{"update_id":1,"message":{"chat":{"id":1},"text":"a\u0000b"}}`))
	f.Add([]byte(`{"update_id":-9223372036854775808,"message":{"chat":{"id":1},"from":{"id":1},"text":"x"}}`))

	e := newEnv(f, "sqlite://"+f.TempDir()+"/sb.db")
	tg := telegramtest.NewServer()
	f.Cleanup(tg.Close)
	chID, token := e.fuzzTelegram(tg)
	f.Fuzz(func(t *testing.T, body []byte) {
		before := e.lastEvent(t)
		req, _ := http.NewRequest("POST", e.srv.URL+hookPath(chID), bytes.NewReader(body))
		req.Header.Set(telegram.HeaderSecretToken, token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch res.StatusCode {
		case 200:
		case 400, 413:
			if after := e.lastEvent(t); after != before {
				t.Fatalf("a %d stored something (event %s)", res.StatusCode, after)
			}
		default:
			t.Fatalf("status %d for %q: %s", res.StatusCode, body, out)
		}
	})
}

// fuzzTelegram creates a Telegram channel with a builtin bot through the
// store (a fuzz target has no *testing.T for the API helpers) and returns
// its id and secret token.
func (e *env) fuzzTelegram(tg *telegramtest.Server) (string, string) {
	ctx := e.t.Context()
	cfg, _, _ := builtin.New().ParseConfig([]byte(`{"intents":[],"fallback":"?"}`))
	b := &sb.Bot{WorkspaceID: e.ws.ID, Name: "b", Engine: sb.EngineBuiltin, Config: cfg, Status: sb.BotDraft, Version: 1}
	if err := e.db.CreateBot(ctx, b); err != nil {
		e.t.Fatal(err)
	}
	const token = "fuzz-secret-token"
	ch := &sb.Channel{WorkspaceID: e.ws.ID, Type: sb.ChannelTelegram, Name: "t", BotID: &b.ID, Status: sb.ChannelConnected,
		Config: map[string]any{"api_base_url": tg.URL}, Secrets: map[string]string{"bot_token": "1:F", "secret_token": token}}
	if err := e.db.CreateChannel(ctx, ch); err != nil {
		e.t.Fatal(err)
	}
	return ch.ID, token
}

// lastEvent is the id of the workspace's newest event ("" if none).
func (e *env) lastEvent(t *testing.T) string {
	list, err := e.db.ListEvents(t.Context(), e.ws.ID, sb.EventFilter{}, sb.Page{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		return ""
	}
	return list[0].ID
}
