package httpapi_test

import (
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

// TestTextLongerThanThePlatformTakes: a message longer than its channel's
// platform takes in one message (Telegram: 4,096 UTF-16 code units, an
// emoji counting two) is refused naming text, and stores nothing; a
// channel without a limit takes anything the API accepts.
func TestTextLongerThanThePlatformTakes(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	tg := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{
		"type": "telegram", "name": "Support", "config": map[string]any{"bot_token": "123:TEST"}}).str(t, "id")
	fits, over := strings.Repeat("😀", 2048), strings.Repeat("😀", 2049)

	before := e.snapshot(t)
	e.call("POST", "/api/v1/messages", e.admin, map[string]any{"channel_id": tg, "user_id": "42", "text": over}).
		problem(t, 400, sb.EInvalid, "text")
	if after := e.snapshot(t); after != before {
		t.Fatalf("a refused message stored something:\nbefore %s\nafter  %s", before, after)
	}
	m := e.must(202, "POST", "/api/v1/messages", e.admin, map[string]any{"channel_id": tg, "user_id": "42", "text": fits}).obj(t)
	conv := m["conversation_id"].(string)
	e.call("POST", "/api/v1/conversations/"+conv+"/messages", e.admin, map[string]any{"text": over, "sender": "agent"}).
		problem(t, 400, sb.EInvalid, "text")
	e.must(202, "POST", "/api/v1/conversations/"+conv+"/messages", e.admin, map[string]any{"text": fits, "sender": "agent"})
	if n := len(e.must(200, "GET", "/api/v1/conversations/"+conv+"/messages", e.admin, nil).data(t)); n != 2 {
		t.Fatalf("%d messages stored, want 2", n)
	}

	api := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{
		"type": "api", "name": "App", "config": map[string]any{"callback_url": "https://app.example.com/hook"}}).str(t, "id")
	e.must(202, "POST", "/api/v1/messages", e.admin, map[string]any{"channel_id": api, "user_id": "42", "text": strings.Repeat("😀", 4096)})
}
