package webchat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/bot/builtin"
	"github.com/switchboardhq/switchboard/channel/webchat"
	"github.com/switchboardhq/switchboard/httpapi"
	"github.com/switchboardhq/switchboard/internal/browsertest"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// stack is Switchboard as serve wires it, for the web chat: a SQLite
// store, the pipeline with the builtin engine and the webchat adapter, and
// the HTTP API with the web chat routes, on loopback.
type stack struct {
	url   string // http://127.0.0.1:port
	admin string // an admin API key
	db    *store.DB
	ws    *sb.Workspace
}

func newStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := pgtest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "sb.db"))
	ws := &sb.Workspace{ID: sb.NewID(sb.PrefixWorkspace), Name: "default", CreatedAt: time.Now().UTC()}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	admin, _ := auth.NewKey()
	if err := db.CreateAPIKey(ctx, auth.NewAPIKey(ws.ID, "admin", []string{sb.ScopeAdmin}, admin)); err != nil {
		t.Fatal(err)
	}

	hub := webchat.NewHub()
	channels, engines := sb.NewChannels(webchat.New(hub)), sb.NewEngines(builtin.New())
	p := pipeline.New(pipeline.Config{SingleProcess: true}, pipeline.Deps{
		Store:    db,
		Adapters: channels,
		Engines:  engines,
		Logger:   logger,
	})
	p.Start(ctx)
	chat := webchat.NewHandler(webchat.Config{Logger: logger}, db, webchat.IngestFunc(
		func(ctx context.Context, ch *sb.Channel, res *sb.HookResult) error {
			_, err := p.Ingest(ctx, ch, res)
			return err
		}), hub)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	srv := httptest.NewUnstartedServer(httpapi.New(httpapi.Config{PublicURL: base, RateLimit: 1000, RateBurst: 1000},
		httpapi.Deps{App: app.New(app.Config{PublicURL: base}, app.Deps{Store: db, Pipeline: p, Channels: channels, Engines: engines}), Idempotency: db,
			Auth: auth.New(db, logger, nil), Logger: logger, Registry: prometheus.NewRegistry(), Ready: db.Ready, Webchat: chat}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() {
		chat.Close()
		srv.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Stop(sctx)
	})
	return &stack{url: base, admin: admin, db: db, ws: ws}
}

// post calls the REST API and decodes the created resource.
func (s *stack) post(t *testing.T, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.url+"/api/v1"+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+s.admin)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s = %d: %s", path, res.StatusCode, out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Corner Shop</title>
<style>:root { --sb-accent: #0f766e; } body { font-family: serif; color: red; }</style></head>
<body><h1>Corner Shop</h1><p>Fresh bread every morning.</p>
<script src="{{.Switchboard}}/webchat/widget.js" data-channel="{{.Channel}}" data-title="Ask the shop" async></script>
</body></html>`))

// TestWidgetInChromium loads a shop's page, on another origin than
// Switchboard's, that embeds the widget with one tag; opens the chat, types
// "hello" and Enter, and waits for the builtin bot's answer in the widget's
// shadow DOM; then reloads the page and finds the conversation again.
func TestWidgetInChromium(t *testing.T) {
	b := browsertest.New(t)
	s := newStack(t)
	botID := s.post(t, "/bots", map[string]any{"name": "Shop bot", "engine": "builtin", "config": map[string]any{
		"intents":  []any{map[string]any{"name": "greet", "examples": []string{"hello", "hi"}, "responses": []string{"Hello! How can I help?"}}},
		"fallback": "Sorry, I did not get that.",
	}})["id"]

	shop := httptest.NewUnstartedServer(nil)
	shopURL := "http://localhost:" + strings.Split(shop.Listener.Addr().String(), ":")[1] // another host: another site
	ch := s.post(t, "/channels", map[string]any{"type": "webchat", "name": "Shop site", "bot_id": botID,
		"config": map[string]any{"allowed_origins": []string{shopURL}}})
	shop.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, map[string]string{"Switchboard": s.url, "Channel": ch["id"].(string)})
	})
	shop.Start()
	defer shop.Close()

	ctx := b.Ctx

	const root = `document.querySelector('[data-switchboard-webchat]').shadowRoot`
	mounted := chromedp.Poll[bool](`!!document.querySelector('[data-switchboard-webchat]')`, chromedp.WithPollingTimeout(20*time.Second))
	click := chromedp.Evaluate[chromedp.Void](root + `.querySelector('.launcher').click()`)
	err := chromedp.Do(ctx,
		chromedp.Navigate(shopURL+"/"),
		browsertest.Void(mounted),
		click,
		// The dialog focuses its text box: type as a person would.
		browsertest.Void(chromedp.Poll[bool](root+`.activeElement && `+root+`.activeElement.id === 'input'`, chromedp.WithPollingTimeout(5*time.Second))),
		chromedp.KeyEvent("hello"),
		chromedp.KeyEvent("\r"),
	)
	if err != nil {
		t.Fatal(err)
	}
	a11y, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[`+
		root+`.querySelector('.panel').getAttribute('role'), `+
		root+`.querySelector('.log').getAttribute('aria-live'), `+
		root+`.querySelector('h2').textContent, `+
		root+`.querySelector('.launcher').getAttribute('aria-expanded'), `+
		root+`.querySelector('.launcher .sr').textContent, `+
		root+`.querySelector('textarea').labels[0].textContent]`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(a11y, "|") != "dialog|polite|Ask the shop|true|Close chat|Message" {
		t.Fatalf("role, aria-live, title, aria-expanded, launcher label, input label = %q", a11y)
	}

	reply := chromedp.Poll[bool](`Array.from(`+root+`.querySelectorAll('.log li.them')).some(li => li.textContent.includes('Hello! How can I help?'))`,
		chromedp.WithPollingTimeout(30*time.Second))
	err = chromedp.Do(ctx,
		browsertest.Void(reply),
		browsertest.Void(chromedp.Poll[bool](`!`+root+`.querySelector('.log li.pending')`, chromedp.WithPollingTimeout(10*time.Second))),
	)
	if err != nil {
		t.Fatalf("no reply from the bot in the widget: %v\n%s", err, widgetText(ctx, root))
	}
	mine, err := chromedp.Run(ctx, chromedp.Evaluate[string](root+`.querySelector('.log li.me').textContent`))
	if err != nil || mine != "You: hello" {
		t.Fatalf("the visitor's message reads %q (%v)", mine, err)
	}
	screenshot(t, ctx, "webchat-open.png")

	// A reload resumes the same conversation: the widget reconnects by
	// itself with the token it kept, and shows the history.
	err = chromedp.Do(ctx, chromedp.Reload(), browsertest.Void(mounted), click, browsertest.Void(reply))
	if err != nil {
		t.Fatalf("the conversation is gone after a reload: %v\n%s", err, widgetText(ctx, root))
	}
	count, err := chromedp.Run(ctx, chromedp.Evaluate[int](root+`.querySelectorAll('.log li').length`))
	if err != nil || count != 2 {
		t.Fatalf("%d messages after the reload (%v), want 2:\n%s", count, err, widgetText(ctx, root))
	}
	contacts, err := s.db.ListContacts(context.Background(), s.ws.ID, sb.ContactFilter{ChannelID: ch["id"].(string)}, sb.Page{Limit: 10})
	if err != nil || len(contacts) != 1 {
		t.Fatalf("%d contacts (%v): want the one visitor, also after the reload", len(contacts), err)
	}
}

// widgetText is the widget's log and status, for failure messages.
func widgetText(ctx context.Context, root string) string {
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](root+`.querySelector('.panel').innerText`))
	return s
}

// screenshot saves the page to $WEBCHAT_SCREENSHOTS/name when that is set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("WEBCHAT_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, browsertest.Screenshot())
	if err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Log(err)
	}
}
