package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

var factPath = regexp.MustCompile(`^/knowledge/(kn_[0-9A-Za-z]+)$`)

// TestKnowledgePages adds facts through the form (refusals naming their
// fields), searches them by key prefix and subject, replaces one, expires
// one and deletes one after confirmations, and pages through many.
func TestKnowledgePages(t *testing.T) {
	s := newOpsStack(t)
	ctx := context.Background()
	body := s.open(t, "/knowledge", 200)
	if !strings.Contains(body, "No facts.") {
		t.Fatalf("empty knowledge page:\n%s", body)
	}
	s.open(t, "/knowledge/new", 200)

	bad := url.Values{"key": {"not a key!"}, "subject": {"email"}, "who": {"nobody"}, "text": {evilText}, "data": {`{"status": `},
		"expires_at": {"2001-01-01T00:00"}}
	_, body = s.submit(t, "/knowledge/new", bad, 400)
	if !strings.Contains(body, `id="fact-data-error"`) {
		t.Fatalf("bad data names no field:\n%s", body)
	}
	showsEscaped(t, "refused fact form", body)
	bad.Set("data", `{"status": "shipped"}`)
	_, body = s.submit(t, "/knowledge/new", bad, 400)
	for _, id := range []string{"fact-key-error", "fact-who-error", "fact-expires-error"} {
		if !strings.Contains(body, `id="`+id+`"`) {
			t.Fatalf("refused fact: no %s:\n%s", id, body)
		}
	}
	_, body = s.submit(t, "/knowledge/new", url.Values{"key": {"hours"}, "subject": {"phone"}, "text": {"x"}}, 400)
	if !strings.Contains(body, `id="fact-who-error"`) {
		t.Fatal("a phone fact without a phone names no field")
	}

	later := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")
	loc, _ := s.submit(t, "/knowledge/new", url.Values{"key": {"order.latest"}, "subject": {"email"}, "who": {"Ada@Example.com"},
		"text": {"Order 1001 " + evilText}, "data": {`{"status": "shipped", "tracking": "ZX9"}`}, "expires_at": {later}}, http.StatusSeeOther)
	m := factPath.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("added: %s", loc)
	}
	orderID := m[1]
	body = s.open(t, loc, 200)
	showsEscaped(t, "fact page", body)
	for _, want := range []string{"about email ada@example.com", "&#34;tracking&#34;: &#34;ZX9&#34;", "was added", `value="` + later + `"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("fact page lacks %q:\n%s", want, body)
		}
	}
	// The same key and subject replace it.
	loc, _ = s.submit(t, "/knowledge/new", url.Values{"key": {"order.latest"}, "subject": {"email"}, "who": {"ada@example.com"},
		"text": {"Order 1001 delivered"}}, http.StatusSeeOther)
	if loc != "/knowledge/"+orderID {
		t.Fatalf("replaced: %s", loc)
	}
	if body := s.open(t, loc, 200); !strings.Contains(body, "was replaced") || !strings.Contains(body, "Order 1001 delivered") {
		t.Fatal("not replaced")
	}
	s.submit(t, "/knowledge/new", url.Values{"key": {"hours"}, "subject": {"workspace"}, "text": {"9 to 5"}}, http.StatusSeeOther)
	s.submit(t, "/knowledge/new", url.Values{"key": {"order.1001"}, "subject": {"phone"}, "who": {"+1 (555) 010-9999"}, "text": {"by phone"}}, http.StatusSeeOther)

	search := func(q string) string {
		t.Helper()
		return s.open(t, "/knowledge?"+q, 200)
	}
	count := func(body string) int { return strings.Count(body, `<a href="/knowledge/kn_`) }
	if b := search(""); count(b) != 3 {
		t.Fatalf("all: %d facts", count(b))
	}
	if b := search("key=order.*"); count(b) != 2 || strings.Contains(b, "<code>hours</code>") {
		t.Fatalf("order.*: %d facts", count(b))
	}
	if b := search("subject=workspace"); count(b) != 1 || !strings.Contains(b, "<code>hours</code>") {
		t.Fatalf("workspace: %d facts", count(b))
	}
	if b := search("subject=email&who=ADA%40example.com"); count(b) != 1 || !strings.Contains(b, "<code>order.latest</code>") {
		t.Fatalf("by email: %d facts", count(b))
	}
	if b := search("subject=phone&who=15550109999&key=order.*"); count(b) != 1 || !strings.Contains(b, "<code>order.1001</code>") {
		t.Fatalf("by phone: %d facts", count(b))
	}
	if b := search("source=int_nothing"); count(b) != 0 {
		t.Fatal("by source")
	}
	for q, id := range map[string]string{"key=not+a+key!": "key-error", "subject=email": "who-error", "who=x": "subject-error", "subject=planet": "subject-error"} {
		res, body := s.do(t, "GET", "/knowledge?"+q, nil)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="`+id+`"`) {
			t.Errorf("search %s: %d, no %s", q, res.StatusCode, id)
		}
	}

	// Expire now, after a confirmation: no longer listed nor shown.
	body = s.open(t, "/knowledge/"+orderID+"/expire", 200)
	if !strings.Contains(body, "Expire the fact order.latest about email ada@example.com now?") {
		t.Fatalf("expire confirmation:\n%s", body)
	}
	if _, err := s.app.GetFact(ctx, s.ws, orderID); err != nil {
		t.Fatal("the confirmation expired the fact")
	}
	s.submit(t, "/knowledge/"+orderID+"/expire", url.Values{}, http.StatusSeeOther)
	s.open(t, "/knowledge/"+orderID, 404)
	if b := search("key=order.*"); count(b) != 1 {
		t.Fatalf("an expired fact is listed")
	}
	if f, err := s.db.GetFact(ctx, s.ws, orderID); err != nil || f.ExpiresAt == nil || f.Text != "Order 1001 delivered" {
		t.Fatalf("expired fact: %+v %v", f, err)
	}
	s.submit(t, "/knowledge/"+orderID+"/expire", url.Values{}, http.StatusNotFound)

	// Delete, after a confirmation.
	hours, _ := s.app.ListFacts(ctx, s.ws, app.FactListParams{Key: "hours"}, sb.Page{Limit: 1})
	body = s.open(t, "/knowledge/"+hours[0].ID+"/delete", 200)
	if !strings.Contains(body, "Delete the fact hours about the workspace?") {
		t.Fatalf("delete confirmation:\n%s", body)
	}
	s.submit(t, "/knowledge/"+hours[0].ID+"/delete", url.Values{}, http.StatusSeeOther)
	if _, err := s.db.GetFact(ctx, s.ws, hours[0].ID); sb.ErrorCode(err) != sb.ENotFound {
		t.Fatalf("not deleted: %v", err)
	}

	agentRefused(t, s.stack, "/knowledge", "/knowledge/new", "/knowledge/"+hours[0].ID+"/delete")

	// Pages of 50, with the API's cursors.
	for i := range 55 {
		text := fmt.Sprintf("faq %d", i)
		if _, _, err := s.app.PutFact(ctx, s.ws, &app.PutFactParams{Key: fmt.Sprintf("faq.%d", i), Text: &text}); err != nil {
			t.Fatal(err)
		}
	}
	body = search("key=faq.*")
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(body)
	if count(body) != 50 || next == nil {
		t.Fatalf("first page: %d facts", count(body))
	}
	if b := s.open(t, htmlUnescape(next[1]), 200); count(b) != 5 || strings.Contains(b, `rel="next"`) {
		t.Fatalf("second page: %d facts", count(b))
	}
}
