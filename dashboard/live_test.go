package dashboard_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/dashboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// liveConfig polls and beats often, so that the tests wait little.
var liveConfig = dashboard.Config{LivePoll: 40 * time.Millisecond, LiveHeartbeat: 150 * time.Millisecond}

// browser returns a new client signed in as email.
func (s *inboxStack) browser(t testing.TB, email string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(s.srv.URL + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	var page strings.Builder
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		page.WriteString(sc.Text())
	}
	res.Body.Close()
	res, err = c.PostForm(s.srv.URL+"/signin", url.Values{"csrf_token": {csrf.FindStringSubmatch(page.String())[1]},
		"email": {email}, "password": {inboxPassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in as %s: %d", email, res.StatusCode)
	}
	return c
}

// sse is one open /live stream, read line by line in the background.
type liveStream struct {
	res    *http.Response
	lines  chan string
	cancel context.CancelFunc
}

// change is one "change" message of the stream.
type liveChange struct {
	ID             string
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
}

// openLive opens /live for the client c, with lastID as Last-Event-ID,
// or as the query string when it starts with "?".
func openLive(t *testing.T, s *inboxStack, c *http.Client, lastID string) *liveStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	path := "/live"
	if strings.HasPrefix(lastID, "?") {
		path, lastID = path+lastID, ""
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", s.srv.URL+path, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := c.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	st := &liveStream{res: res, lines: make(chan string, 1024), cancel: cancel}
	go func() {
		defer close(st.lines)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			st.lines <- sc.Text()
		}
	}()
	t.Cleanup(st.close)
	return st
}

func (st *liveStream) close() { st.cancel() }

// next returns the next change, or fails after a while; comments seen on
// the way are reported to comment.
func (st *liveStream) next(t *testing.T, comment func(string)) liveChange {
	t.Helper()
	var c liveChange
	var data string
	deadline := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-st.lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			switch {
			case strings.HasPrefix(line, ":"):
				if comment != nil {
					comment(line)
				}
			case strings.HasPrefix(line, "id: "):
				c.ID = strings.TrimPrefix(line, "id: ")
			case line == "event: change":
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && data != "":
				if err := json.Unmarshal([]byte(data), &c); err != nil {
					t.Fatalf("data %q: %v", data, err)
				}
				if c.ID == "" {
					t.Fatalf("a change without an id: %s", data)
				}
				return c
			}
		case <-deadline:
			t.Fatal("no change on the stream")
		}
	}
}

// expect reads changes until one of the type about the conversation
// ("" for none), failing on the way if an id comes twice.
func (st *liveStream) expect(t *testing.T, seen map[string]bool, typ, conv string) liveChange {
	t.Helper()
	for {
		c := st.next(t, nil)
		if seen[c.ID] {
			t.Fatalf("event %s (%s) sent twice", c.ID, c.Type)
		}
		seen[c.ID] = true
		if c.Type == typ && c.ConversationID == conv {
			return c
		}
	}
}

func (s *inboxStack) event(t *testing.T, typ string, data any) *sb.Event {
	t.Helper()
	e := sb.NewEvent(s.ws, typ, data)
	if err := s.db.CreateEvent(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestLiveStream: changes reach signed-in people's streams with their
// conversation, agents hear of conversations and messages only, an event
// committed after a newer one is not skipped, nothing comes twice, a
// reconnection replays what was missed, heartbeats keep the stream open,
// and closing streams leaves no goroutine behind.
func TestLiveStream(t *testing.T) {
	s := newInboxStack(t, inboxSQLite(t), liveConfig)
	ctx := context.Background()
	conv := s.conversation(t, "Lively", time.Now().UTC(), "hi")
	anon := &http.Client{}
	res, err := anon.Get(s.srv.URL + "/live")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("signed out: %d", res.StatusCode)
	}
	admin, agent := s.browser(t, "ada@example.com"), s.browser(t, "grace@example.com")
	s.srv.CloseClientConnections()
	runtime.GC()
	baseline := runtime.NumGoroutine()

	a, g := openLive(t, s, admin, ""), openLive(t, s, agent, "")
	if ct := a.res.Header.Get("Content-Type"); a.res.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("stream: %d %s", a.res.StatusCode, ct)
	}
	if feeds, streams := dashboard.LiveCounts(s.h); feeds != 1 || streams != 2 {
		t.Fatalf("one workspace, two streams: %d feeds, %d streams", feeds, streams)
	}
	seenA, seenG := map[string]bool{}, map[string]bool{}

	if _, err := s.app.UpdateConversation(ctx, s.ws, conv.ID, &app.UpdateConversationParams{
		Status: sb.Optional[string]{Set: true, Value: sb.ConversationHandoff}}); err != nil {
		t.Fatal(err)
	}
	a.expect(t, seenA, sb.EventConversationUpdated, conv.ID)
	g.expect(t, seenG, sb.EventConversationUpdated, conv.ID)

	test := s.event(t, sb.EventWebhookTest, map[string]any{})
	msg := s.inbound(t, conv, "more")
	received := s.event(t, sb.EventMessageReceived, map[string]any{"message": msg})
	if c := a.expect(t, seenA, sb.EventWebhookTest, ""); c.ID != test.ID {
		t.Fatalf("admin's webhook.test: %+v", c)
	}
	a.expect(t, seenA, sb.EventMessageReceived, conv.ID)
	if c := g.next(t, nil); c.ID != received.ID || c.Type != sb.EventMessageReceived || c.ConversationID != conv.ID {
		t.Fatalf("the agent's next change is %+v, want the message only", c)
	}
	seenG[received.ID] = true

	// An event whose id is older than one already sent (its transaction
	// committed later) is still sent, once.
	late := sb.NewEvent(s.ws, sb.EventConversationUpdated, map[string]any{"conversation": conv})
	time.Sleep(5 * time.Millisecond)
	newer := s.event(t, sb.EventMessageSent, map[string]any{"message": msg})
	a.expect(t, seenA, sb.EventMessageSent, conv.ID)
	if err := s.db.CreateEvent(ctx, late); err != nil {
		t.Fatal(err)
	}
	if c := a.expect(t, seenA, sb.EventConversationUpdated, conv.ID); c.ID != late.ID || late.ID > newer.ID {
		t.Fatalf("late event: got %s, wrote %s before %s", c.ID, late.ID, newer.ID)
	}
	// Several polls later, nothing came twice: the sentinel is the next.
	time.Sleep(300 * time.Millisecond)
	sentinel := s.event(t, sb.EventConversationStarted, map[string]any{"conversation": map[string]any{"id": "conv_sentinel"}})
	if c := a.next(t, nil); c.ID != sentinel.ID {
		t.Fatalf("after the sentinel's write, the stream sent %+v", c)
	}

	// Heartbeats while nothing happens.
	beat := make(chan struct{}, 1)
	go func() {
		for line := range g.lines {
			if line == ": heartbeat" {
				beat <- struct{}{}
				return
			}
		}
	}()
	select {
	case <-beat:
	case <-time.After(10 * time.Second):
		t.Fatal("no heartbeat")
	}
	g.close()

	// The agent comes back with the last id it saw: what it missed (its
	// kinds only) is replayed, in order, then the stream goes on.
	m1 := s.event(t, sb.EventMessageReceived, map[string]any{"message": msg})
	s.event(t, sb.EventBotTrained, map[string]any{"bot": map[string]any{"id": "bot_x"}})
	m2 := s.event(t, sb.EventConversationEnded, map[string]any{"conversation": conv})
	g2 := openLive(t, s, agent, sentinel.ID)
	seenG = map[string]bool{}
	for _, want := range []*sb.Event{m1, m2} {
		if c := g2.next(t, nil); c.ID != want.ID || c.Type != want.Type || c.ConversationID != conv.ID {
			t.Fatalf("replay: got %+v, want %s %s", c, want.ID, want.Type)
		}
		seenG[want.ID] = true
	}
	time.Sleep(200 * time.Millisecond)
	m3 := s.event(t, sb.EventMessageDelivered, map[string]any{"message": msg})
	if c := g2.expect(t, seenG, sb.EventMessageDelivered, conv.ID); c.ID != m3.ID {
		t.Fatalf("after the replay: %+v", c)
	}

	// Streams closed: the feed stops, no goroutine stays.
	a.close()
	g2.close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.srv.CloseClientConnections()
		admin.CloseIdleConnections()
		agent.CloseIdleConnections()
		feeds, streams := dashboard.LiveCounts(s.h)
		n := runtime.NumGoroutine()
		if feeds == 0 && streams == 0 && n <= baseline {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("after closing: %d feeds, %d streams, %d goroutines (were %d)\n%s", feeds, streams, n, baseline,
				buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLiveSince: a page's stream starts where the page was rendered
// (data-live-since), so that a change made between the page and the
// stream is not missed, even by a feed that starts with that stream.
func TestLiveSince(t *testing.T) {
	s := newInboxStack(t, inboxSQLite(t), liveConfig)
	conv := s.conversation(t, "Between", time.Now().UTC(), "hi")
	c := s.browser(t, "grace@example.com")
	res, err := c.Get(s.srv.URL + "/inbox")
	if err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		body.WriteString(sc.Text())
	}
	res.Body.Close()
	m := regexp.MustCompile(`<body class="console" data-live-since="(evt_[0-9A-Z]{26})">`).FindStringSubmatch(body.String())
	if m == nil {
		t.Fatal("the page names no data-live-since")
	}
	meanwhile := s.event(t, sb.EventMessageReceived, map[string]any{"message": map[string]any{"conversation_id": conv.ID}})
	time.Sleep(100 * time.Millisecond)
	st := openLive(t, s, c, "?since="+m[1])
	if got := st.next(t, nil); got.ID != meanwhile.ID || got.ConversationID != conv.ID {
		t.Fatalf("first change: %+v, want %s", got, meanwhile.ID)
	}
	after := s.event(t, sb.EventConversationUpdated, map[string]any{"conversation": conv})
	if got := st.next(t, nil); got.ID != after.ID {
		t.Fatalf("next change: %+v, want %s (and the replayed one once)", got, after.ID)
	}
}

// TestLiveEndsAtSignOut: a stream lasts as long as its session.
func TestLiveEndsAtSignOut(t *testing.T) {
	s := newInboxStack(t, inboxSQLite(t), liveConfig)
	c := s.browser(t, "grace@example.com")
	st := openLive(t, s, c, "")
	res, err := c.Get(s.srv.URL + "/inbox")
	if err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		body.WriteString(sc.Text())
	}
	res.Body.Close()
	res, err = c.PostForm(s.srv.URL+"/signout", url.Values{"csrf_token": {csrf.FindStringSubmatch(body.String())[1]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", res.StatusCode)
	}
	deadline := time.After(10 * time.Second)
	for ended := false; !ended; {
		select {
		case _, ok := <-st.lines:
			ended = !ok
		case <-deadline:
			t.Fatal("the stream outlived its session")
		}
	}
}

// TestLiveOutlivesReadTimeout: a stream lasts longer than the server's
// ReadTimeout (serve's is a minute), which would otherwise cancel it.
func TestLiveOutlivesReadTimeout(t *testing.T) {
	s := newInboxStack(t, inboxSQLite(t), liveConfig)
	conv := s.conversation(t, "Patient", time.Now().UTC(), "hi")
	short := httptest.NewUnstartedServer(s.srv.Config.Handler)
	short.Config.ReadTimeout = 300 * time.Millisecond
	short.Start()
	defer short.Close()
	c := s.browser(t, "grace@example.com") // cookies are per host, not per port
	res, err := c.Get(short.URL + "/live")
	if err != nil {
		t.Fatal(err)
	}
	st := &liveStream{res: res, lines: make(chan string, 1024), cancel: func() { res.Body.Close() }}
	go func() {
		defer close(st.lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			st.lines <- sc.Text()
		}
	}()
	defer st.close()
	time.Sleep(time.Second)
	e := s.event(t, sb.EventConversationUpdated, map[string]any{"conversation": conv})
	if got := st.next(t, nil); got.ID != e.ID {
		t.Fatalf("after the read timeout: %+v", got)
	}
}

// TestLiveClose: closing the handler (at shutdown) ends the open streams
// and refuses new ones, so that the server's drain does not wait.
func TestLiveClose(t *testing.T) {
	s := newInboxStack(t, inboxSQLite(t), liveConfig)
	st := openLive(t, s, s.browser(t, "grace@example.com"), "")
	s.h.Close()
	deadline := time.After(10 * time.Second)
	for ended := false; !ended; {
		select {
		case _, ok := <-st.lines:
			ended = !ok
		case <-deadline:
			t.Fatal("the stream outlived Close")
		}
	}
	res, err := s.browser(t, "grace@example.com").Get(s.srv.URL + "/live")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a stream after Close: %d", res.StatusCode)
	}
}

// TestLiveAcrossProcesses: two servers on one PostgreSQL. A change made
// through server B appears on the stream of a person signed in on server
// A; an event whose transaction commits after a newer one's is not
// skipped; a reconnection to A replays what B wrote meanwhile.
func TestLiveAcrossProcesses(t *testing.T) {
	dbURL := pgtest.URL(t)
	a := newInboxStack(t, dbURL, liveConfig)
	b := newInboxStack(t, dbURL, liveConfig)
	ctx := context.Background()
	conv := b.conversation(t, "Shared", time.Now().UTC(), "hello from B's platform")
	st := openLive(t, a, a.browser(t, "ada@example.com"), "")
	seen := map[string]bool{}

	b.signIn(t, "grace@example.com", inboxPassword)
	if res, _ := b.post(t, "/inbox/"+conv.ID+"/takeover", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("take over on B: %d", res.StatusCode)
	}
	st.expect(t, seen, sb.EventConversationUpdated, conv.ID)
	if res, _ := b.post(t, "/inbox/"+conv.ID+"/reply", url.Values{"text": {"on it"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply on B: %d", res.StatusCode)
	}
	msg := b.inbound(t, conv, "thanks")
	b.event(t, sb.EventMessageReceived, map[string]any{"message": msg})
	last := st.expect(t, seen, sb.EventMessageReceived, conv.ID)

	// B's transaction holds an event while a newer one commits.
	held, release := make(chan *sb.Event, 1), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- b.db.Tx(ctx, func(q sb.Queries) error {
			e := sb.NewEvent(b.ws, sb.EventConversationUpdated, map[string]any{"conversation": conv})
			if err := q.CreateEvent(ctx, e); err != nil {
				return err
			}
			held <- e
			<-release
			return nil
		})
	}()
	early := <-held
	time.Sleep(5 * time.Millisecond)
	newer := b.event(t, sb.EventMessageSent, map[string]any{"message": msg})
	if c := st.expect(t, seen, sb.EventMessageSent, conv.ID); c.ID != newer.ID {
		t.Fatalf("newer: %+v", c)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c := st.expect(t, seen, sb.EventConversationUpdated, conv.ID); c.ID != early.ID || early.ID > newer.ID {
		t.Fatalf("the event committed late: got %s, want %s (< %s)", c.ID, early.ID, newer.ID)
	}

	// A browser that lost A's stream comes back: B's changes meanwhile are
	// replayed.
	st.close()
	if _, err := b.app.UpdateConversation(ctx, b.ws, conv.ID, &app.UpdateConversationParams{
		Status: sb.Optional[string]{Set: true, Value: sb.ConversationEnded}}); err != nil {
		t.Fatal(err)
	}
	st2 := openLive(t, a, a.browser(t, "grace@example.com"), last.ID)
	types := map[string]bool{}
	for !types[sb.EventConversationEnded] {
		c := st2.next(t, nil)
		if c.ID <= last.ID && c.ID != early.ID {
			t.Fatalf("replayed %s, not after %s", c.ID, last.ID)
		}
		types[c.Type] = true
	}
	for _, want := range []string{sb.EventConversationUpdated, sb.EventMessageSent} {
		if !types[want] {
			t.Errorf("the replay lacks %s", want)
		}
	}
}
