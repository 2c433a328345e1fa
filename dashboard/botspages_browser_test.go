package dashboard_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/browsertest"
)

// TestBotsIntegrationsKnowledgeInBrowser opens every page of the bots,
// integrations and knowledge in headless Chromium, at a laptop's and a
// phone's width, and finds no serious or critical axe-core violation, no
// console error and no CSP violation; then it tries the test chat by
// hand, without any script of the page's.
func TestBotsIntegrationsKnowledgeInBrowser(t *testing.T) {
	s := newOpsStack(t)
	ctx := context.Background()
	b, err := s.app.CreateBot(ctx, s.ws, &app.CreateBotParams{Name: "Support " + evilText, Engine: sb.EngineBuiltin, Config: json.RawMessage(
		`{"intents":[{"name":"greet","examples":["hello","hi there","good morning"],"responses":["Hello!"]},
		{"name":"order","examples":["where is my order","track my package"],"responses":["On its way."]}],"fallback":"Sorry?"}`)})
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.app.CreateIntegration(ctx, s.ws, &app.CreateIntegrationParams{Type: "http", Name: "Desk " + evilText,
		Config: json.RawMessage(`{"url":"http://127.0.0.1:9/tickets","headers":{"Authorization":"Bearer x"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	run, err := s.app.RunAction(ctx, s.ws, in.ID, "call", &app.RunActionParams{Params: json.RawMessage(`{"subject":"hello"}`)})
	if err != nil {
		t.Fatal(err)
	}
	s.waitRun(t, run.ID) // fails: nothing listens on port 9
	a, err := s.app.CreateAutomation(ctx, s.ws, &app.CreateAutomationParams{Name: "Ticket", EventTypes: []string{"conversation.ended"},
		IntegrationID: in.ID, Action: "call", Params: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	text, email := "Order 1001 "+evilText, "ada@example.com"
	f, _, err := s.app.PutFact(ctx, s.ws, &app.PutFactParams{Key: "order.latest", Email: &email, Text: &text, Data: json.RawMessage(`{"status":"shipped"}`)})
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/bots", "/bots/new?engine=builtin&name=New", "/bots/new?engine=webhook&name=Hook", "/bots/" + b.ID, "/bots/" + b.ID + "/edit",
		"/bots/" + b.ID + "/delete", "/integrations", "/integrations/new?type=http", "/integrations/new?type=shopify", "/integrations/" + in.ID,
		"/integrations/" + in.ID + "/runs/" + run.ID, "/integrations/" + in.ID + "/delete", "/automations", "/automations/new", "/automations/" + a.ID,
		"/knowledge", "/knowledge/new", "/knowledge/" + f.ID, "/knowledge/" + f.ID + "/expire"}

	br := browsertest.New(t)
	if err := browsertest.SignIn(br.Ctx, s.srv.URL, "ada@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	browsertest.CheckPages(t, br.Ctx, s.srv.URL, paths...)
	phone := br.NewTab(browsertest.Phone)
	if err := browsertest.SignIn(phone, s.srv.URL, "ada@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	browsertest.CheckPages(t, phone, s.srv.URL, paths...)

	// The test chat, typed and submitted as a person would.
	if err := chromedp.Do(br.Ctx,
		chromedp.Navigate(s.srv.URL+"/bots/"+b.ID),
		chromedp.WaitVisible(`#chat-text`),
		chromedp.SendKeys(`#chat-text`, "where is my order?\r"),
	); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WaitFor(br.Ctx, "the test chat's answer", `document.querySelector("article.try") !== null`, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(br.Ctx, chromedp.Evaluate[string](`document.querySelector("article.try").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "order") || !strings.Contains(got, "On its way.") {
		t.Fatalf("the test chat shows %q", got)
	}
}
