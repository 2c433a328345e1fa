package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

var builtinBot = map[string]any{
	"name": "Support", "engine": "builtin",
	"config": map[string]any{
		"intents":  []any{map[string]any{"name": "greet", "examples": []any{"hello", "hi"}, "responses": []any{"Hello!"}}},
		"fallback": "Sorry?",
	},
}

func TestBots(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		b := e.must(201, "POST", "/api/v1/bots", e.admin, builtinBot).obj(t)
		id := b["id"].(string)
		if !sb.HasPrefix(id, "bot") || b["status"] != "deployed" || b["version"] != float64(1) || b["deployed_version"] != float64(1) {
			t.Fatalf("created bot %v", b)
		}
		got := e.must(200, "GET", "/api/v1/bots/"+id, e.reader, nil).obj(t)
		if got["name"] != "Support" || got["config"].(map[string]any)["language"] != "en" {
			t.Fatalf("bot %v", got)
		}

		const secret = "whsec_dmVyeSBzZWNyZXQgc2lnbmluZyBrZXk="
		wh := e.must(201, "POST", "/api/v1/bots", e.admin, map[string]any{"name": "Hook", "engine": "webhook",
			"config": map[string]any{"url": "https://bots.example.com/hook", "secret": secret}})
		if strings.Contains(string(wh.body), secret) {
			t.Fatal("a given webhook bot secret was returned")
		}
		whID := wh.str(t, "id")
		put := e.must(200, "PUT", "/api/v1/bots/"+whID+"/config", e.admin, map[string]any{"url": "https://bots.example.com/v2"})
		if put.obj(t)["config"].(map[string]any)["url"] != "https://bots.example.com/v2" {
			t.Fatalf("config not replaced: %s", put.body)
		}
		stored, err := e.db.GetBot(context.Background(), e.ws.ID, whID)
		if err != nil || stored.Secrets["secret"] != secret {
			t.Fatalf("a PUT without secret must keep the stored one: %v %v", stored, err)
		}
		e.must(400, "PUT", "/api/v1/bots/"+whID+"/config", e.admin, map[string]any{"secret": secret}).problem(t, 400, sb.EInvalid, "config.url")

		list := e.must(200, "GET", "/api/v1/bots?limit=1", e.reader, nil)
		first := list.data(t)
		cursor := list.str(t, "next_cursor")
		if len(first) != 1 || first[0]["id"] != whID || cursor == "" {
			t.Fatalf("first page %s", list.body)
		}
		second := e.must(200, "GET", "/api/v1/bots?limit=1&cursor="+url.QueryEscape(cursor), e.reader, nil)
		if d := second.data(t); len(d) != 1 || d[0]["id"] != id || second.obj(t)["next_cursor"] != nil {
			t.Fatalf("second page %s", second.body)
		}

		e.must(204, "DELETE", "/api/v1/bots/"+id, e.admin, nil)
		e.must(404, "GET", "/api/v1/bots/"+id, e.admin, nil).problem(t, 404, sb.ENotFound, "")
		e.must(404, "DELETE", "/api/v1/bots/"+id, e.admin, nil)
	})
}

// TestEngineThisBuildDoesNotHave: a bot of an engine this build has no
// package for is refused at create with 400 naming engine and listing the
// engines it has, and nothing is stored; it is not accepted to fail every
// turn later.
func TestEngineThisBuildDoesNotHave(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	before := e.snapshot(t)
	for _, engine := range []string{"gpt", "LLM", ""} {
		r := e.call("POST", "/api/v1/bots", e.admin, map[string]any{"name": "LLM", "engine": engine,
			"config": map[string]any{"base_url": "https://llm.example.com/v1", "model": "m", "api_key": "sk-very-secret"}})
		r.problem(t, 400, sb.EInvalid, "engine")
		if !strings.Contains(string(r.body), "must be one of builtin, llm, webhook") {
			t.Errorf("engine %q: the refusal does not list the engines of this build: %s", engine, r.body)
		}
	}
	if after := e.snapshot(t); after != before {
		t.Fatalf("a refused bot stored something:\nbefore %s\nafter  %s", before, after)
	}
}

func TestChannels(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		botID := e.must(201, "POST", "/api/v1/bots", e.admin, builtinBot).str(t, "id")
		tg := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "telegram", "name": "TG", "bot_id": botID,
			"config": map[string]any{"bot_token": "123:secret-token"}}).obj(t)
		id := tg["id"].(string)
		if tg["webhook_url"] != "https://sb.example.com/hooks/channels/"+id || tg["bot_id"] != botID || tg["status"] != "connected" {
			t.Fatalf("channel %v", tg)
		}
		generated, _ := tg["config"].(map[string]any)["secret_token"].(string)
		if len(generated) < 32 {
			t.Fatalf("a telegram channel without secret_token gets a generated one, shown once: %v", tg)
		}
		got := e.must(200, "GET", "/api/v1/channels/"+id, e.reader, nil)
		if strings.Contains(string(got.body), "123:secret-token") || strings.Contains(string(got.body), generated) {
			t.Fatalf("secrets returned: %s", got.body)
		}

		patched := e.must(200, "PATCH", "/api/v1/channels/"+id, e.admin, map[string]any{"name": "Telegram", "bot_id": nil,
			"config": map[string]any{"api_base_url": "https://1.2.3.4:9999"}}).obj(t)
		if patched["name"] != "Telegram" || patched["bot_id"] != nil || patched["config"].(map[string]any)["api_base_url"] != "https://1.2.3.4:9999" {
			t.Fatalf("patched %v", patched)
		}
		ch, _ := e.db.GetChannel(context.Background(), e.ws.ID, id)
		if ch.Secrets["bot_token"] != "123:secret-token" || ch.Secrets["secret_token"] != generated {
			t.Fatalf("a config patch must keep the other settings: %v", ch.Secrets)
		}

		api := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "api", "name": "App",
			"config": map[string]any{"callback_url": "https://app.example.com/hook"}}).obj(t)
		if s, _ := api["config"].(map[string]any)["secret"].(string); !strings.HasPrefix(s, "whsec_") {
			t.Fatalf("api channel secret not generated: %v", api)
		}
		e.must(400, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "slack", "name": "S",
			"config": map[string]any{"bot_token": "x"}}).problem(t, 400, sb.EInvalid, "config.signing_secret")
		e.must(400, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "fax", "name": "F"}).problem(t, 400, sb.EInvalid, "type")
		e.must(400, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "api", "name": "A", "bot_id": "bot_01ARZ3NDEKTSV4RRFFQ69G5FAV"}).problem(t, 400, sb.EInvalid, "bot_id")
		e.must(400, "PATCH", "/api/v1/channels/"+id, e.admin, map[string]any{"status": "error"}).problem(t, 400, sb.EInvalid, "status")
		e.must(400, "PATCH", "/api/v1/channels/"+id, e.admin, map[string]any{"config": map[string]any{"send_guarantee": "twice"}}).
			problem(t, 400, sb.EInvalid, "config.send_guarantee")
		e.must(400, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "api", "name": "A", "config": map[string]any{"send_guarantee": "exactly_once"}}).
			problem(t, 400, sb.EInvalid, "config.send_guarantee")
		guaranteed := e.must(200, "PATCH", "/api/v1/channels/"+id, e.admin, map[string]any{"config": map[string]any{"send_guarantee": "at_least_once"}}).obj(t)
		if guaranteed["config"].(map[string]any)["send_guarantee"] != "at_least_once" {
			t.Fatalf("send_guarantee not set: %v", guaranteed)
		}

		if n := len(e.must(200, "GET", "/api/v1/channels", e.reader, nil).data(t)); n != 2 {
			t.Fatalf("%d channels listed, want 2", n)
		}
		e.must(204, "DELETE", "/api/v1/channels/"+id, e.admin, nil)
		e.must(404, "GET", "/api/v1/channels/"+id, e.admin, nil)
	})
}

// conversationFixture makes an api channel and a conversation with user u1.
func (e *env) conversationFixture(t testing.TB) (channelID, convID, contactID string) {
	channelID = e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "api", "name": "App"}).str(t, "id")
	conv := e.must(201, "POST", "/api/v1/conversations", e.admin, map[string]any{"channel_id": channelID, "user_id": "u1", "metadata": map[string]any{"plan": "pro"}}).obj(t)
	return channelID, conv["id"].(string), conv["contact_id"].(string)
}

func TestConversationLifecycle(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		channelID, convID, contactID := e.conversationFixture(t)
		e.must(409, "POST", "/api/v1/conversations", e.admin, map[string]any{"channel_id": channelID, "contact_id": contactID}).problem(t, 409, sb.EConflict, "")

		c := e.must(200, "PUT", "/api/v1/conversations/"+convID, e.admin, map[string]any{"status": "handoff", "assignee": "ann@example.com"}).obj(t)
		if c["status"] != "handoff" || c["assignee"] != "ann@example.com" {
			t.Fatalf("updated %v", c)
		}
		e.must(200, "PUT", "/api/v1/conversations/"+convID, e.admin, map[string]any{"status": "active", "metadata": map[string]any{"plan": "team"}})
		e.must(200, "PUT", "/api/v1/conversations/"+convID, e.admin, map[string]any{"status": "ended"})
		e.must(409, "PUT", "/api/v1/conversations/"+convID, e.admin, map[string]any{"status": "active"}).problem(t, 409, sb.EConflict, "")

		events := e.must(200, "GET", "/api/v1/events?type=conversation.*&limit=200", e.reader, nil).data(t)
		var got []string
		for i := len(events) - 1; i >= 0; i-- { // oldest first
			ev := events[i]
			entry := ev["event"].(string)
			if ch, ok := ev["data"].(map[string]any)["changes"].(map[string]any); ok {
				entry += fmt.Sprintf(" %v:%v→%v", ch["field"], ch["old_value"], ch["new_value"])
			}
			got = append(got, entry)
		}
		want := []string{
			"conversation.started",
			"conversation.updated status:active→handoff",
			"conversation.updated assignee:<nil>→ann@example.com",
			"conversation.updated status:handoff→active",
			"conversation.updated metadata:map[plan:pro]→map[plan:team]",
			"conversation.updated status:active→ended",
			"conversation.ended",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		evID := events[0]["id"].(string)
		ev := e.must(200, "GET", "/api/v1/events/"+evID, e.reader, nil).obj(t)
		if ev["version"] != "1.0" || ev["workspace_id"] != e.ws.ID {
			t.Fatalf("event %v", ev)
		}
		if n := len(e.must(200, "GET", "/api/v1/events?type=conversation.ended", e.reader, nil).data(t)); n != 1 {
			t.Fatalf("exact type filter: %d events", n)
		}
		if n := len(e.must(200, "GET", "/api/v1/events?since=2999-01-01T00:00:00Z", e.reader, nil).data(t)); n != 0 {
			t.Fatalf("since filter: %d events", n)
		}

		filtered := e.must(200, "GET", "/api/v1/conversations?status=ended&channel_id="+channelID, e.reader, nil).data(t)
		if len(filtered) != 1 || filtered[0]["id"] != convID {
			t.Fatalf("filtered conversations %v", filtered)
		}
		if n := len(e.must(200, "GET", "/api/v1/conversations?status=active", e.reader, nil).data(t)); n != 0 {
			t.Fatalf("%d active conversations", n)
		}
		// The contact's next conversation can start now that this one ended.
		e.must(201, "POST", "/api/v1/conversations", e.admin, map[string]any{"channel_id": channelID, "contact_id": contactID})
	})
}

func TestMessagesAndContacts(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		channelID, convID, contactID := e.conversationFixture(t)
		m := e.must(202, "POST", "/api/v1/conversations/"+convID+"/messages", e.admin, map[string]any{"text": "Hello from an agent", "sender": "agent"}).obj(t)
		if m["status"] != "queued" || m["direction"] != "outbound" || m["sender"] != "agent" {
			t.Fatalf("message %v", m)
		}
		msgID := m["id"].(string)
		// A backslash followed by "u0000" is text, not a NUL character.
		literal := e.must(202, "POST", "/api/v1/conversations/"+convID+"/messages", e.admin, `{"text":"a\\u0000b","sender":"agent"}`).obj(t)
		if literal["text"] != `a\u0000b` {
			t.Fatalf("text %q", literal["text"])
		}
		e.must(200, "GET", "/api/v1/conversations/"+convID+"/messages/"+msgID, e.reader, nil)
		proactive := e.must(202, "POST", "/api/v1/messages", e.admin, map[string]any{"channel_id": channelID, "user_id": "u1", "text": "A proactive hello"}).obj(t)
		if proactive["conversation_id"] != convID {
			t.Fatalf("a proactive message must reuse the open conversation: %v", proactive)
		}
		newUser := e.must(202, "POST", "/api/v1/messages", e.admin, map[string]any{"channel_id": channelID, "user_id": "u2", "text": "Hi"}).obj(t)
		if newUser["conversation_id"] == convID {
			t.Fatal("a new user must get a new conversation")
		}
		msgs := e.must(200, "GET", "/api/v1/conversations/"+convID+"/messages", e.reader, nil).data(t)
		if len(msgs) != 3 || msgs[0]["id"] != proactive["id"] {
			t.Fatalf("messages newest first: %v", msgs)
		}

		c := e.must(200, "PATCH", "/api/v1/contacts/"+contactID, e.admin, map[string]any{"name": "Uma", "email": "uma@example.com", "phone": "+15551234567", "attributes": map[string]any{"vip": true}}).obj(t)
		if c["name"] != "Uma" || c["external_id"] != "u1" || c["attributes"].(map[string]any)["vip"] != true {
			t.Fatalf("contact %v", c)
		}
		e.must(400, "PATCH", "/api/v1/contacts/"+contactID, e.admin, map[string]any{"email": "not an email"}).problem(t, 400, sb.EInvalid, "email")
		if n := len(e.must(200, "GET", "/api/v1/contacts?channel_id="+channelID, e.reader, nil).data(t)); n != 2 {
			t.Fatalf("%d contacts", n)
		}
		e.must(200, "GET", "/api/v1/contacts/"+contactID, e.reader, nil)

		e.must(204, "DELETE", "/api/v1/conversations/"+convID, e.admin, nil)
		e.must(404, "GET", "/api/v1/conversations/"+convID+"/messages/"+msgID, e.admin, nil)
		if _, err := e.db.GetMessage(context.Background(), e.ws.ID, convID, msgID); sb.ErrorCode(err) != sb.ENotFound {
			t.Fatalf("deleting a conversation must erase its messages: %v", err)
		}
		e.must(404, "GET", "/api/v1/conversations/"+convID+"/messages", e.admin, nil)
	})
}

func TestAPIKeys(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		k := e.must(201, "POST", "/api/v1/api-keys", e.admin, map[string]any{"name": "ci", "scopes": []string{"read:bots"}}).obj(t)
		secretValue := k["key"].(string)
		if !strings.HasPrefix(secretValue, "sbk_") || k["prefix"] != secretValue[:12] {
			t.Fatalf("key %v", k)
		}
		id := k["id"].(string)
		e.must(200, "GET", "/api/v1/bots", secretValue, nil)
		e.must(403, "POST", "/api/v1/bots", secretValue, builtinBot).problem(t, 403, sb.EForbidden, "")
		e.must(403, "GET", "/api/v1/api-keys", secretValue, nil)
		got := e.must(200, "GET", "/api/v1/api-keys/"+id, e.admin, nil)
		if strings.Contains(string(got.body), secretValue) || got.obj(t)["last_used_at"] == nil {
			t.Fatalf("key %s", got.body)
		}
		e.must(200, "GET", "/api/v1/api-keys", e.admin, nil)
		e.must(204, "DELETE", "/api/v1/api-keys/"+id, e.admin, nil)
		e.must(401, "GET", "/api/v1/bots", secretValue, nil).problem(t, 401, sb.EUnauthorized, "")
		if e.must(200, "GET", "/api/v1/api-keys/"+id, e.admin, nil).obj(t)["revoked_at"] == nil {
			t.Fatal("revoked_at not set")
		}
		e.must(400, "POST", "/api/v1/api-keys", e.admin, map[string]any{"name": "x", "scopes": []string{"root"}}).problem(t, 400, sb.EInvalid, "scopes")
	})
}

func TestEventTypesAndOperations(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	types := e.must(200, "GET", "/api/v1/event-types", e.reader, nil).data(t)
	if len(types) != len(sb.EventTypes) || types[0]["schema"] == nil || types[0]["description"] == "" {
		t.Fatalf("event types %v", types)
	}
	e.must(200, "GET", "/healthz", "", nil)
	e.must(200, "GET", "/readyz", "", nil)
	doc := e.must(200, "GET", "/api/v1/openapi.json", "", nil)
	if !strings.Contains(string(doc.body), `"openapi": "3.1`) && !strings.Contains(string(doc.body), `"openapi":"3.1`) {
		t.Fatalf("document %.100s", doc.body)
	}
	m := e.must(200, "GET", "/metrics", "", nil)
	if !strings.Contains(string(m.body), `switchboard_http_requests_total{method="GET",route="GET /readyz",status="200"} 1`) {
		t.Fatalf("metrics lack the request count:\n%s", m.body)
	}
	if r := e.call(http.MethodGet, "/api/v1/nope", e.admin, nil); r.status != 404 {
		t.Fatalf("unknown path: %d", r.status)
	}
}
