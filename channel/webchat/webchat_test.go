package webchat

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
)

// Set UPDATE_GOLDEN=1 to rewrite the golden files from the current output.
var updateGolden = os.Getenv("UPDATE_GOLDEN") != ""

func hookChannel() *switchboard.Channel {
	s := testSession()
	return &switchboard.Channel{ID: s.ChannelID, Type: switchboard.ChannelWebchat,
		Config:  map[string]any{"allowed_origins": []any{"https://shop.example.com"}},
		Secrets: map[string]string{"session_secret": testSecret}}
}

func hookRequest(t testing.TB, origin, auth string, body []byte) *switchboard.HookRequest {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if origin != "" {
		h.Set("Origin", origin)
	}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	return &switchboard.HookRequest{Method: http.MethodPost, Header: h, Body: body, Now: testNow}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFramesGolden parses every sample frame, and posts the message ones
// through the hook route.
func TestFramesGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/frames/*.json")
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	tok := "Bearer " + issue(t, testSession())
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body := readFile(t, file)
			f, err := parseClientFrame(bytes.TrimSpace(body))
			if err != nil {
				t.Fatal(err)
			}
			golden := map[string]any{"frame": f}
			if f.Type == frameMessage {
				res, err := New(nil).HandleHook(context.Background(), hookChannel(), hookRequest(t, "https://shop.example.com", tok, body))
				if err != nil {
					t.Fatal(err)
				}
				m := res.Messages[0]
				golden["inbound"] = map[string]any{"external_id": m.ExternalID, "contact": m.Contact.ExternalID,
					"kind": m.Kind, "text": m.Text, "raw_is_body": bytes.Equal(m.Raw, body)}
			}
			compareGolden(t, strings.TrimSuffix(file, ".json")+".golden", golden)
		})
	}
}

func compareGolden(t *testing.T, path string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if updateGolden {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want := readFile(t, path); !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("%s differs; got:\n%s", path, buf.Bytes())
	}
}

func TestHandleHookRefused(t *testing.T) {
	body := readFile(t, "testdata/frames/message.json")
	tok := issue(t, testSession())
	elsewhere := testSession()
	elsewhere.Origin = "https://blog.example.com"
	tokElsewhere := issue(t, elsewhere)
	tests := []struct {
		name, origin, auth, code string
		body                     []byte
	}{
		{"origin not allowed", "https://evil.example.com", "Bearer " + tok, switchboard.EForbidden, body},
		{"no origin", "", "Bearer " + tok, switchboard.EForbidden, body},
		{"no token", "https://shop.example.com", "", switchboard.EUnauthorized, body},
		{"basic auth", "https://shop.example.com", "Basic " + tok, switchboard.EUnauthorized, body},
		{"token of another origin", "https://shop.example.com", "Bearer " + tokElsewhere, switchboard.EUnauthorized, body},
		{"tampered token", "https://shop.example.com", "Bearer " + tok[:len(tok)-2] + "AA", switchboard.EUnauthorized, body},
		{"malformed body", "https://shop.example.com", "Bearer " + tok, switchboard.EInvalid, []byte(`{"type":"message"`)},
		{"ping", "https://shop.example.com", "Bearer " + tok, switchboard.EInvalid, []byte(`{"type":"ping"}`)},
		{"empty text", "https://shop.example.com", "Bearer " + tok, switchboard.EInvalid, []byte(`{"type":"message","id":"a","text":""}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := New(nil).HandleHook(context.Background(), hookChannel(), hookRequest(t, tt.origin, tt.auth, tt.body))
			wantCode(t, err, tt.code)
			if res != nil {
				t.Fatalf("result %+v with an error", res)
			}
		})
	}
	// The bearer scheme is case-insensitive.
	if _, err := New(nil).HandleHook(context.Background(), hookChannel(), hookRequest(t, "https://shop.example.com", "bearer "+tok, body)); err != nil {
		t.Fatal(err)
	}
}
