package webchat

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

const testOrigin = "http://shop.test:8080"

// env is a webchat handler on a real loopback server over a real SQLite
// database, with one web chat channel. Ingest stands in for the pipeline:
// it stores the message in its conversation, dropping repeats, as the
// pipeline's ingest does.
type env struct {
	t       *testing.T
	db      *store.DB
	ws      *switchboard.Workspace
	ch      *switchboard.Channel
	hub     *Hub
	adapter *Adapter
	handler *Handler
	srv     *httptest.Server
	wsURL   string

	mu       sync.Mutex
	ingested int
	failNext error
}

func newEnv(t *testing.T, cfg Config, allowed ...string) *env {
	t.Helper()
	if allowed == nil {
		allowed = []string{testOrigin}
	}
	ctx := context.Background()
	db := pgtest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "sb.db"))
	e := &env{t: t, db: db, hub: NewHub()}
	e.ws = &switchboard.Workspace{ID: switchboard.NewID(switchboard.PrefixWorkspace), Name: "default", CreatedAt: time.Now().UTC()}
	if err := db.CreateWorkspace(ctx, e.ws); err != nil {
		t.Fatal(err)
	}
	e.ch = e.channel(switchboard.ChannelWebchat, allowed)
	e.adapter = New(e.hub)
	e.handler = NewHandler(cfg, db, IngestFunc(e.ingest), e.hub)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /webchat/widget.js", serveErr(e.handler.ServeWidget))
	mux.HandleFunc("GET /webchat/{channel_id}/ws", serveErr(e.handler.ServeWS))
	e.srv = httptest.NewUnstartedServer(mux)
	e.srv.Config.ReadTimeout = 300 * time.Millisecond // a hijacked WebSocket must outlive it
	e.srv.Config.WriteTimeout = 300 * time.Millisecond
	e.srv.Start()
	e.wsURL = "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/webchat/" + e.ch.ID + "/ws"
	t.Cleanup(func() {
		e.handler.Close()
		e.srv.Close()
	})
	return e
}

func (e *env) channel(typ string, allowed []string) *switchboard.Channel {
	ch := &switchboard.Channel{
		ID: switchboard.NewID(switchboard.PrefixChannel), WorkspaceID: e.ws.ID, Type: typ, Name: "web",
		Status: switchboard.ChannelConnected, Config: map[string]any{"allowed_origins": allowed},
		Secrets: map[string]string{"session_secret": testSecret}, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC(),
	}
	if err := e.db.CreateChannel(context.Background(), ch); err != nil {
		e.t.Fatal(err)
	}
	return ch
}

// serveErr writes a handler's error as the HTTP layer would (status and
// code only).
func serveErr(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		status := map[string]int{
			switchboard.EInvalid: 400, switchboard.EUnauthorized: 401, switchboard.EForbidden: 403, switchboard.ENotFound: 404,
		}[switchboard.ErrorCode(err)]
		if status == 0 {
			status = 500
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"code": switchboard.ErrorCode(err)})
	}
}

// ingest stores each message as the pipeline does: the contact and its
// open conversation found or created, the message stored once per
// external id.
func (e *env) ingest(ctx context.Context, ch *switchboard.Channel, res *switchboard.HookResult) error {
	e.mu.Lock()
	e.ingested++
	fail := e.failNext
	e.failNext = nil
	e.mu.Unlock()
	if fail != nil {
		return fail
	}
	return e.db.Tx(ctx, func(q switchboard.Queries) error {
		for _, in := range res.Messages {
			if _, err := q.GetMessageByExternalID(ctx, ch.ID, switchboard.DirectionInbound, in.ExternalID); err == nil {
				continue // a repeat
			}
			conv, err := e.conversation(ctx, q, in.Contact.ExternalID)
			if err != nil {
				return err
			}
			ext := in.ExternalID
			m := &switchboard.Message{WorkspaceID: ch.WorkspaceID, ConversationID: conv.ID, ChannelID: ch.ID,
				Direction: switchboard.DirectionInbound, Sender: switchboard.SenderUser, Text: in.Text,
				Status: switchboard.MessageReceived, ExternalID: &ext, Raw: in.Raw}
			if err := q.CreateMessage(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

func (e *env) conversation(ctx context.Context, q switchboard.Queries, visitor string) (*switchboard.Conversation, error) {
	ct, err := q.GetContactByExternalID(ctx, e.ch.ID, visitor)
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		ct = &switchboard.Contact{ID: switchboard.NewID(switchboard.PrefixContact), WorkspaceID: e.ws.ID, ChannelID: e.ch.ID,
			ExternalID: visitor, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
		err = q.CreateContact(ctx, ct)
	}
	if err != nil {
		return nil, err
	}
	conv, err := q.FindOpenConversation(ctx, e.ch.ID, ct.ID)
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		conv = &switchboard.Conversation{ID: switchboard.NewID(switchboard.PrefixConversation), WorkspaceID: e.ws.ID,
			ChannelID: e.ch.ID, ContactID: ct.ID, Status: switchboard.ConversationActive}
		err = q.CreateConversation(ctx, conv)
	}
	return conv, err
}

// reply stores an outbound message to the visitor with the given status,
// with an id created at the given time (zero: now).
func (e *env) reply(visitor, sender, text, status string, at time.Time) *switchboard.Message {
	e.t.Helper()
	var m *switchboard.Message
	err := e.db.Tx(context.Background(), func(q switchboard.Queries) error {
		conv, err := e.conversation(context.Background(), q, visitor)
		if err != nil {
			return err
		}
		m = &switchboard.Message{WorkspaceID: e.ws.ID, ConversationID: conv.ID, ChannelID: e.ch.ID,
			Direction: switchboard.DirectionOutbound, Sender: sender, Text: text, Status: status}
		if !at.IsZero() {
			m.ID = idAt(at)
			m.CreatedAt = at
		}
		return q.CreateMessage(context.Background(), m)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// idAt is a message id created at t (random low bits).
func idAt(t time.Time) string {
	id := switchboard.NewID(switchboard.PrefixMessage)
	return idFloor(switchboard.PrefixMessage, t)[:14] + id[14:]
}

func (e *env) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ingested
}

// client is a WebSocket client speaking the widget's protocol. A goroutine
// reads its frames (a read that times out would close the connection).
type client struct {
	t       *testing.T
	c       *websocket.Conn
	token   string
	visitor string
	frames  chan []byte
	err     error // why reading ended, once frames is closed
}

// dial connects from origin with query (token, after) and reads the
// session frame.
func (e *env) dial(origin, query string) *client {
	e.t.Helper()
	c, res, err := e.tryDial(origin, query)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		e.t.Fatalf("dial: %v (status %d)", err, status)
	}
	cl := &client{t: e.t, c: c, frames: make(chan []byte, 100)}
	go func() {
		defer close(cl.frames)
		for {
			typ, data, err := c.Read(context.Background())
			if err != nil {
				cl.err = err
				return
			}
			if typ != websocket.MessageText {
				data = []byte(`{"type":"binary"}`)
			}
			cl.frames <- data
		}
	}()
	f := cl.next()
	if f.Type != frameSession || f.Token == "" || !ValidVisitorID(f.Visitor) {
		e.t.Fatalf("first frame %+v, want a session", f)
	}
	cl.token, cl.visitor = f.Token, f.Visitor
	e.t.Cleanup(func() { _ = c.CloseNow() })
	return cl
}

func (e *env) tryDial(origin, query string) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	u := e.wsURL
	if query != "" {
		u += "?" + query
	}
	return websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
}

// next returns the next frame (5 s at most).
func (cl *client) next() serverFrame {
	cl.t.Helper()
	select {
	case data, ok := <-cl.frames:
		if !ok {
			cl.t.Fatalf("the connection ended: %v", cl.err)
		}
		var f serverFrame
		if err := json.Unmarshal(data, &f); err != nil {
			cl.t.Fatalf("frame %s: %v", data, err)
		}
		return f
	case <-time.After(5 * time.Second):
		cl.t.Fatal("no frame in 5 seconds")
	}
	panic("unreachable")
}

// closed waits for the connection to end and returns its close status.
func (cl *client) closed() websocket.StatusCode {
	cl.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-cl.frames:
			if !ok {
				return websocket.CloseStatus(cl.err)
			}
		case <-deadline:
			cl.t.Fatal("still open after 5 seconds")
		}
	}
}

// until reads frames up to one of type typ and returns the frames before
// it and that frame.
func (cl *client) until(typ string) ([]serverFrame, serverFrame) {
	cl.t.Helper()
	var before []serverFrame
	for {
		f := cl.next()
		if f.Type == typ {
			return before, f
		}
		before = append(before, f)
	}
}

// quiet checks that no frame arrives for d.
func (cl *client) quiet(d time.Duration) {
	cl.t.Helper()
	select {
	case data, ok := <-cl.frames:
		if !ok {
			cl.t.Fatalf("the connection ended: %v", cl.err)
		}
		cl.t.Fatalf("unexpected frame %s", data)
	case <-time.After(d):
	}
}

func (cl *client) send(v any) {
	cl.t.Helper()
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cl.c.Write(ctx, websocket.MessageText, b); err != nil {
		cl.t.Fatalf("writing: %v", err)
	}
}

func (cl *client) say(id, text string) {
	cl.t.Helper()
	cl.send(map[string]string{"type": "message", "id": id, "text": text})
}

func texts(frames []serverFrame) []string {
	var out []string
	for _, f := range frames {
		if f.Type == frameMessage {
			out = append(out, f.Sender+":"+f.Text)
		}
	}
	return out
}
