package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestServeWebchat drives the web chat through the binary: the widget
// script is served, a visitor on an allowed origin connects, says hello and
// gets the builtin bot's answer over the WebSocket; SIGTERM closes the
// WebSocket with 1001 (the widget reconnects) and still exits 0.
func TestServeWebchat(t *testing.T) {
	p := serve(t, "SWITCHBOARD_DATA_DIR="+filepath.Join(t.TempDir(), "data"), "SWITCHBOARD_BOOTSTRAP_KEY="+e2eKey)
	botID := p.create(t, "/api/v1/bots", map[string]any{"name": "Shop", "engine": "builtin", "config": map[string]any{
		"intents": []any{map[string]any{"name": "greet", "examples": []string{"hello"}, "responses": []string{"Hello! How can I help?"}}}}})["id"]
	ch := p.create(t, "/api/v1/channels", map[string]any{"type": "webchat", "name": "Site", "bot_id": botID,
		"config": map[string]any{"allowed_origins": []string{"https://shop.example.com"}}})

	res, err := http.Get(p.base + "/webchat/widget.js")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(js), "data-channel") {
		t.Fatalf("widget.js: %d", res.StatusCode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(p.base, "http") + "/webchat/" + ch["id"].(string) + "/ws"
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://shop.example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	read := func() map[string]any {
		t.Helper()
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var f map[string]any
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	if f := read(); f["type"] != "session" {
		t.Fatalf("first frame %v", f)
	}
	if f := read(); f["type"] != "ready" {
		t.Fatalf("second frame %v", f)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"message","id":"m1","text":"hello"}`)); err != nil {
		t.Fatal(err)
	}
	for {
		f := read()
		if f["type"] == "error" {
			t.Fatalf("error frame %v", f)
		}
		if f["type"] == "message" && f["text"] == "Hello! How can I help?" {
			break
		}
	}

	closed := make(chan error, 1)
	go func() {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				closed <- err
				return
			}
		}
	}()
	p.stop(t)
	select {
	case err := <-closed:
		if websocket.CloseStatus(err) != websocket.StatusGoingAway {
			t.Fatalf("the WebSocket ended with %v, want 1001 (going away)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the WebSocket is still open after the server stopped")
	}
}
