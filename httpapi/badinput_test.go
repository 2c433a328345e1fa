package httpapi_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// fixtures are real resources of the workspace under test, to put in paths.
type fixtures map[string]string

func (e *env) fixtures(t *testing.T) fixtures {
	botID := e.must(201, "POST", "/api/v1/bots", e.admin, builtinBot).str(t, "id")
	channelID, convID, contactID := e.conversationFixture(t)
	msgID := e.must(202, "POST", "/api/v1/conversations/"+convID+"/messages", e.admin, map[string]any{"text": "hi", "sender": "agent"}).str(t, "id")
	keyID := e.must(201, "POST", "/api/v1/api-keys", e.admin, map[string]any{"name": "k", "scopes": []string{"read:bots"}}).str(t, "id")
	evID := e.must(200, "GET", "/api/v1/events?limit=1", e.admin, nil).data(t)[0]["id"].(string)
	epID := e.must(201, "POST", "/api/v1/webhooks", e.admin, map[string]any{"url": "https://1.2.3.4/hook"}).str(t, "id")
	dlvID := e.must(202, "POST", "/api/v1/webhooks/"+epID+"/test", e.admin, map[string]any{}).str(t, "id")
	intID := e.must(201, "POST", "/api/v1/integrations", e.admin, map[string]any{"type": "http", "name": "Desk",
		"config": map[string]any{"url": "https://1.2.3.4/tickets"}}).str(t, "id")
	runID := e.must(202, "POST", "/api/v1/integrations/"+intID+"/actions/call", e.admin, map[string]any{"params": map[string]any{}}).str(t, "id")
	autID := e.must(201, "POST", "/api/v1/automations", e.admin, map[string]any{"name": "a", "integration_id": intID, "action": "call"}).str(t, "id")
	factID := e.must(201, "POST", "/api/v1/knowledge", e.admin, map[string]any{"key": "hours", "text": "9-5"}).str(t, "id")
	f := fixtures{"bots": botID, "channels": channelID, "conversations": convID, "contacts": contactID,
		"messages": msgID, "api-keys": keyID, "events": evID, "webhooks": epID, "deliveries": dlvID,
		"integrations": intID, "runs": runID, "automations": autID, "knowledge": factID}
	f["users"] = e.must(201, "POST", "/api/v1/users", e.admin, map[string]any{"email": "fixture@example.com", "role": "agent", "password": "correct horse battery"}).str(t, "id")
	f["oauth-clients"] = e.must(201, "POST", "/api/v1/oauth-clients", e.admin, map[string]any{"name": "c", "grant_types": []string{"client_credentials"}, "scopes": []string{"read:bots"}}).str(t, "id")
	return f
}

// path fills the parameters of a route pattern with fixture ids.
func (f fixtures) path(pattern string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		switch p {
		case "{id}":
			parts[i] = f[parts[i-1]]
		case "{message_id}":
			parts[i] = f["messages"]
		case "{action}":
			parts[i] = "call"
		}
	}
	return strings.Join(parts, "/")
}

// snapshot lists everything a workspace holds, to prove bad requests
// change nothing.
func (e *env) snapshot(t *testing.T) string {
	var b strings.Builder
	for _, p := range []string{"/api/v1/bots", "/api/v1/channels", "/api/v1/contacts", "/api/v1/conversations", "/api/v1/events",
		"/api/v1/knowledge"} {
		b.Write(e.must(200, "GET", p+"?limit=200", e.admin, nil).body)
	}
	keys := e.must(200, "GET", "/api/v1/api-keys?limit=200", e.admin, nil).data(t)
	for _, k := range keys {
		delete(k, "last_used_at")
	}
	out, _ := json.Marshal(keys)
	b.Write(out)
	return b.String()
}

// TestAuthEveryRoute sends every authenticated route no token, a bad
// token, a token lacking the scope, and (for routes naming a resource) a
// token of another workspace.
func TestAuthEveryRoute(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		f := e.fixtures(t)
		// A key lacking the route's scope: read:bots, or read:channels for
		// the routes read:bots grants.
		readBots, readChannels := e.key(e.ws, sb.ScopeReadBots), e.key(e.ws, sb.ScopeReadChannels)
		before := e.snapshot(t)
		for _, r := range e.api.Routes() {
			if r.Scope == "" {
				continue
			}
			path := f.path(r.Path)
			body := goodBodies[r.Method+" "+r.Path]
			e.call(r.Method, path, "", body).problem(t, 401, sb.EUnauthorized, "")
			e.call(r.Method, path, "sbk_not-a-real-key", body).problem(t, 401, sb.EUnauthorized, "")
			e.call(r.Method, path, e.admin, body, "Authorization", "Basic abc").problem(t, 401, sb.EUnauthorized, "")
			unrelated := readBots
			if r.Scope == sb.ScopeReadBots {
				unrelated = readChannels
			}
			e.call(r.Method, path, unrelated, body).problem(t, 403, sb.EForbidden, "")
			if strings.Contains(r.Path, "{id}") {
				e.call(r.Method, path, e.other, body).problem(t, 404, sb.ENotFound, "")
			}
		}
		if after := e.snapshot(t); after != before {
			t.Fatalf("refused requests changed stored data:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// goodBodies are valid bodies, so that a refusal is for the credentials.
var goodBodies = map[string]string{
	"POST /api/v1/api-keys":                           `{"name":"k","scopes":["admin"]}`,
	"POST /api/v1/bots":                               `{"name":"b","engine":"builtin"}`,
	"PUT /api/v1/bots/{id}/config":                    `{"fallback":"?"}`,
	"POST /api/v1/bots/{id}/deploy":                   `{}`,
	"POST /api/v1/bots/{id}/parse":                    `{"text":"hi"}`,
	"POST /api/v1/channels":                           `{"type":"api","name":"a"}`,
	"PATCH /api/v1/channels/{id}":                     `{"name":"n"}`,
	"PATCH /api/v1/contacts/{id}":                     `{"name":"n"}`,
	"POST /api/v1/conversations":                      `{"channel_id":"ch_01ARZ3NDEKTSV4RRFFQ69G5FAV","user_id":"u"}`,
	"PUT /api/v1/conversations/{id}":                  `{"status":"handoff"}`,
	"POST /api/v1/conversations/{id}/messages":        `{"text":"hi","sender":"agent"}`,
	"POST /api/v1/messages":                           `{"channel_id":"ch_01ARZ3NDEKTSV4RRFFQ69G5FAV","user_id":"u","text":"hi"}`,
	"POST /api/v1/webhooks":                           `{"url":"https://1.2.3.4/hook"}`,
	"PATCH /api/v1/webhooks/{id}":                     `{"description":"d"}`,
	"POST /api/v1/webhooks/{id}/rotate-secret":        `{"grace_period_seconds":0}`,
	"POST /api/v1/webhooks/{id}/test":                 `{}`,
	"POST /api/v1/webhooks/{id}/replay":               `{"since":"2026-01-01T00:00:00Z"}`,
	"POST /api/v1/deliveries/{id}/retry":              `{}`,
	"POST /api/v1/integrations":                       `{"type":"http","name":"d","config":{"url":"https://1.2.3.4/x"}}`,
	"PATCH /api/v1/integrations/{id}":                 `{"name":"n"}`,
	"POST /api/v1/integrations/{id}/actions/{action}": `{"params":{}}`,
	"POST /api/v1/automations":                        `{"name":"a","integration_id":"int_01ARZ3NDEKTSV4RRFFQ69G5FAV","action":"call"}`,
	"PATCH /api/v1/automations/{id}":                  `{"name":"n"}`,

	"POST /api/v1/users":               `{"email":"new@example.com","role":"agent","password":"correct horse battery"}`,
	"PATCH /api/v1/users/{id}":         `{"name":"n"}`,
	"POST /api/v1/oauth-clients":       `{"name":"c","grant_types":["client_credentials"],"scopes":["read:bots"]}`,
	"PATCH /api/v1/oauth-clients/{id}": `{"name":"n"}`,
}

// bodyless are the POST routes that take no body (actions on a resource);
// a body sent to them is ignored.
var bodyless = map[string]bool{
	"POST /api/v1/channels/{id}/register":     true,
	"POST /api/v1/bots/{id}/train":            true,
	"POST /api/v1/integrations/{id}/register": true,
}

// optionalBodies are the action routes whose fields all have defaults: an
// empty body takes them (webhooks_test.go), anything else is checked.
var optionalBodies = map[string]bool{
	"POST /api/v1/webhooks/{id}/rotate-secret":        true,
	"POST /api/v1/webhooks/{id}/test":                 true,
	"POST /api/v1/deliveries/{id}/retry":              true,
	"POST /api/v1/bots/{id}/deploy":                   true,
	"POST /api/v1/integrations/{id}/actions/{action}": true,
}

// badBodies lists, per route with a body, a body with a wrong type and a
// body missing a required field, with the field each must name.
var badBodies = map[string]struct{ wrongType, wrongField, missing, missingField string }{
	"POST /api/v1/api-keys":                           {`{"name":5}`, "name", `{"scopes":["admin"]}`, "name"},
	"POST /api/v1/bots":                               {`{"name":5}`, "name", `{"engine":"builtin"}`, "name"},
	"PUT /api/v1/bots/{id}/config":                    {`{"intents":5}`, "config.intents", `{"intents":[{"name":"x"}]}`, "config.intents[0].examples"},
	"POST /api/v1/bots/{id}/deploy":                   {`{"version":"2"}`, "version", `{"version":0}`, "version"},
	"POST /api/v1/bots/{id}/parse":                    {`{"text":5}`, "text", `{"version":1}`, "text"},
	"POST /api/v1/channels":                           {`{"type":5}`, "type", `{"name":"x"}`, "type"},
	"PATCH /api/v1/channels/{id}":                     {`{"name":5}`, "name", `{"name":""}`, "name"},
	"PATCH /api/v1/contacts/{id}":                     {`{"email":5}`, "email", `{"email":"nope"}`, "email"},
	"POST /api/v1/conversations":                      {`{"channel_id":5}`, "channel_id", `{}`, "channel_id"},
	"PUT /api/v1/conversations/{id}":                  {`{"status":5}`, "status", `{"status":"paused"}`, "status"},
	"POST /api/v1/conversations/{id}/messages":        {`{"text":5}`, "text", `{"sender":"agent"}`, "text"},
	"POST /api/v1/messages":                           {`{"text":5}`, "text", `{"text":"x"}`, "channel_id"},
	"POST /api/v1/webhooks":                           {`{"url":5}`, "url", `{"description":"no url"}`, "url"},
	"PATCH /api/v1/webhooks/{id}":                     {`{"url":5}`, "url", `{"status":"paused"}`, "status"},
	"POST /api/v1/webhooks/{id}/rotate-secret":        {`{"grace_period_seconds":"1d"}`, "grace_period_seconds", `{"grace_period_seconds":-1}`, "grace_period_seconds"},
	"POST /api/v1/webhooks/{id}/test":                 {`{"message":5}`, "message", `{"message":""}`, "message"},
	"POST /api/v1/webhooks/{id}/replay":               {`{"since":5}`, "since", `{"status":"failed"}`, "since"},
	"POST /api/v1/deliveries/{id}/retry":              {`"now"`, "body", `null`, "body"},
	"POST /api/v1/integrations":                       {`{"type":5}`, "type", `{"name":"x"}`, "type"},
	"PATCH /api/v1/integrations/{id}":                 {`{"name":5}`, "name", `{"name":""}`, "name"},
	"POST /api/v1/integrations/{id}/actions/{action}": {`{"params":5}`, "params", `{"conversation_id":"x"}`, "conversation_id"},
	"POST /api/v1/automations":                        {`{"name":5}`, "name", `{"name":"a"}`, "integration_id"},
	"PATCH /api/v1/automations/{id}":                  {`{"name":5}`, "name", `{"name":null}`, "name"},

	"POST /api/v1/users":               {`{"email":5}`, "email", `{"email":"a@example.com","password":"correct horse battery"}`, "role"},
	"PATCH /api/v1/users/{id}":         {`{"role":5}`, "role", `{"password":"short"}`, "password"},
	"POST /api/v1/oauth-clients":       {`{"name":5}`, "name", `{"name":"c","scopes":["read:bots"]}`, "grant_types"},
	"PATCH /api/v1/oauth-clients/{id}": {`{"scopes":"admin"}`, "scopes", `{"scopes":["root"]}`, "scopes[0]"},
}

// TestBadBodies sends every route with a body malformed JSON, wrong types,
// unknown fields, missing fields, no body and an oversized body; each gets a
// problem naming the field, and nothing changes.
func TestBadBodies(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		f := e.fixtures(t)
		before := e.snapshot(t)
		seen := map[string]bool{}
		for _, r := range e.api.Routes() {
			if r.Method != "POST" && r.Method != "PUT" && r.Method != "PATCH" {
				continue
			}
			name := r.Method + " " + r.Path
			if bodyless[name] || r.Scope == "" {
				continue // inbound hooks take the platforms' bodies: hooks_test.go
			}
			bad, ok := badBodies[name]
			if !ok {
				t.Errorf("no bad-body cases for %s", name)
				continue
			}
			seen[name] = true
			path := f.path(r.Path)
			t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
				e.call(r.Method, path, e.admin, `{"name": `).problem(t, 400, sb.EInvalid, "body")
				e.call(r.Method, path, e.admin, `[1,2]`).problem(t, 400, sb.EInvalid, "")
				e.call(r.Method, path, e.admin, `{} {}`).problem(t, 400, sb.EInvalid, "body")
				if !optionalBodies[name] {
					e.call(r.Method, path, e.admin, "").problem(t, 400, sb.EInvalid, "body")
				}
				e.call(r.Method, path, e.admin, `{"name":"a\u0000b","text":"\u0000"}`).problem(t, 400, sb.EInvalid, "body")
				e.call(r.Method, path, e.admin, `{"zzz_unknown":1}`).problem(t, 400, sb.EInvalid, unknownField(name))
				e.call(r.Method, path, e.admin, bad.wrongType).problem(t, 400, sb.EInvalid, bad.wrongField)
				e.call(r.Method, path, e.admin, bad.missing).problem(t, 400, sb.EInvalid, bad.missingField)
				huge := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
				e.call(r.Method, path, e.admin, huge).problem(t, 413, sb.EPayloadTooLarge, "")
			})
		}
		for name := range badBodies {
			if !seen[name] {
				t.Errorf("bad-body cases for a route that does not exist: %s", name)
			}
		}
		if after := e.snapshot(t); after != before {
			t.Fatalf("bad requests changed stored data:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// unknownField is the field an unknown top-level field is reported as: the
// bot config PUT takes the config itself as its body.
func unknownField(route string) string {
	if strings.HasSuffix(route, "/config") {
		return "config.zzz_unknown"
	}
	return "zzz_unknown"
}

// TestBadQueries checks list parameters.
func TestBadQueries(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	var lists []string
	for _, r := range e.api.Routes() {
		if r.Method == "GET" && r.Scope != "" && !strings.Contains(r.Path, "{") && r.Path != "/api/v1/event-types" {
			lists = append(lists, r.Path)
		}
	}
	sort.Strings(lists)
	for _, p := range lists {
		for _, q := range []string{"limit=0", "limit=201", "limit=x", "cursor=!!!", "cursor=Ym90XzE"} {
			field := strings.SplitN(q, "=", 2)[0]
			e.call("GET", p+"?"+q, e.admin, nil).problem(t, 400, sb.EInvalid, field)
		}
	}
	e.call("GET", "/api/v1/events?type=nope.*", e.admin, nil).problem(t, 400, sb.EInvalid, "type")
	e.call("GET", "/api/v1/events?since=yesterday", e.admin, nil).problem(t, 400, sb.EInvalid, "since")
	e.call("GET", "/api/v1/conversations?status=open", e.admin, nil).problem(t, 400, sb.EInvalid, "status")
	e.call("GET", "/api/v1/bots/not-an-id", e.admin, nil).problem(t, 404, sb.ENotFound, "")
}
