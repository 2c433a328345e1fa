package webchat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/switchboardhq/switchboard"
)

func TestWSNewSession(t *testing.T) {
	e := newEnv(t, Config{})
	cl := e.dial(testOrigin, "")
	sess, err := VerifyToken(testSecret, cl.token, e.ch.ID, testOrigin, time.Now(), DefaultTokenMaxAge)
	if err != nil || sess.Visitor != cl.visitor {
		t.Fatalf("the session token does not verify for the visitor: %v", err)
	}
	if f := cl.next(); f.Type != frameReady {
		t.Fatalf("frame %+v, want ready (nothing to catch up)", f)
	}
	// The same token resumes the same visitor, with a fresh token.
	again := e.dial(testOrigin, "token="+url.QueryEscape(cl.token))
	if again.visitor != cl.visitor {
		t.Fatalf("visitor %s, want %s", again.visitor, cl.visitor)
	}
	// A default port written out is the same origin.
	same := e.dial("http://SHOP.test:8080", "token="+url.QueryEscape(cl.token))
	if same.visitor != cl.visitor {
		t.Fatal("the same origin, written differently, lost the session")
	}
}

// TestWSTokenFromAnotherOrigin: a token issued to one allowed origin is
// refused from another (a new anonymous visitor starts instead), and the
// hook route refuses it.
func TestWSTokenFromAnotherOrigin(t *testing.T) {
	other := "https://blog.test"
	e := newEnv(t, Config{}, testOrigin, other)
	cl := e.dial(testOrigin, "")
	cl.until(frameReady)
	cl.say("m1", "secret question")
	cl.until(frameAck)

	stranger := e.dial(other, "token="+url.QueryEscape(cl.token))
	if stranger.visitor == cl.visitor {
		t.Fatal("a token issued to one origin was accepted from another")
	}
	before, _ := stranger.until(frameReady)
	if len(texts(before)) != 0 {
		t.Fatalf("the other origin saw the visitor's messages: %v", texts(before))
	}

	h := http.Header{}
	h.Set("Origin", other)
	h.Set("Authorization", "Bearer "+cl.token)
	_, err := e.adapter.HandleHook(context.Background(), e.ch, &switchboard.HookRequest{Header: h, Body: []byte(`{"type":"message","id":"x","text":"hi"}`)})
	wantCode(t, err, switchboard.EUnauthorized)
}

func TestWSOriginEnforced(t *testing.T) {
	e := newEnv(t, Config{}, testOrigin, "https://*.example.org")
	empty := e.channel(switchboard.ChannelWebchat, []string{})
	tg := e.channel(switchboard.ChannelTelegram, []string{testOrigin})
	base := strings.TrimSuffix(e.wsURL, "/webchat/"+e.ch.ID+"/ws")
	tests := []struct {
		name, url, origin string
		status            int
	}{
		{"not allowed", e.wsURL, "https://evil.test", 403},
		{"other scheme", e.wsURL, "https://shop.test:8080", 403},
		{"other port", e.wsURL, "http://shop.test:8081", 403},
		{"no origin", e.wsURL, "", 403},
		{"null origin", e.wsURL, "null", 403},
		{"apex of a wildcard", e.wsURL, "https://example.org", 403},
		{"empty allowed_origins", base + "/webchat/" + empty.ID + "/ws", testOrigin, 403},
		{"unknown channel", base + "/webchat/ch_01JHX0000000000000000000AA/ws", testOrigin, 404},
		{"not a channel id", base + "/webchat/x/ws", testOrigin, 404},
		{"not a web chat channel", base + "/webchat/" + tg.ID + "/ws", testOrigin, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, res, err := websocket.Dial(ctx, tt.url, &websocket.DialOptions{HTTPHeader: h})
			if err == nil {
				c.CloseNow()
				t.Fatal("upgraded")
			}
			if res == nil || res.StatusCode != tt.status {
				t.Fatalf("response %v, want %d", res, tt.status)
			}
		})
	}
	t.Run("wildcard subdomain", func(t *testing.T) {
		e.dial("https://www.example.org", "").until(frameReady)
	})
	t.Run("plain GET", func(t *testing.T) {
		res, err := http.Get(e.srv.URL + "/webchat/" + e.ch.ID + "/ws")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 {
			t.Fatalf("status %d, want 400", res.StatusCode)
		}
	})
	t.Run("disconnected channel", func(t *testing.T) {
		ch := e.channel(switchboard.ChannelWebchat, []string{testOrigin})
		ch.Status = switchboard.ChannelDisconnected
		if err := e.db.UpdateChannel(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
		h := http.Header{"Origin": {testOrigin}}
		_, res, err := websocket.Dial(context.Background(), base+"/webchat/"+ch.ID+"/ws", &websocket.DialOptions{HTTPHeader: h})
		if err == nil || res.StatusCode != 403 {
			t.Fatalf("err %v, response %v; want 403", err, res)
		}
	})
	t.Run("channel without a session secret", func(t *testing.T) {
		ch := e.channel(switchboard.ChannelWebchat, []string{testOrigin})
		ch.Secrets = map[string]string{}
		if err := e.db.UpdateChannel(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
		h := http.Header{"Origin": {testOrigin}}
		_, res, err := websocket.Dial(context.Background(), base+"/webchat/"+ch.ID+"/ws", &websocket.DialOptions{HTTPHeader: h})
		if err == nil || res.StatusCode != 403 {
			t.Fatalf("err %v, response %v; want 403", err, res)
		}
	})
}

func TestWSSendAndAck(t *testing.T) {
	e := newEnv(t, Config{})
	cl := e.dial(testOrigin, "")
	cl.until(frameReady)
	cl.say("c-1", "  hello there  ")
	_, ack := cl.until(frameAck)
	if ack.ID != "c-1" || !switchboard.HasPrefix(ack.MessageID, switchboard.PrefixMessage) {
		t.Fatalf("ack %+v", ack)
	}
	m, err := e.db.GetMessageByExternalID(context.Background(), e.ch.ID, switchboard.DirectionInbound, cl.visitor+":c-1")
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != ack.MessageID || m.Text != "hello there" || m.Sender != switchboard.SenderUser {
		t.Fatalf("stored %+v", m)
	}
	ct, err := e.db.GetContactByExternalID(context.Background(), e.ch.ID, cl.visitor)
	if err != nil {
		t.Fatalf("no contact for the visitor: %v", err)
	}
	if ct.WorkspaceID != e.ws.ID {
		t.Fatal("contact in another workspace")
	}
	// The connection also gets the stored message (for the other tabs).
	f := cl.next()
	if f.Type != frameMessage || f.ID != m.ID || f.ClientID != "c-1" || f.Sender != "user" {
		t.Fatalf("frame %+v, want the stored message with its client id", f)
	}
}

func TestWSLivePush(t *testing.T) {
	e := newEnv(t, Config{})
	cl := e.dial(testOrigin, "")
	cl.until(frameReady)
	id := switchboard.NewID(switchboard.PrefixMessage)
	ext, err := e.adapter.Send(context.Background(), e.ch, &switchboard.OutboundMessage{MessageID: id, To: cl.visitor, Sender: switchboard.SenderAgent, Text: "Hello! How can I help?"})
	if err != nil || ext != id {
		t.Fatalf("Send = %q, %v", ext, err)
	}
	f := cl.next()
	if f.Type != frameMessage || f.ID != id || f.Text != "Hello! How can I help?" || f.Sender != switchboard.SenderAgent {
		t.Fatalf("frame %+v", f)
	}
	// Nobody listening: still a success; the message is caught up later.
	if _, err := e.adapter.Send(context.Background(), e.ch, &switchboard.OutboundMessage{MessageID: id, To: NewVisitorID(), Text: "x"}); err != nil {
		t.Fatal(err)
	}
	// Another channel's visitor of the same id hears nothing.
	other := e.channel(switchboard.ChannelWebchat, []string{testOrigin})
	if _, err := e.adapter.Send(context.Background(), other, &switchboard.OutboundMessage{MessageID: "msg_x", To: cl.visitor, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	cl.quiet(100 * time.Millisecond)
}

func TestSendRefusesNonVisitors(t *testing.T) {
	_, err := New(nil).Send(context.Background(), &switchboard.Channel{ID: "ch_x"}, &switchboard.OutboundMessage{MessageID: "msg_1", To: "user-42", Text: "x"})
	var se *switchboard.SendError
	if !errors.As(err, &se) || se.Retryable {
		t.Fatalf("error %v, want a permanent SendError", err)
	}
}

func TestWSHistoryAndCatchUp(t *testing.T) {
	e := newEnv(t, Config{})
	cl := e.dial(testOrigin, "")
	cl.until(frameReady)
	cl.say("c-1", "first")
	cl.until(frameAck)
	cl.c.Close(websocket.StatusNormalClosure, "")

	now := time.Now()
	e.reply(cl.visitor, "bot", "older answer", switchboard.MessageSent, now.Add(-20*time.Minute))
	old := e.reply(cl.visitor, "bot", "old answer", switchboard.MessageSent, now.Add(-10*time.Minute))
	e.reply(cl.visitor, "bot", "not sent yet", switchboard.MessageQueued, time.Time{})
	e.reply(cl.visitor, "bot", "failed", switchboard.MessageFailed, time.Time{})
	e.reply(cl.visitor, "agent", "an agent here", switchboard.MessageDelivered, time.Time{})

	// No after: the history, oldest first, without unsent messages.
	again := e.dial(testOrigin, "token="+url.QueryEscape(cl.token))
	frames, _ := again.until(frameReady)
	want := []string{"bot:older answer", "bot:old answer", "user:first", "agent:an agent here"}
	if got := texts(frames); !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	if frames[2].ClientID != "c-1" {
		t.Fatalf("the visitor's own message lacks its client id: %+v", frames[2])
	}
	last := frames[len(frames)-1].ID

	// after the newest seen: nothing new (the minute before it is looked at
	// again, and the client drops what it has).
	resumed := e.dial(testOrigin, "token="+url.QueryEscape(cl.token)+"&after="+last)
	frames, _ = resumed.until(frameReady)
	for _, f := range frames {
		if f.Type == frameMessage && f.ID <= old.ID {
			t.Fatalf("caught up %s, older than a minute before after", f.Text)
		}
	}
	// after the old message: everything newer, and the minute before it
	// (the old message itself), not the older one.
	resumed2 := e.dial(testOrigin, "token="+url.QueryEscape(cl.token)+"&after="+old.ID)
	frames, _ = resumed2.until(frameReady)
	if got := texts(frames); !slices.Equal(got, want[1:]) {
		t.Fatalf("catch-up %v, want %v", got, want[1:])
	}
	// A malformed after is the history.
	resumed3 := e.dial(testOrigin, "token="+url.QueryEscape(cl.token)+"&after=bogus")
	frames, _ = resumed3.until(frameReady)
	if got := texts(frames); !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	// A new visitor sees nothing of it.
	stranger := e.dial(testOrigin, "")
	frames, _ = stranger.until(frameReady)
	if len(frames) != 0 {
		t.Fatalf("a new visitor got %v", texts(frames))
	}
}

func TestWSHistoryLimit(t *testing.T) {
	e := newEnv(t, Config{HistoryLimit: 3})
	visitor := NewVisitorID()
	tok, _ := IssueToken(testSecret, Session{ChannelID: e.ch.ID, Origin: testOrigin, Visitor: visitor, IssuedAt: time.Now()})
	for i := range 60 { // more than a page of the store
		e.reply(visitor, "bot", fmt.Sprint(i), switchboard.MessageSent, time.Time{})
	}
	cl := e.dial(testOrigin, "token="+url.QueryEscape(tok))
	frames, _ := cl.until(frameReady)
	if got := texts(frames); !slices.Equal(got, []string{"bot:57", "bot:58", "bot:59"}) {
		t.Fatalf("history %v, want the newest three", got)
	}
}

// TestWSResentMessageIsStoredOnce: a message resent after a reconnect (the
// ack was lost) is acknowledged again and stored once.
func TestWSResentMessageIsStoredOnce(t *testing.T) {
	e := newEnv(t, Config{})
	cl := e.dial(testOrigin, "")
	cl.until(frameReady)
	cl.say("same-id", "only once")
	_, a1 := cl.until(frameAck)
	cl.c.Close(websocket.StatusNormalClosure, "")

	again := e.dial(testOrigin, "token="+url.QueryEscape(cl.token))
	again.until(frameReady)
	again.say("same-id", "only once")
	_, a2 := again.until(frameAck)
	if a1.MessageID == "" || a2.MessageID != a1.MessageID {
		t.Fatalf("acks %+v and %+v, want the same stored message", a1, a2)
	}
	ct, _ := e.db.GetContactByExternalID(context.Background(), e.ch.ID, cl.visitor)
	convs, _ := e.db.ListConversations(context.Background(), e.ws.ID, switchboard.ConversationFilter{ContactID: ct.ID}, switchboard.Page{Limit: 10})
	msgs, _ := e.db.ListMessages(context.Background(), e.ws.ID, convs[0].ID, switchboard.Page{Limit: 10})
	if len(convs) != 1 || len(msgs) != 1 {
		t.Fatalf("%d conversations, %d messages; want 1 and 1", len(convs), len(msgs))
	}
	// Another visitor may use the same client id.
	other := e.dial(testOrigin, "")
	other.until(frameReady)
	other.say("same-id", "mine")
	_, a3 := other.until(frameAck)
	if a3.MessageID == a1.MessageID {
		t.Fatal("another visitor's message was taken for a repeat")
	}
}

func TestWSBadFrames(t *testing.T) {
	e := newEnv(t, Config{})
	cl := e.dial(testOrigin, "")
	cl.until(frameReady)
	tests := []struct {
		name, frame, code, id string
	}{
		{"not JSON", `hello`, errInvalidFrame, ""},
		{"array", `[]`, errInvalidFrame, ""},
		{"truncated", `{"type":"message"`, errInvalidFrame, ""},
		{"trailing data", `{"type":"ping"} {}`, errInvalidFrame, ""},
		{"unknown type", `{"type":"typing"}`, errInvalidFrame, ""},
		{"no type", `{"id":"a","text":"x"}`, errInvalidFrame, ""},
		{"unknown field", `{"type":"message","id":"a","text":"x","sender":"agent"}`, errInvalidFrame, ""},
		{"no id", `{"type":"message","text":"x"}`, errInvalidFrame, ""},
		{"bad id", `{"type":"message","id":"a b","text":"x"}`, errInvalidFrame, ""},
		{"long id", `{"type":"message","id":"` + strings.Repeat("a", 65) + `","text":"x"}`, errInvalidFrame, ""},
		{"text a number", `{"type":"message","id":"a","text":5}`, errInvalidFrame, ""},
		{"empty text", `{"type":"message","id":"a","text":"  \n "}`, errInvalidFrame, "a"},
		{"NUL", `{"type":"message","id":"a","text":"x\u0000y"}`, errInvalidFrame, "a"},
		{"too long", `{"type":"message","id":"a","text":"` + strings.Repeat("é", MaxTextLen+1) + `"}`, errTooLong, "a"},
		{"not UTF-8", "{\"type\":\"message\",\"id\":\"a\",\"text\":\"\xff\"}", errInvalidFrame, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl.send(tt.frame)
			f := cl.next()
			if f.Type != frameError || f.Code != tt.code || f.ID != tt.id || f.Message == "" {
				t.Fatalf("frame %+v, want error %s for id %q", f, tt.code, tt.id)
			}
		})
	}
	t.Run("binary", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := cl.c.Write(ctx, websocket.MessageBinary, []byte{1, 2}); err != nil {
			t.Fatal(err)
		}
		if f := cl.next(); f.Type != frameError || f.Code != errInvalidFrame {
			t.Fatalf("frame %+v", f)
		}
	})
	// Still alive and speaking; a text of exactly the limit is accepted.
	cl.send(`{"type":"ping"}`)
	if f := cl.next(); f.Type != framePong {
		t.Fatalf("frame %+v, want pong", f)
	}
	cl.say("max", strings.Repeat("é", MaxTextLen))
	if _, ack := cl.until(frameAck); ack.ID != "max" {
		t.Fatalf("ack %+v", ack)
	}
	if n := e.count(); n != 1 {
		t.Fatalf("%d ingests, want only the valid message", n)
	}
	// A frame over the limit closes the connection (1009).
	cl.send(`{"type":"message","id":"big","text":"` + strings.Repeat("x", MaxFrameBytes) + `"}`)
	if s := cl.closed(); s != websocket.StatusMessageTooBig {
		t.Fatalf("closed with %v (%v), want 1009", s, cl.err)
	}
}

func TestWSIngestFailure(t *testing.T) {
	e := newEnv(t, Config{})
	cl := e.dial(testOrigin, "")
	cl.until(frameReady)
	e.mu.Lock()
	e.failNext = errors.New("database on fire")
	e.mu.Unlock()
	cl.say("a", "hi")
	if f := cl.next(); f.Type != frameError || f.Code != errInternal || f.ID != "a" || strings.Contains(f.Message, "fire") {
		t.Fatalf("frame %+v, want an internal error without details", f)
	}
	cl.say("a", "hi") // the widget sends it again
	if _, ack := cl.until(frameAck); ack.ID != "a" {
		t.Fatalf("ack %+v", ack)
	}
}

func TestWSRateLimit(t *testing.T) {
	e := newEnv(t, Config{MessageRate: 0.001, MessageBurst: 2})
	cl := e.dial(testOrigin, "")
	cl.until(frameReady)
	for i := range 3 {
		cl.say(fmt.Sprint("m", i), "spam")
	}
	var acks, limited int
	for acks+limited < 3 {
		switch f := cl.next(); {
		case f.Type == frameAck:
			acks++
		case f.Type == frameError && f.Code == errRateLimited && f.ID == "m2":
			limited++
		case f.Type == frameMessage:
		default:
			t.Fatalf("frame %+v", f)
		}
	}
	if acks != 2 || limited != 1 {
		t.Fatalf("%d acks, %d refusals", acks, limited)
	}
}

// TestWSOtherTabs: a message sent from one tab shows in the visitor's
// other tabs at once.
func TestWSOtherTabs(t *testing.T) {
	e := newEnv(t, Config{})
	a := e.dial(testOrigin, "")
	a.until(frameReady)
	b := e.dial(testOrigin, "token="+url.QueryEscape(a.token))
	b.until(frameReady)
	a.say("from-a", "typed in tab A")
	f := b.next()
	if f.Type != frameMessage || f.ClientID != "from-a" || f.Text != "typed in tab A" {
		t.Fatalf("tab B got %+v", f)
	}
	if e.hub.Connections() != 2 {
		t.Fatalf("%d connections in the hub", e.hub.Connections())
	}
}

// TestWSPollFindsMessagesOfOtherProcesses: a message sent by another
// process (stored, never published here) arrives by the periodic check,
// once it is sent, and once only.
func TestWSPollFindsMessagesOfOtherProcesses(t *testing.T) {
	e := newEnv(t, Config{PollInterval: 50 * time.Millisecond})
	cl := e.dial(testOrigin, "")
	cl.until(frameReady)
	cl.say("c", "hello")
	cl.until(frameAck)
	cl.next() // the stored message
	m := e.reply(cl.visitor, "bot", "from elsewhere", switchboard.MessageQueued, time.Time{})
	cl.quiet(200 * time.Millisecond)
	m.Status = switchboard.MessageSent
	if err := e.db.UpdateMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	f := cl.next()
	if f.Type != frameMessage || f.ID != m.ID || f.Sender != "bot" || f.Text != "from elsewhere" {
		t.Fatalf("frame %+v", f)
	}
	// Published here too: not sent twice.
	e.adapter.Send(context.Background(), e.ch, &switchboard.OutboundMessage{MessageID: m.ID, To: cl.visitor, Text: m.Text})
	cl.quiet(200 * time.Millisecond)
}

// TestWSOutlivesServerTimeouts: the server's read and write timeouts
// (300 ms here) do not cut a WebSocket.
func TestWSOutlivesServerTimeouts(t *testing.T) {
	e := newEnv(t, Config{PingInterval: 100 * time.Millisecond})
	cl := e.dial(testOrigin, "")
	cl.until(frameReady)
	time.Sleep(700 * time.Millisecond)
	cl2 := e.dial(testOrigin, "")
	cl2.until(frameReady)
	time.Sleep(700 * time.Millisecond)
	cl2.send(`{"type":"ping"}`)
	if f := cl2.next(); f.Type != framePong {
		t.Fatalf("frame %+v", f)
	}
}

func TestWSCloseGoingAway(t *testing.T) {
	e := newEnv(t, Config{})
	cl := e.dial(testOrigin, "")
	cl.until(frameReady)
	e.handler.Close()
	if s := cl.closed(); s != websocket.StatusGoingAway {
		t.Fatalf("closed with %v (%v), want 1001", s, cl.err)
	}
	// A connection after Close is closed at once, the same way.
	c, _, err := e.tryDial(testOrigin, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("a connection after Close read %v, want 1001", err)
	}
}

func TestWSChannelDisconnectedOrOriginRemoved(t *testing.T) {
	var skew atomic.Int64
	e := newEnv(t, Config{PollInterval: 20 * time.Millisecond, Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }},
		testOrigin, "https://blog.test")
	shop := e.dial(testOrigin, "")
	shop.until(frameReady)
	blog := e.dial("https://blog.test", "")
	blog.until(frameReady)
	e.ch.Config["allowed_origins"] = []string{testOrigin}
	if err := e.db.UpdateChannel(context.Background(), e.ch); err != nil {
		t.Fatal(err)
	}
	skew.Store(int64(time.Minute))
	if s := blog.closed(); s != websocket.StatusPolicyViolation {
		t.Fatalf("closed with %v (%v), want 1008", s, blog.err)
	}
	shop.quiet(100 * time.Millisecond)
	e.ch.Status = switchboard.ChannelDisconnected
	if err := e.db.UpdateChannel(context.Background(), e.ch); err != nil {
		t.Fatal(err)
	}
	skew.Store(int64(2 * time.Minute))
	if s := shop.closed(); s != websocket.StatusPolicyViolation {
		t.Fatalf("closed with %v (%v), want 1008", s, shop.err)
	}
}

func TestWSChannelDeleted(t *testing.T) {
	var skew atomic.Int64 // the channel is read again every 30 seconds: advance the clock
	e := newEnv(t, Config{PollInterval: 20 * time.Millisecond, Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	cl := e.dial(testOrigin, "")
	cl.until(frameReady)
	if err := e.db.DeleteChannel(context.Background(), e.ws.ID, e.ch.ID); err != nil {
		t.Fatal(err)
	}
	skew.Store(int64(time.Minute))
	if s := cl.closed(); s != websocket.StatusPolicyViolation {
		t.Fatalf("closed with %v (%v), want 1008", s, cl.err)
	}
}

func TestServeWidget(t *testing.T) {
	e := newEnv(t, Config{})
	res, err := http.Get(e.srv.URL + "/webchat/widget.js")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") ||
		res.Header.Get("Cache-Control") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
	}
	if string(body) != string(WidgetJS()) {
		t.Fatal("body is not the widget")
	}
	if len(body) > 12<<10 {
		t.Errorf("the widget is %d bytes; keep it small", len(body))
	}
	for _, want := range []string{"role='dialog'", "aria-live", "attachShadow", "--sb-accent", "localStorage", "after="} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the widget lacks %s", want)
		}
	}
	if strings.Contains(string(body), "innerHTML =") && strings.Count(string(body), "innerHTML") != 1 {
		t.Error("innerHTML is used beyond the static template; message text must go in with textContent")
	}
}
