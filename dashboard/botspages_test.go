package dashboard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/bot/builtin"
	botwebhook "github.com/switchboardhq/switchboard/bot/webhook"
	"github.com/switchboardhq/switchboard/dashboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/internal/providers"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/retry"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// opsStack is a stack whose operations have the bot engines, the
// integration types and the job queue of a server: a pipeline (not
// started: tests run its due jobs), bot training and integration runs on
// its queue, and outbound calls allowed to loopback, where the tests'
// fake services listen.
type opsStack struct {
	*stack
	pipe *pipeline.Pipeline
}

func newOpsStack(t *testing.T, more ...sb.BotEngine) *opsStack {
	t.Helper()
	db := pgtest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "sb.db"))
	ctx := context.Background()
	ws := &sb.Workspace{Name: "default"}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	loopback := egress.Policy{AllowPrivate: true}
	client := egress.NewClient(loopback, 5*time.Second)
	engines := sb.NewEngines(append([]sb.BotEngine{builtin.New(), botwebhook.New(client, "test")}, more...)...)
	pipe := pipeline.New(pipeline.Config{}, pipeline.Deps{Store: db, Engines: engines})
	t.Cleanup(func() { _ = pipe.Stop(context.Background()) })
	svc := app.New(app.Config{PublicURL: "http://example.test", WebhookPolicy: loopback}, app.Deps{Store: db, Pipeline: pipe,
		Engines: engines, Integrations: app.IntegrationDeps{Providers: providers.Integrations(), Jobs: pipe.Jobs(), Client: client,
			Retry: retry.Schedule{time.Millisecond}}})
	if _, err := svc.CreateUser(ctx, ws.ID, &app.CreateUserParams{Email: "ada@example.com", Role: sb.RoleAdmin, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, ws.ID, &app.CreateUserParams{Email: "grace@example.com", Role: sb.RoleAgent, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	dashboard.New(dashboard.Config{PublicURL: "http://example.test", SetupWorkspace: ws.ID}, dashboard.Deps{App: svc}).Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s := &stack{srv: srv, app: svc, db: db, ws: ws.ID, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	s.signIn(t, "ada@example.com", "correct horse battery")
	return &opsStack{stack: s, pipe: pipe}
}

// runJobs runs the due jobs (trainings, action runs) until none is left.
func (s *opsStack) runJobs(t *testing.T) {
	t.Helper()
	for range 20 {
		n, err := s.pipe.RunDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("jobs keep coming")
}

// token is the CSRF token of the signed-in session, read from a page.
func (s *stack) formToken(t *testing.T) string {
	t.Helper()
	_, page := s.do(t, "GET", "/events", nil)
	m := csrf.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the page")
	}
	return m[1]
}

// get reads a console page, checks what every page promises and that it
// answered want.
func (s *stack) open(t *testing.T, path string, want int) string {
	t.Helper()
	res, body := s.do(t, "GET", path, nil)
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d\n%s", path, res.StatusCode, want, body)
	}
	checkConsolePage(t, path, res, body)
	return body
}

// post sends a form with the session's CSRF token and checks the answer's
// status; it returns the answer's Location (after a redirect) or body.
func (s *stack) submit(t *testing.T, path string, form url.Values, want int) (string, string) {
	t.Helper()
	form.Set("csrf_token", s.formToken(t))
	res, body := s.do(t, "POST", path, form)
	if res.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d\n%s", path, res.StatusCode, want, body)
	}
	if res.StatusCode != http.StatusSeeOther {
		checkConsolePage(t, path, res, body)
	}
	return res.Header.Get("Location"), body
}

const evilText = `<img src=x onerror=alert(1)>`

// escaped checks that evilText text shows as text.
func showsEscaped(t *testing.T, where, body string) {
	t.Helper()
	if strings.Contains(body, evilText) {
		t.Fatalf("%s: evilText text not escaped", where)
	}
	if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Fatalf("%s: evilText text not shown", where)
	}
}

// agentRefused checks that an agent gets 403 on each path.
func agentRefused(t *testing.T, s *stack, paths ...string) {
	t.Helper()
	s.signIn(t, "grace@example.com", "correct horse battery")
	for _, p := range paths {
		if res, _ := s.do(t, "GET", p, nil); res.StatusCode != http.StatusForbidden {
			t.Errorf("agent on %s: %d", p, res.StatusCode)
		}
	}
	s.signIn(t, "ada@example.com", "correct horse battery")
}

var botID = regexp.MustCompile(`^/bots/(bot_[0-9A-Za-z]+)$`)

// TestBotsPages creates a builtin bot through the form, sees a refused
// draft's errors by the API's field names, trains a new draft, deploys
// it, rolls back after a confirmation naming the version replaced, tries
// the test chat, and deletes the bot after a confirmation.
func TestBotsPages(t *testing.T) {
	s := newOpsStack(t)
	body := s.open(t, "/bots", 200)
	if !strings.Contains(body, "No bots yet") || !strings.Contains(body, `<option value="builtin">`) || !strings.Contains(body, `<option value="webhook">`) {
		t.Fatalf("empty bots page:\n%s", body)
	}
	body = s.open(t, "/bots/new?engine=builtin&name="+url.QueryEscape(evilText), 200)
	showsEscaped(t, "new bot form", body)
	for _, id := range []string{"intent-0-name", "intent-0-examples", "intent-2-responses", "fallback", "handoff_intent", "language"} {
		if !strings.Contains(body, `id="`+id+`"`) {
			t.Fatalf("the builtin form lacks %s", id)
		}
	}
	s.open(t, "/bots/new?engine=nonsense", 400)

	// A refused configuration: the error shows by the intent it concerns.
	form := url.Values{"engine": {"builtin"}, "name": {"Support " + evilText}, "intents": {"3"},
		"intent.0.name": {"greet"}, "intent.0.examples": {"hello\nhi there\ngood morning"}, "intent.0.responses": {"Hello!"},
		"intent.2.name": {"order"}, "intent.2.examples": {""}, "intent.2.responses": {"On its way."},
		"fallback": {"Sorry?"}, "language": {"en"}}
	_, body = s.submit(t, "/bots/new", form, 400)
	if !strings.Contains(body, "config.intents[1].examples") || !strings.Contains(body, `id="intent-1-examples-error"`) ||
		!strings.Contains(body, `aria-describedby="intent-1-examples-error"`) {
		t.Fatalf("the refused intent's error is not by its block:\n%s", body)
	}
	showsEscaped(t, "refused bot form", body)
	if !strings.Contains(body, `value="order"`) || !strings.Contains(body, "On its way.") {
		t.Fatal("the refused form lost what was typed")
	}

	// "Add an intent block" shows one more block, saving nothing.
	form.Set("add", "1")
	_, body = s.submit(t, "/bots/new", form, 200)
	if !strings.Contains(body, `id="intent-3-name"`) {
		t.Fatal("no block added")
	}
	if bots, _ := s.app.ListBots(context.Background(), s.ws, sb.Page{Limit: 10}); len(bots) != 0 {
		t.Fatal("adding a block created a bot")
	}
	form.Del("add")

	form.Set("intent.2.examples", "where is my order\ntrack my package\nhas my parcel shipped")
	form.Set("intent.1.name", "human")
	form.Set("intent.1.examples", "talk to a person\nI want a human\nagent please")
	form.Set("intents", "4")
	form.Set("intent.3.name", "")
	form.Set("handoff_intent", "human")
	form.Set("out_of_scope_examples", "what is the weather\ntell me a joke")
	loc, _ := s.submit(t, "/bots/new", form, http.StatusSeeOther)
	m := botID.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("created: redirected to %q", loc)
	}
	id := m[1]
	body = s.open(t, "/bots/"+id, 200)
	showsEscaped(t, "bot page", body)
	for _, want := range []string{"version 1 is trained", `<span class="badge ok">deployed</span>`, "Cross-validated accuracy", "Intents</dt><dd>3</dd>", `data-live="bot."`} {
		if !strings.Contains(body, want) {
			t.Fatalf("bot page lacks %q:\n%s", want, body)
		}
	}
	body = s.open(t, "/bots", 200)
	showsEscaped(t, "bot list", body)
	if !strings.Contains(body, "<code>builtin</code>") || !strings.Contains(body, "version 1") {
		t.Fatalf("bot list:\n%s", body)
	}

	// The test chat names the intent, its confidence and the replies, and
	// keeps the earlier tries.
	_, body = s.submit(t, "/bots/"+id+"/parse", url.Values{"text": {"hello there"}}, 200)
	if !strings.Contains(body, "<code>greet</code>") || !strings.Contains(body, "<q>Hello!</q>") || !strings.Contains(body, "Confidence") {
		t.Fatalf("test chat:\n%s", body)
	}
	chat := regexp.MustCompile(`name="chat" value="([^"]*)"`).FindStringSubmatch(body)
	_, body = s.submit(t, "/bots/"+id+"/parse", url.Values{"text": {"I want to talk to a human"}, "chat": {htmlUnescape(chat[1])}}, 200)
	if !strings.Contains(body, "<code>human</code>") || !strings.Contains(body, "Handoff</dt><dd>yes") || !strings.Contains(body, "<code>greet</code>") {
		t.Fatalf("second try:\n%s", body)
	}
	_, body = s.submit(t, "/bots/"+id+"/parse", url.Values{"text": {evilText}}, 200)
	showsEscaped(t, "test chat", body)
	_, body = s.submit(t, "/bots/"+id+"/parse", url.Values{"text": {""}}, 400)
	if !strings.Contains(body, `id="chat-text-error"`) {
		t.Fatal("an empty try names no field")
	}

	// Edit the draft, train it (202 in the API: here a redirect), see it
	// trained and its metrics.
	body = s.open(t, "/bots/"+id+"/edit", 200)
	if !strings.Contains(body, "where is my order") || !strings.Contains(body, `id="intent-3-name"`) {
		t.Fatalf("the editor does not show the draft:\n%s", body)
	}
	edit := url.Values{"intents": {"4"}, "intent.0.name": {"greet"}, "intent.0.examples": {"hello\nhi there\ngood morning"},
		"intent.0.responses": {"Hello from the second version!"}, "intent.1.name": {"human"}, "intent.1.examples": {"talk to a person\nI want a human\nagent please"},
		"intent.2.name": {"order"}, "intent.2.examples": {"where is my order\ntrack my package"}, "intent.2.responses": {"On its way."},
		"intent.2.remove": {"1"}, "fallback": {"Sorry?"}, "handoff_intent": {"human"}, "language": {"en"}}
	if loc, _ := s.submit(t, "/bots/"+id+"/edit", edit, http.StatusSeeOther); loc != "/bots/"+id {
		t.Fatalf("saved: %s", loc)
	}
	b, _ := s.app.GetBot(context.Background(), s.ws, id)
	if b.Status != sb.BotDraft || strings.Contains(string(b.Config), "order") {
		t.Fatalf("draft after edit: %s %s", b.Status, b.Config)
	}
	s.submit(t, "/bots/"+id+"/train", url.Values{}, http.StatusSeeOther)
	body = s.open(t, "/bots/"+id, 200)
	if !strings.Contains(body, `<span class="badge warn">training</span>`) {
		t.Fatal("not shown training")
	}
	s.runJobs(t)
	body = s.open(t, "/bots/"+id, 200)
	if !strings.Contains(body, `<span class="badge warn">trained</span>`) || !strings.Contains(body, "Deploy version 2") {
		t.Fatalf("after training:\n%s", body)
	}

	// Deploy version 2 after a confirmation naming version 1.
	body = s.open(t, "/bots/"+id+"/deploy?version=2", 200)
	if !strings.Contains(body, "Version 2 replaces version 1, which answers now.") {
		t.Fatalf("deploy confirmation:\n%s", body)
	}
	s.submit(t, "/bots/"+id+"/deploy", url.Values{"version": {"2"}}, http.StatusSeeOther)
	_, body = s.submit(t, "/bots/"+id+"/parse", url.Values{"text": {"hello"}}, 200)
	if !strings.Contains(body, "Hello from the second version!") {
		t.Fatalf("version 2 does not answer:\n%s", body)
	}
	// Roll back to version 1.
	body = s.open(t, "/bots/"+id, 200)
	if !strings.Contains(body, "Roll back to version 1") {
		t.Fatal("no rollback offered")
	}
	body = s.open(t, "/bots/"+id+"/deploy?version=1", 200)
	if !strings.Contains(body, "Roll ") || !strings.Contains(body, "Version 1 replaces version 2, which answers now.") {
		t.Fatalf("rollback confirmation:\n%s", body)
	}
	s.submit(t, "/bots/"+id+"/deploy", url.Values{"version": {"1"}}, http.StatusSeeOther)
	_, body = s.submit(t, "/bots/"+id+"/parse", url.Values{"text": {"hello"}}, 200)
	if !strings.Contains(body, "<q>Hello!</q>") {
		t.Fatal("the rollback did not take")
	}
	s.submit(t, "/bots/"+id+"/deploy", url.Values{"version": {"9"}}, 400)
	s.open(t, "/bots/"+id+"/deploy?version=1", 400) // deployed already

	// A draft refused on save keeps what was typed and names the field.
	bad := url.Values{"intents": {"1"}, "intent.0.name": {"greet"}, "intent.0.examples": {"hello"}, "intent.0.responses": {"Hi {{nonsense"},
		"fallback": {"Sorry?"}, "language": {"no such language!"}}
	_, body = s.submit(t, "/bots/"+id+"/edit", bad, 400)
	if !strings.Contains(body, `id="language-error"`) || !strings.Contains(body, `id="intent-0-responses-error"`) {
		t.Fatalf("refused draft:\n%s", body)
	}

	agentRefused(t, s.stack, "/bots", "/bots/"+id, "/bots/"+id+"/edit", "/bots/new?engine=builtin", "/bots/"+id+"/delete")

	// Delete after a confirmation naming what goes.
	body = s.open(t, "/bots/"+id+"/delete", 200)
	if !strings.Contains(body, "Delete the bot Support") || !strings.Contains(body, "Version 1, which answers now, stops answering.") {
		t.Fatalf("delete confirmation:\n%s", body)
	}
	showsEscaped(t, "delete confirmation", body)
	if b, _ := s.app.GetBot(context.Background(), s.ws, id); b == nil {
		t.Fatal("the confirmation page deleted the bot")
	}
	s.submit(t, "/bots/"+id+"/delete", url.Values{}, http.StatusSeeOther)
	if _, err := s.app.GetBot(context.Background(), s.ws, id); sb.ErrorCode(err) != sb.ENotFound {
		t.Fatalf("not deleted: %v", err)
	}
	s.open(t, "/bots/"+id, 404)
}

// TestWebhookBotPages: a webhook bot's form is its URL; the secret made
// for it is shown once, on the page that answers the creation, never
// again; the test chat says why it cannot try a webhook bot.
func TestWebhookBotPages(t *testing.T) {
	s := newOpsStack(t)
	_, body := s.submit(t, "/bots/new", url.Values{"engine": {"webhook"}, "name": {"Remote"}, "url": {"not a url"}}, 400)
	if !strings.Contains(body, `id="url-error"`) {
		t.Fatalf("a bad URL names no field:\n%s", body)
	}
	_, body = s.submit(t, "/bots/new", url.Values{"engine": {"webhook"}, "name": {"Remote"}, "url": {"http://127.0.0.1:9/bot"}}, 200)
	shown := regexp.MustCompile(`<p class="secret">(whsec_[^<]+)</p>`).FindStringSubmatch(body)
	if shown == nil {
		t.Fatalf("no secret shown:\n%s", body)
	}
	secret := htmlUnescape(shown[1])
	bots, _ := s.app.ListBots(context.Background(), s.ws, sb.Page{Limit: 10})
	id := bots[0].ID
	for _, p := range []string{"/bots/" + id, "/bots/" + id + "/edit", "/bots"} {
		if body := s.open(t, p, 200); strings.Contains(htmlUnescape(body), secret) {
			t.Fatalf("%s shows the secret again", p)
		}
	}
	body = s.open(t, "/bots/"+id+"/edit", 200)
	if !strings.Contains(body, `value="http://127.0.0.1:9/bot"`) || !strings.Contains(body, `type="password"`) || !strings.Contains(body, "leave empty to keep it") {
		t.Fatalf("webhook editor:\n%s", body)
	}
	s.submit(t, "/bots/"+id+"/edit", url.Values{"url": {"http://127.0.0.1:9/other"}}, http.StatusSeeOther)
	b, _ := s.db.GetBot(context.Background(), s.ws, id)
	if !strings.Contains(string(b.Config), "/other") || b.Secrets["secret"] != secret {
		t.Fatalf("saved webhook draft: %s, secret kept %v", b.Config, b.Secrets["secret"] == secret)
	}
	if body := s.open(t, "/bots/"+id, 200); !strings.Contains(body, "answers from its own service") {
		t.Fatal("the test chat does not say why it cannot try a webhook bot")
	}
}

// htmlUnescape undoes html/template's escaping of an attribute value.
func htmlUnescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&lt;", "<", "&gt;", ">", "&#39;", "'", "&amp;", "&", "&#43;", "+").Replace(s)
}
