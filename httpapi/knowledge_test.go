package httpapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/tmpl"
)

func init() {
	goodBodies["POST /api/v1/knowledge"] = `{"key":"hours","text":"9-5"}`
	badBodies["POST /api/v1/knowledge"] = struct{ wrongType, wrongField, missing, missingField string }{
		`{"key":5}`, "key", `{"text":"no key"}`, "key"}
}

// newContact stores a contact of the env's workspace on a new channel.
func (e *env) newContact(t *testing.T, ws *sb.Workspace, email, phone string) *sb.Contact {
	t.Helper()
	ctx := context.Background()
	ch := &sb.Channel{WorkspaceID: ws.ID, Type: sb.ChannelAPI, Name: "app", Status: sb.ChannelConnected}
	if err := e.db.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	c := &sb.Contact{WorkspaceID: ws.ID, ChannelID: ch.ID, ExternalID: "u1", Name: "Ada", Email: email, Phone: phone}
	if err := e.db.CreateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestKnowledge(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		ct := e.newContact(t, e.ws, "Ada@Example.com", "+44 7700 900123")
		writer := e.key(e.ws, sb.ScopeWriteKnowledge)
		reader := e.key(e.ws, sb.ScopeReadKnowledge)
		expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)

		// Create, then replace: same key and subject, same id.
		order := map[string]any{"key": "order.latest", "email": "ADA@example.com", "text": "Order 1001",
			"data": map[string]any{"status": "shipped", "total": 12.5}, "expires_at": expires}
		created := e.must(201, "POST", "/api/v1/knowledge", writer, order).obj(t)
		id, _ := created["id"].(string)
		if !sb.HasPrefix(id, sb.PrefixFact) || created["email"] != "ada@example.com" || created["source"] != "api" ||
			created["expires_at"] != expires || created["contact_id"] != nil || created["phone"] != nil {
			t.Fatalf("created %v", created)
		}
		order["text"], order["data"] = "Order 1001 delivered", map[string]any{"status": "delivered"}
		delete(order, "expires_at")
		replaced := e.must(200, "POST", "/api/v1/knowledge", writer, order).obj(t)
		if replaced["id"] != id || replaced["text"] != "Order 1001 delivered" || replaced["expires_at"] != nil ||
			replaced["created_at"] != created["created_at"] {
			t.Fatalf("replaced %v (created %v)", replaced, created)
		}
		got := e.must(200, "GET", "/api/v1/knowledge/"+id, reader, nil).obj(t)
		if got["data"].(map[string]any)["status"] != "delivered" {
			t.Fatalf("got %v", got)
		}

		byContact := e.must(201, "POST", "/api/v1/knowledge", writer, map[string]any{"key": "order.latest",
			"contact_id": ct.ID, "text": "Your own order", "email": nil}).str(t, "id")
		byPhone := e.must(201, "POST", "/api/v1/knowledge", writer, map[string]any{"key": "plan",
			"phone": "447700900123", "data": map[string]any{"tier": "gold"}}).obj(t)
		if byPhone["phone"] != "+447700900123" || byPhone["text"] != "" {
			t.Fatalf("phone fact %v", byPhone)
		}
		hours := e.must(201, "POST", "/api/v1/knowledge", writer, map[string]any{"key": "hours", "text": "9-5"}).str(t, "id")
		e.must(201, "POST", "/api/v1/knowledge", e.admin, map[string]any{"key": "order.1001", "email": "ada@example.com", "text": "x"})

		// The templates see them, with their precedence.
		vars := tmpl.Vars{WorkspaceID: e.ws.ID, Contact: ct, Facts: e.db}
		text, err := vars.Fill(context.Background(), "{{knowledge.order.latest}} / {{knowledge.plan.tier}} / {{knowledge.hours}}")
		if err != nil || text != "Your own order / gold / 9-5" {
			t.Fatalf("filled %q, %v", text, err)
		}

		// Lists and their filters.
		ids := func(path string) string {
			t.Helper()
			var out []string
			for _, f := range e.must(200, "GET", path, reader, nil).data(t) {
				out = append(out, f["id"].(string))
			}
			return strings.Join(out, ",")
		}
		all := ids("/api/v1/knowledge")
		if strings.Count(all, ",") != 4 {
			t.Fatalf("all facts: %s", all)
		}
		if got := ids("/api/v1/knowledge?key=order.*&email=ada%40EXAMPLE.com"); strings.Count(got, ",") != 1 || !strings.HasSuffix(got, id) {
			t.Fatalf("order.* of the email: %s", got)
		}
		if got := ids("/api/v1/knowledge?key=order.latest"); got != byContact+","+id {
			t.Fatalf("key=order.latest: %s", got)
		}
		if got := ids("/api/v1/knowledge?contact_id=" + ct.ID); got != byContact {
			t.Fatalf("contact_id: %s", got)
		}
		if got := ids("/api/v1/knowledge?phone=" + url.QueryEscape("+44 7700 900123")); got != byPhone["id"] {
			t.Fatalf("phone: %s", got)
		}
		if got := ids("/api/v1/knowledge?source=int_x"); got != "" {
			t.Fatalf("source=int_x: %s", got)
		}
		if got := ids("/api/v1/knowledge?key=hours&source=api"); got != hours {
			t.Fatalf("key=hours: %s", got)
		}
		page := e.must(200, "GET", "/api/v1/knowledge?limit=2", reader, nil)
		if len(page.data(t)) != 2 || page.str(t, "next_cursor") == "" {
			t.Fatalf("first page %s", page.body)
		}
		next := e.must(200, "GET", "/api/v1/knowledge?limit=2&cursor="+url.QueryEscape(page.str(t, "next_cursor")), reader, nil)
		if d := next.data(t); len(d) != 2 || d[0]["id"] == page.data(t)[1]["id"] {
			t.Fatalf("second page %s", next.body)
		}
		e.call("GET", "/api/v1/knowledge?key=a..b", reader, nil).problem(t, 400, sb.EInvalid, "key")
		e.call("GET", "/api/v1/knowledge?key=a%20*", reader, nil).problem(t, 400, sb.EInvalid, "key")

		// Scopes and workspaces.
		e.call("POST", "/api/v1/knowledge", reader, map[string]any{"key": "k", "text": "x"}).problem(t, 403, sb.EForbidden, "")
		e.call("GET", "/api/v1/knowledge", writer, nil).problem(t, 403, sb.EForbidden, "")
		e.call("GET", "/api/v1/knowledge", e.reader, nil).problem(t, 403, sb.EForbidden, "")
		e.call("GET", "/api/v1/knowledge/"+id, e.other, nil).problem(t, 404, sb.ENotFound, "")
		e.call("DELETE", "/api/v1/knowledge/"+id, e.other, nil).problem(t, 404, sb.ENotFound, "")
		if d := e.must(200, "GET", "/api/v1/knowledge", e.other, nil).data(t); len(d) != 0 {
			t.Fatalf("another workspace lists %v", d)
		}
		e.call("GET", "/api/v1/knowledge/ct_01JHF3Q8R5ZK7M2W9XN4T6B0CD", reader, nil).problem(t, 404, sb.ENotFound, "")
		// A contact of another workspace is no contact here.
		stranger := e.newContact(t, e.workspace("third"), "", "")
		e.call("POST", "/api/v1/knowledge", writer, map[string]any{"key": "k", "contact_id": stranger.ID, "text": "x"}).
			problem(t, 400, sb.EInvalid, "contact_id")

		// Delete.
		e.must(204, "DELETE", "/api/v1/knowledge/"+hours, writer, nil)
		e.call("GET", "/api/v1/knowledge/"+hours, reader, nil).problem(t, 404, sb.ENotFound, "")
		e.call("DELETE", "/api/v1/knowledge/"+hours, writer, nil).problem(t, 404, sb.ENotFound, "")
		if _, err := vars.Fill(context.Background(), "{{knowledge.hours}}"); sb.ErrorCode(err) != sb.EInvalid {
			t.Fatalf("a deleted fact still fills: %v", err)
		}
	})
}

func TestKnowledgeValidation(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		ct := e.newContact(t, e.ws, "", "")
		past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		cases := []struct {
			body  string
			field string
		}{
			{`{"text":"no key"}`, "key"},
			{`{"key":"","text":"x"}`, "key"},
			{`{"key":"a..b","text":"x"}`, "key"},
			{`{"key":"a b","text":"x"}`, "key"},
			{`{"key":"` + strings.Repeat("k", 201) + `","text":"x"}`, "key"},
			{`{"key":"k"}`, "text"},
			{`{"key":"k","text":"","data":null}`, "text"},
			{`{"key":"k","text":"` + strings.Repeat("é", 4097) + `"}`, "text"},
			{`{"key":"k","data":[1]}`, "data"},
			{`{"key":"k","data":"s"}`, "data"},
			{`{"key":"k","data":{"big":"` + strings.Repeat("x", 64<<10) + `"}}`, "data"},
			{`{"key":"k","text":"x","email":"a@b.c","phone":"+1 555"}`, "contact_id"},
			{`{"key":"k","text":"x","contact_id":"` + ct.ID + `","email":"a@b.c"}`, "contact_id"},
			{`{"key":"k","text":"x","contact_id":"bot_01JHF3Q8R5ZK7M2W9XN4T6B0CD"}`, "contact_id"},
			{`{"key":"k","text":"x","contact_id":"ct_01JHF3Q8R5ZK7M2W9XN4T6B0CD"}`, "contact_id"},
			{`{"key":"k","text":"x","email":"not an email"}`, "email"},
			{`{"key":"k","text":"x","phone":"call me"}`, "phone"},
			{`{"key":"k","text":"x","phone":"+()"}`, "phone"},
			{`{"key":"k","text":"x","expires_at":"tomorrow"}`, "expires_at"},
			{`{"key":"k","text":"x","expires_at":"` + past + `"}`, "expires_at"},
			{`{"key":"k","text":"x","source":"int_1"}`, "source"},
			{`{"key":"k","text":7}`, "text"},
			{`null`, "body"},
			{`[]`, "body"},
		}
		for _, c := range cases {
			e.call("POST", "/api/v1/knowledge", e.admin, c.body).problem(t, 400, sb.EInvalid, c.field)
		}
		if d := e.must(200, "GET", "/api/v1/knowledge", e.admin, nil).data(t); len(d) != 0 {
			t.Fatalf("refused facts were stored: %v", d)
		}
		// Empty and null subjects are no subject: a workspace fact.
		f := e.must(201, "POST", "/api/v1/knowledge", e.admin, `{"key":"k","text":"x","email":"","phone":null,"contact_id":""}`).obj(t)
		if f["email"] != nil || f["phone"] != nil || f["contact_id"] != nil {
			t.Fatalf("workspace fact %v", f)
		}
		// A repeat with an Idempotency-Key replays the first answer.
		body := `{"key":"idem","text":"x"}`
		first := e.must(201, "POST", "/api/v1/knowledge", e.admin, body, "Idempotency-Key", "fact-1")
		again := e.must(201, "POST", "/api/v1/knowledge", e.admin, body, "Idempotency-Key", "fact-1")
		if string(first.body) != string(again.body) {
			t.Fatalf("replay differs:\n%s\n%s", first.body, again.body)
		}
	})
}

// TestKnowledgeExpiry: expired facts are not shown, listed, deleted or
// used, and the purge removes them.
func TestKnowledgeExpiry(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		ctx := context.Background()
		// The API refuses an expiry in the past: write expiring facts as an
		// integration would, then let them expire.
		past := time.Now().Add(-time.Second)
		var expired []string
		for i := range 3 {
			f, _, err := e.db.UpsertFact(ctx, &sb.Fact{WorkspaceID: e.ws.ID, Key: "old." + string(rune('a'+i)), Text: "x",
				Source: "int_shop", ExpiresAt: &past})
			if err != nil {
				t.Fatal(err)
			}
			expired = append(expired, f.ID)
		}
		live := e.must(201, "POST", "/api/v1/knowledge", e.admin, map[string]any{"key": "old.z", "text": "live",
			"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}).str(t, "id")
		for _, id := range expired {
			e.call("GET", "/api/v1/knowledge/"+id, e.admin, nil).problem(t, 404, sb.ENotFound, "")
			e.call("DELETE", "/api/v1/knowledge/"+id, e.admin, nil).problem(t, 404, sb.ENotFound, "")
		}
		list := e.must(200, "GET", "/api/v1/knowledge?key=old.*", e.admin, nil).data(t)
		if len(list) != 1 || list[0]["id"] != live {
			t.Fatalf("list shows expired facts: %v", list)
		}
		if _, err := (tmpl.Vars{WorkspaceID: e.ws.ID, Facts: e.db}).Fill(ctx, "{{knowledge.old.a}}"); sb.ErrorCode(err) != sb.EInvalid {
			t.Fatalf("an expired fact fills: %v", err)
		}

		ops := app.New(app.Config{}, app.Deps{Store: e.db})
		n, err := ops.PurgeExpiredFacts(ctx)
		if err != nil || n != 3 {
			t.Fatalf("purged %d, %v; want 3", n, err)
		}
		for _, id := range expired {
			if _, err := e.db.GetFact(ctx, e.ws.ID, id); sb.ErrorCode(err) != sb.ENotFound {
				t.Fatalf("expired fact %s not purged: %v", id, err)
			}
		}
		if _, err := e.db.GetFact(ctx, e.ws.ID, live); err != nil {
			t.Fatalf("live fact purged: %v", err)
		}
		if n, err := ops.PurgeExpiredFacts(ctx); err != nil || n != 0 {
			t.Fatalf("second purge: %d, %v", n, err)
		}
		var shown map[string]any
		_ = json.Unmarshal(e.must(200, "GET", "/api/v1/knowledge/"+live, e.admin, nil).body, &shown)
		if shown["text"] != "live" {
			t.Fatalf("live fact %v", shown)
		}
	})
}
