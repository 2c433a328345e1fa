package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

// signIn signs the stack's browser in as email, with a fresh cookie jar.
func (s *stack) signIn(t *testing.T, email, password string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	s.client.Jar = jar
	_, page := s.do(t, "GET", "/signin", nil)
	res, _ := s.do(t, "POST", "/signin", url.Values{"csrf_token": {csrf.FindStringSubmatch(page)[1]},
		"email": {email}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in as %s: %d", email, res.StatusCode)
	}
}

var scriptTag = regexp.MustCompile(`<script[^>]*>`)

// checkConsolePage checks what every console page promises: the strict
// policy (scripts from this origin only, no framing), no inline script or
// style, and a label for every visible control.
func checkConsolePage(t *testing.T, path string, res *http.Response, body string) {
	t.Helper()
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self';") ||
		!strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
		t.Errorf("%s: CSP %q", path, csp)
	}
	if res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("%s: X-Frame-Options %q", path, res.Header.Get("X-Frame-Options"))
	}
	for _, tag := range scriptTag.FindAllString(body, -1) {
		if !strings.Contains(tag, ` src="/dashboard/static/`) {
			t.Errorf("%s: inline script %s", path, tag)
		}
	}
	if strings.Contains(body, " style=") || strings.Contains(body, "<style") || strings.Contains(body, " onclick=") {
		t.Errorf("%s has inline style or handlers", path)
	}
	for _, m := range inputID.FindAllStringSubmatch(body, -1) {
		if !strings.Contains(body, `<label for="`+m[1]+`">`) {
			t.Errorf("%s: input %s has no label", path, m[1])
		}
	}
}

// TestConsoleAccess: signed-out people are sent to sign-in and back,
// agents see the inbox only, and a post without the session's CSRF token
// changes nothing.
func TestConsoleAccess(t *testing.T) {
	s := newStack(t)
	if _, err := s.app.CreateUser(context.Background(), s.ws, &app.CreateUserParams{Email: "grace@example.com", Role: sb.RoleAgent,
		Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	res, _ := s.do(t, "GET", "/events?type=message.*", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/signin?next="+url.QueryEscape("/events?type=message.*") {
		t.Fatalf("signed out: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	s.signIn(t, "grace@example.com", "correct horse battery")
	res, body := s.do(t, "GET", "/events", nil)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Agents work in the inbox") {
		t.Fatalf("agent on an admin page: %d", res.StatusCode)
	}
	if strings.Contains(body, `href="/events"`) || strings.Contains(body, `href="/settings"`) {
		t.Errorf("an agent's navigation lists admin pages")
	}

	s.signIn(t, "ada@example.com", "correct horse battery")
	res, body = s.do(t, "GET", "/events", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("admin: %d", res.StatusCode)
	}
	checkConsolePage(t, "/events", res, body)
	for _, want := range []string{`href="/settings"`, `href="/inbox"`, `aria-current="page">Events`, `<main id="content"`, `<nav aria-label="Sections">`} {
		if !strings.Contains(body, want) {
			t.Errorf("admin page lacks %s", want)
		}
	}
}

// TestEventsPage lists the log newest first, escapes what people wrote,
// filters by type, names a bad filter, pages with the API's cursors and
// shows each payload.
func TestEventsPage(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	hostile := `<img src=x onerror=alert(1)>`
	for i := range 60 {
		typ, data := sb.EventConversationStarted, map[string]any{"conversation": map[string]any{"id": fmt.Sprintf("conv_%02d", i)}}
		if i%2 == 1 {
			typ, data = sb.EventMessageReceived, map[string]any{"message": map[string]any{"id": fmt.Sprintf("msg_%02d", i), "text": hostile}}
		}
		raw, _ := json.Marshal(data)
		e := &sb.Event{ID: sb.NewID(sb.PrefixEvent), Type: typ, Timestamp: base.Add(time.Duration(i) * time.Second),
			Version: "1", WorkspaceID: s.ws, Data: raw}
		if err := s.db.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	s.signIn(t, "ada@example.com", "correct horse battery")

	_, body := s.do(t, "GET", "/events", nil)
	if strings.Contains(body, hostile) || !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Fatalf("a message's text is not escaped")
	}
	if n := strings.Count(body, `<a href="/events/evt_`); n != 50 {
		t.Fatalf("first page shows %d events, want 50", n)
	}
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no next page link")
	}
	_, body2 := s.do(t, "GET", strings.ReplaceAll(next[1], "&amp;", "&"), nil)
	if n := strings.Count(body2, `<a href="/events/evt_`); n != 10 || strings.Contains(body2, `rel="next"`) {
		t.Fatalf("second page shows %d events", n)
	}
	// Newest first: the first page starts with the 60th event, the second
	// ends with the first.
	if strings.Index(body, "12:00:59") > strings.Index(body, "12:00:58") || !strings.Contains(body2, "12:00:00") {
		t.Fatalf("not newest first")
	}

	_, body = s.do(t, "GET", "/events?type=message.*", nil)
	if n := strings.Count(body, `<a href="/events/evt_`); n != 30 || strings.Contains(body, "conversation.started</code>") {
		t.Fatalf("filtered by message.*: %d events", n)
	}
	res, body := s.do(t, "GET", "/events?type=nonsense", nil)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="type-error"`) {
		t.Fatalf("a bad filter: %d", res.StatusCode)
	}
	res, _ = s.do(t, "GET", "/events?since=yesterday", nil)
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad since: %d", res.StatusCode)
	}
	_, body = s.do(t, "GET", "/events?since=2026-05-01T12:00:50", nil)
	if n := strings.Count(body, `<a href="/events/evt_`); n != 10 {
		t.Fatalf("since 12:00:50: %d events", n)
	}

	id := regexp.MustCompile(`<a href="/events/(evt_[^"]+)">`).FindStringSubmatch(body)[1]
	res, body = s.do(t, "GET", "/events/"+id, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, id) || !strings.Contains(body, "&#34;data&#34;") {
		t.Fatalf("event page: %d", res.StatusCode)
	}
	if res, _ := s.do(t, "GET", "/events/evt_nothing", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("a missing event: %d", res.StatusCode)
	}
}
