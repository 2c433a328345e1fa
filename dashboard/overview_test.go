package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/dashboard"
)

// TestOverviewPage: the figures of the workspace drawn as charts, each
// with its text alternative; intents ranked from the recorded turns, their
// names escaped; agents sent to the inbox; a bad window named.
func TestOverviewPage(t *testing.T) {
	s := newInboxStack(t, inboxSQLite(t), dashboard.Config{})
	ctx := context.Background()
	now := time.Now().UTC()
	waiting := s.conversation(t, "Wendy Wait", now, "hello", "anyone there?")
	s.setStatus(t, waiting, sb.ConversationHandoff, nil)
	conv := s.conversation(t, "Otto Order", now, "where is my order")
	msg := s.inbound(t, conv, "and my refund")
	for _, intent := range []string{"order_status", "order_status", `<img src=x onerror=alert(1)>`} {
		if err := s.db.CreateBotTurn(ctx, &sb.TurnRecord{WorkspaceID: s.ws, BotID: "bot_x", Version: 1, ConversationID: conv.ID,
			MessageID: msg.ID, Engine: "builtin", Intent: intent}); err != nil {
			t.Fatal(err)
		}
	}

	res, _ := s.do(t, "GET", "/", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/signin?next="+url.QueryEscape("/") {
		t.Fatalf("signed out: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	s.signIn(t, "grace@example.com", inboxPassword)
	if res, _ := s.do(t, "GET", "/", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/inbox" {
		t.Fatalf("an agent at the overview: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	s.signIn(t, "ada@example.com", inboxPassword)
	res, body := s.do(t, "GET", "/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("overview: %d", res.StatusCode)
	}
	checkConsolePage(t, "/", res, body)
	for _, want := range []string{
		"<strong>4</strong> in, <strong>0</strong> out",                 // four messages from contacts this hour
		"<strong>1</strong> waiting for an agent, 1 of them unassigned", // Wendy
		`href="/inbox/` + waiting.ID + `"`,
		`role="img"`, "<details><summary>The figures as a table</summary>",
		"order_status", "&lt;img src=x onerror=alert(1)&gt;",
		`data-live="message. conversation.`,
		"No webhook endpoint failed in the window.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the overview lacks %s", want)
		}
	}
	if strings.Contains(body, `<img src=x onerror=alert(1)>`) {
		t.Fatal("an intent's name is not escaped")
	}
	if i, j := strings.Index(body, "order_status"), strings.Index(body, "&lt;img"); i < 0 || j < i {
		t.Errorf("the intent with two turns is not ranked first")
	}
	if res, body := s.do(t, "GET", "/?window=7d", nil); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "window") {
		t.Fatalf("a bad window: %d", res.StatusCode)
	}
	if res, body := s.do(t, "GET", "/?window=24h", nil); res.StatusCode != http.StatusOK || !strings.Contains(body, "per 15 minutes") {
		t.Fatalf("the 24-hour window: %d", res.StatusCode)
	}
}
