package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/prometheus/client_golang/prometheus"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/channel/webchat"
	"github.com/switchboardhq/switchboard/httpapi"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// The response checker reads the widget script as a string.
func init() {
	openapi3filter.RegisterBodyDecoder("text/javascript", func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(body)
		return string(b), err
	})
}

// TestWebchatRoutes creates a web chat channel through the API and uses
// its routes, every answer checked against the OpenAPI document.
func TestWebchatRoutes(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		created := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "webchat", "name": "Site",
			"config": map[string]any{"allowed_origins": []string{"https://shop.example.com"}}})
		id := created.str(t, "id")
		if strings.Contains(string(created.body), "session_secret") {
			t.Fatalf("the session secret is shown: %s", created.body)
		}
		ch, err := e.db.GetChannel(context.Background(), e.ws.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Secrets["session_secret"]) != 64 {
			t.Fatalf("no generated session secret: %v", ch.Secrets)
		}

		// Without a web chat handler the routes exist and answer 404.
		e.must(404, "GET", "/webchat/widget.js", "", nil).problem(t, 404, sb.ENotFound, "")
		e.must(404, "GET", "/webchat/"+id+"/ws", "", nil).problem(t, 404, sb.ENotFound, "")

		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		h := webchat.NewHandler(webchat.Config{}, e.db, webchat.IngestFunc(func(context.Context, *sb.Channel, *sb.HookResult) error { return nil }), webchat.NewHub())
		srv := httptest.NewServer(httpapi.New(httpapi.Config{PublicURL: "https://sb.example.com", RateLimit: 1000, RateBurst: 1000},
			httpapi.Deps{App: app.New(app.Config{}, app.Deps{Store: e.db}), Idempotency: e.db, Auth: auth.New(e.db, logger, nil),
				Logger: logger, Registry: prometheus.NewRegistry(), Webchat: h}))
		t.Cleanup(func() { h.Close(); srv.Close() })
		get := func(path string, header ...string) *response {
			t.Helper()
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			r := &response{status: res.StatusCode, header: res.Header, body: body}
			e.spec.check(t, req, r)
			return r
		}
		js := get("/webchat/widget.js")
		if js.status != 200 || !strings.HasPrefix(js.header.Get("Content-Type"), "text/javascript") || string(js.body) != string(webchat.WidgetJS()) {
			t.Fatalf("widget.js: %d %v", js.status, js.header)
		}
		ws := "/webchat/" + id + "/ws"
		upgrade := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}
		get(ws, append(upgrade, "Origin", "https://evil.example.com")...).problem(t, 403, sb.EForbidden, "")
		get("/webchat/ch_01ARZ3NDEKTSV4RRFFQ69G5FAV/ws", append(upgrade, "Origin", "https://shop.example.com")...).problem(t, 404, sb.ENotFound, "")
		get(ws, "Origin", "https://shop.example.com").problem(t, 400, sb.EInvalid, "Upgrade")

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+ws,
			&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://shop.example.com"}}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get("X-Request-Id") == "" {
			t.Fatalf("upgrade answered %d %v", res.StatusCode, res.Header)
		}
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var f struct{ Type, Token string }
		if err := json.Unmarshal(data, &f); err != nil || f.Type != "session" || f.Token == "" {
			t.Fatalf("first frame %s", data)
		}
	})
}
