package dashboard_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/channel/twilio"
	"github.com/switchboardhq/switchboard/dashboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// inboxStack is the dashboard on a database of its own (SQLite or a
// PostgreSQL that other stacks may share), with an SMS channel (a text
// limit of 1,600 characters), an admin (ada) and an agent (grace).
type inboxStack struct {
	*stack
	h          *dashboard.Handler
	ch         *sb.Channel
	ada, grace *sb.User
}

const inboxPassword = "correct horse battery"

func newInboxStack(t testing.TB, databaseURL string, cfg dashboard.Config) *inboxStack {
	t.Helper()
	ctx := context.Background()
	db := pgtest.Open(t, databaseURL)
	ws, err := db.GetWorkspaceByName(ctx, "default")
	if sb.ErrorCode(err) == sb.ENotFound {
		ws = &sb.Workspace{Name: "default"}
		err = db.CreateWorkspace(ctx, ws)
	}
	if err != nil {
		t.Fatal(err)
	}
	svc := app.New(app.Config{}, app.Deps{Store: db, Channels: sb.NewChannels(twilio.New(nil))})
	s := &inboxStack{}
	user := func(email, role string) *sb.User {
		u, err := db.GetUserByEmail(ctx, email)
		if sb.ErrorCode(err) == sb.ENotFound {
			u, err = svc.CreateUser(ctx, ws.ID, &app.CreateUserParams{Email: email, Role: role, Password: inboxPassword})
		}
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	s.ada, s.grace = user("ada@example.com", sb.RoleAdmin), user("grace@example.com", sb.RoleAgent)
	chs, err := db.ListChannels(ctx, ws.ID, sb.Page{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(chs) > 0 {
		s.ch = chs[0]
	} else {
		s.ch = &sb.Channel{WorkspaceID: ws.ID, Type: "twilio", Name: "SMS", Status: "active"}
		if err := db.CreateChannel(ctx, s.ch); err != nil {
			t.Fatal(err)
		}
	}
	cfg.SetupWorkspace = ws.ID
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://example.test"
	}
	s.h = dashboard.New(cfg, dashboard.Deps{App: svc})
	mux := http.NewServeMux()
	s.h.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		s.h.Close()
		srv.Close()
	})
	jar, _ := cookiejar.New(nil)
	s.stack = &stack{srv: srv, app: svc, db: db, ws: ws.ID, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	return s
}

func inboxSQLite(t testing.TB) string { return "sqlite://" + t.TempDir() + "/sb.db" }

// conversation starts a conversation with a new contact, with the inbound
// messages given, its last activity at the given time.
func (s *inboxStack) conversation(t *testing.T, name string, at time.Time, texts ...string) *sb.Conversation {
	t.Helper()
	ctx := context.Background()
	ct := &sb.Contact{WorkspaceID: s.ws, ChannelID: s.ch.ID, ExternalID: "+1555" + sb.NewID("x")[2:12], Name: name,
		Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"}
	if err := s.db.CreateContact(ctx, ct); err != nil {
		t.Fatal(err)
	}
	conv := &sb.Conversation{WorkspaceID: s.ws, ChannelID: s.ch.ID, ContactID: ct.ID, Status: sb.ConversationActive,
		StartedAt: at.Add(-time.Minute), LastActivityAt: at}
	if err := s.db.CreateConversation(ctx, conv); err != nil {
		t.Fatal(err)
	}
	for _, text := range texts {
		s.inbound(t, conv, text)
	}
	return conv
}

// inbound stores a message from the contact, as the pipeline would.
func (s *inboxStack) inbound(t *testing.T, conv *sb.Conversation, text string) *sb.Message {
	t.Helper()
	m := &sb.Message{WorkspaceID: s.ws, ConversationID: conv.ID, ChannelID: conv.ChannelID, Direction: sb.DirectionInbound,
		Sender: sb.SenderUser, Text: text, Status: sb.MessageReceived}
	if err := s.db.CreateMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (s *inboxStack) setStatus(t *testing.T, conv *sb.Conversation, status string, assignee *sb.User) {
	t.Helper()
	req := &app.UpdateConversationParams{Status: sb.Optional[string]{Set: true, Value: status}}
	if assignee != nil {
		req.Assignee = sb.Optional[string]{Set: true, Value: assignee.Email}
	}
	if _, err := s.app.UpdateConversation(context.Background(), s.ws, conv.ID, req); err != nil {
		t.Fatal(err)
	}
	// The update stamps no activity; put the conversation back in its
	// place in the list.
	c, _ := s.db.GetConversation(context.Background(), s.ws, conv.ID)
	c.LastActivityAt = conv.LastActivityAt
	if err := s.db.UpdateConversation(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

// token is the CSRF token of the signed-in session, from a console page.
func (s *inboxStack) token(t *testing.T) string {
	t.Helper()
	_, body := s.do(t, "GET", "/inbox", nil)
	m := csrf.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on /inbox")
	}
	return m[1]
}

func (s *inboxStack) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", s.token(t))
	return s.do(t, "POST", path, form)
}

var itemLink = regexp.MustCompile(`<a href="/inbox/(conv_[0-9A-Z]+)[^"]*" data-inbox-item`)

func listedConversations(body string) []string {
	var ids []string
	for _, m := range itemLink.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

const inboxHostile = `<img src=x onerror=alert(1)>`

// TestInboxList: conversations by newest activity, handoffs waiting marked,
// unread counts per person, the filters (and their errors), pages, and
// what people wrote shown as text.
func TestInboxList(t *testing.T) {
	s := newInboxStack(t, inboxSQLite(t), dashboard.Config{})
	base := time.Now().Add(-time.Hour).UTC()
	quiet := s.conversation(t, "Quiet Quinn", base, "hi")
	waiting := s.conversation(t, "Wendy Waiting", base.Add(3*time.Minute), "I want a person", "please")
	graces := s.conversation(t, "Gary Grace", base.Add(2*time.Minute), "thanks")
	evil := s.conversation(t, inboxHostile, base.Add(time.Minute), inboxHostile)
	s.setStatus(t, waiting, sb.ConversationHandoff, nil)
	s.setStatus(t, graces, sb.ConversationHandoff, s.grace)

	s.signIn(t, "grace@example.com", inboxPassword)
	res, body := s.do(t, "GET", "/inbox", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("agent's inbox: %d", res.StatusCode)
	}
	checkConsolePage(t, "/inbox", res, body)
	if got, want := strings.Join(listedConversations(body), " "), strings.Join([]string{waiting.ID, graces.ID, evil.ID, quiet.ID}, " "); got != want {
		t.Fatalf("order:\n got %s\nwant %s", got, want)
	}
	if strings.Contains(body, inboxHostile) || !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Fatal("a contact's name is not escaped")
	}
	row := func(body, id string) string {
		i := strings.Index(body, `href="/inbox/`+id)
		j := strings.Index(body[i:], "</li>")
		return body[i : i+j]
	}
	if r := row(body, waiting.ID); !strings.Contains(r, "Waiting for an agent") || !strings.Contains(r, "2 unread") {
		t.Errorf("waiting handoff row: %s", r)
	}
	if !strings.Contains(body, `class="inbox-item waiting unread"`) || !strings.Contains(body, "1 waiting for an agent") {
		t.Error("the waiting handoff does not stand out")
	}
	if r := row(body, graces.ID); strings.Contains(r, "Waiting for an agent") || !strings.Contains(r, "grace@example.com") {
		t.Errorf("taken handoff row: %s", r)
	}

	// Opening a conversation reads it, for this person only.
	if res, _ := s.do(t, "GET", "/inbox/"+waiting.ID, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("conversation: %d", res.StatusCode)
	}
	_, body = s.do(t, "GET", "/inbox", nil)
	if r := row(body, waiting.ID); strings.Contains(r, "unread") {
		t.Errorf("read conversation still unread: %s", r)
	}
	s.inbound(t, waiting, "hello?")
	_, body = s.do(t, "GET", "/inbox", nil)
	if r := row(body, waiting.ID); !strings.Contains(r, "1 unread") {
		t.Errorf("a new message after reading: %s", r)
	}

	for q, want := range map[string][]string{
		"?assignee=me":                             {graces.ID},
		"?assignee=unassigned":                     {waiting.ID, evil.ID, quiet.ID},
		"?status=handoff":                          {waiting.ID, graces.ID},
		"?status=active&assignee=unassigned":       {evil.ID, quiet.ID},
		"?channel_id=" + s.ch.ID + "&status=ended": nil,
	} {
		_, body := s.do(t, "GET", "/inbox"+q, nil)
		if got := listedConversations(body); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: got %v, want %v", q, got, want)
		}
	}
	_, body = s.do(t, "GET", "/inbox?status=handoff", nil)
	if !strings.Contains(body, `<option value="handoff" selected>`) || !strings.Contains(body, `href="/inbox/`+waiting.ID+`?status=handoff"`) {
		t.Error("the filter is not kept in the form and the links")
	}
	for q, field := range map[string]string{"?status=open": "status", "?assignee=bob": "assignee", "?channel_id=x": "channel_id"} {
		res, body := s.do(t, "GET", "/inbox"+q, nil)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="`+field+`-error"`) || !strings.Contains(body, `aria-invalid="true" aria-describedby="`+field+`-error"`) {
			t.Errorf("%s: %d, no error by %s", q, res.StatusCode, field)
		}
	}

	// Pages of 50 with the cursor of the last row.
	for i := range 50 {
		s.conversation(t, "Many", base.Add(-time.Duration(i+1)*time.Minute))
	}
	_, body = s.do(t, "GET", "/inbox", nil)
	first := listedConversations(body)
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(body)
	if len(first) != 50 || next == nil {
		t.Fatalf("first page: %d rows, next %v", len(first), next)
	}
	_, body = s.do(t, "GET", strings.ReplaceAll(next[1], "&amp;", "&"), nil)
	second := listedConversations(body)
	if len(second) != 4 || second[0] == first[49] || strings.Contains(body, `rel="next"`) {
		t.Fatalf("second page: %v", second)
	}
}

// TestConversationMoves: a conversation's page (thread, contact, facts)
// and every move an agent makes there, each a form that posts and
// redirects, refused moves shown by their field.
func TestConversationMoves(t *testing.T) {
	s := newInboxStack(t, inboxSQLite(t), dashboard.Config{})
	ctx := context.Background()
	conv := s.conversation(t, "Ada Contact", time.Now().UTC(), "Where is my order?", inboxHostile)
	ct, _ := s.db.GetContact(ctx, s.ws, conv.ContactID)
	text := "Ships Tuesday " + inboxHostile
	if _, _, err := s.app.PutFact(ctx, s.ws, &app.PutFactParams{Key: "order.status", ContactID: &ct.ID, Text: &text}); err != nil {
		t.Fatal(err)
	}
	plan := "gold"
	if _, _, err := s.app.PutFact(ctx, s.ws, &app.PutFactParams{Key: "plan", Email: &ct.Email, Text: &plan}); err != nil {
		t.Fatal(err)
	}
	page := "/inbox/" + conv.ID

	res, _ := s.do(t, "GET", page, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/signin?next=") {
		t.Fatalf("signed out: %d", res.StatusCode)
	}
	s.signIn(t, "grace@example.com", inboxPassword)
	res, body := s.do(t, "GET", page, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("conversation page: %d", res.StatusCode)
	}
	checkConsolePage(t, page, res, body)
	for _, want := range []string{"Where is my order?", "&lt;img src=x onerror=alert(1)&gt;", "order.status", "Ships Tuesday", "gold",
		ct.Email, `data-live-conversation="` + conv.ID + `"`, `id="thread"`, `<label for="text">`, `<label for="user_id">`,
		`action="/inbox/` + conv.ID + `/takeover"`, `href="/inbox/` + conv.ID + `/end"`, "Keyboard shortcuts", `data-shortcut="t"`} {
		if !strings.Contains(body, want) {
			t.Errorf("conversation page lacks %s", want)
		}
	}
	if strings.Contains(body, inboxHostile) {
		t.Fatal("hostile text rendered as HTML")
	}
	// The reply form is outside the parts that live updates replace.
	if i, j := strings.Index(body, "</ol>\n</div>"), strings.Index(body, `action="/inbox/`+conv.ID+`/reply"`); i < strings.Index(body, `id="thread"`) || j < i {
		t.Error("the reply form is inside the live thread")
	}
	if res, _ := s.do(t, "POST", page+"/takeover", url.Values{"csrf_token": {"forged"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("take over without the CSRF token: %d", res.StatusCode)
	}

	res, _ = s.post(t, page+"/takeover?status=handoff", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page+"?status=handoff" {
		t.Fatalf("take over: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	got, _ := s.app.GetConversation(ctx, s.ws, conv.ID)
	if got.Status != sb.ConversationHandoff || assigneeOf(got) != "grace@example.com" {
		t.Fatalf("after take over: %s %v", got.Status, assigneeOf(got))
	}
	_, body = s.do(t, "GET", page, nil)
	if !strings.Contains(body, "You took over") || !strings.Contains(body, "Hand back to the bot") || strings.Contains(body, ">Take over<") {
		t.Error("the page after taking over")
	}

	res, _ = s.post(t, page+"/reply", url.Values{"text": {"It ships Tuesday.\r\n"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d", res.StatusCode)
	}
	msgs, _ := s.app.ListMessages(ctx, s.ws, conv.ID, sb.Page{Limit: 1})
	if m := msgs[0]; m.Sender != sb.SenderAgent || m.Direction != sb.DirectionOutbound || m.Text != "It ships Tuesday." || m.Status != sb.MessageQueued {
		t.Fatalf("the reply stored: %+v", m)
	}
	long := strings.Repeat("x", 1601)
	res, body = s.post(t, page+"/reply", url.Values{"text": {long}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="text-error"`) || !strings.Contains(body, "1600") ||
		!strings.Contains(body, ">"+long+"</textarea>") {
		t.Fatalf("a reply too long for SMS: %d", res.StatusCode)
	}
	if res, body := s.post(t, page+"/reply", url.Values{"text": {"  "}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="text-error"`) {
		t.Fatalf("an empty reply: %d", res.StatusCode)
	}

	res, _ = s.post(t, page+"/assign", url.Values{"user_id": {s.ada.ID}})
	if got, _ := s.app.GetConversation(ctx, s.ws, conv.ID); res.StatusCode != http.StatusSeeOther || assigneeOf(got) != "ada@example.com" {
		t.Fatalf("assign to ada: %d %v", res.StatusCode, assigneeOf(got))
	}
	res, body = s.post(t, page+"/assign", url.Values{"user_id": {"usr_01JNOBODY0000000000000000"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="assignee-error"`) {
		t.Fatalf("assign to nobody known: %d", res.StatusCode)
	}
	res, _ = s.post(t, page+"/assign", url.Values{"user_id": {""}})
	if got, _ := s.app.GetConversation(ctx, s.ws, conv.ID); res.StatusCode != http.StatusSeeOther || got.Assignee != nil {
		t.Fatalf("unassign: %d %v", res.StatusCode, assigneeOf(got))
	}

	res, _ = s.post(t, page+"/handback", nil)
	if got, _ := s.app.GetConversation(ctx, s.ws, conv.ID); res.StatusCode != http.StatusSeeOther || got.Status != sb.ConversationActive {
		t.Fatalf("hand back: %d %s", res.StatusCode, got.Status)
	}

	res, body = s.do(t, "GET", page+"/end", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "End the conversation with Ada Contact?") ||
		!strings.Contains(body, `action="/inbox/`+conv.ID+`/end"`) || !strings.Contains(body, "next message starts a new conversation") {
		t.Fatalf("end confirmation: %d", res.StatusCode)
	}
	if got, _ := s.app.GetConversation(ctx, s.ws, conv.ID); got.Status != sb.ConversationActive {
		t.Fatal("the confirmation page ended the conversation")
	}
	res, _ = s.post(t, page+"/end", nil)
	if got, _ := s.app.GetConversation(ctx, s.ws, conv.ID); res.StatusCode != http.StatusSeeOther || got.Status != sb.ConversationEnded {
		t.Fatalf("end: %d %s", res.StatusCode, got.Status)
	}
	_, body = s.do(t, "GET", page, nil)
	if strings.Contains(body, `<textarea`) || !strings.Contains(body, "has ended") {
		t.Error("an ended conversation still offers to answer")
	}
	if res, body := s.post(t, page+"/reply", url.Values{"text": {"late"}}); res.StatusCode != http.StatusConflict || !strings.Contains(body, "has ended") {
		t.Fatalf("answer after the end: %d", res.StatusCode)
	}

	for _, path := range []string{"/inbox/conv_01JNOTHERE0000000000000000", "/inbox/conv_01JNOTHERE0000000000000000/end"} {
		if res, _ := s.do(t, "GET", path, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	if res, _ := s.post(t, "/inbox/conv_01JNOTHERE0000000000000000/takeover", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("take over a missing conversation: %d", res.StatusCode)
	}

	// Admins work in the inbox too.
	other := s.conversation(t, "Second Contact", time.Now().UTC(), "hello")
	s.signIn(t, "ada@example.com", inboxPassword)
	if res, body := s.do(t, "GET", "/inbox/"+other.ID, nil); res.StatusCode != http.StatusOK || !strings.Contains(body, ">Take over<") {
		t.Fatalf("admin's conversation page: %d", res.StatusCode)
	}
	res, _ = s.post(t, "/inbox/"+other.ID+"/takeover", nil)
	if got, _ := s.app.GetConversation(ctx, s.ws, other.ID); res.StatusCode != http.StatusSeeOther || assigneeOf(got) != "ada@example.com" {
		t.Fatalf("admin takes over: %d %v", res.StatusCode, assigneeOf(got))
	}
}

// assignee returns a conversation's assignee, "" for none.
func assigneeOf(c *sb.Conversation) string {
	if c.Assignee == nil {
		return ""
	}
	return *c.Assignee
}
