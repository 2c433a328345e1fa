package webchat

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/switchboardhq/switchboard"
)

// Store is what the handler reads: the channel, and the visitor's contact,
// conversations and messages for catch-up. switchboard.Store has it.
type Store interface {
	GetChannelByID(ctx context.Context, id string) (*switchboard.Channel, error)
	GetContactByExternalID(ctx context.Context, channelID, externalID string) (*switchboard.Contact, error)
	ListConversations(ctx context.Context, workspaceID string, f switchboard.ConversationFilter, p switchboard.Page) ([]*switchboard.Conversation, error)
	ListMessages(ctx context.Context, workspaceID, conversationID string, p switchboard.Page) ([]*switchboard.Message, error)
	GetMessageByExternalID(ctx context.Context, channelID, direction, externalID string) (*switchboard.Message, error)
}

// Ingester stores an inbound message durably and starts the bot's turn:
// the pipeline's ingest, the same as for a verified hook. A repeated
// ExternalID must be accepted (nil) and not processed twice.
type Ingester interface {
	Ingest(ctx context.Context, ch *switchboard.Channel, res *switchboard.HookResult) error
}

// IngestFunc adapts a function to Ingester.
type IngestFunc func(ctx context.Context, ch *switchboard.Channel, res *switchboard.HookResult) error

// Ingest calls f.
func (f IngestFunc) Ingest(ctx context.Context, ch *switchboard.Channel, res *switchboard.HookResult) error {
	return f(ctx, ch, res)
}

// Config tunes the handler; zero fields take the defaults.
type Config struct {
	Logger *slog.Logger
	// PollInterval is how often a connection reads the database for
	// messages it was not handed (sent by another process) while the
	// conversation is active: for ActiveWindow after the last message
	// either way. Defaults: 3 s, 2 min.
	PollInterval time.Duration
	ActiveWindow time.Duration
	// IdlePollInterval is the same check for quiet connections (30 s).
	IdlePollInterval time.Duration
	// PingInterval is how often the server pings the browser (30 s).
	PingInterval time.Duration
	// MessageRate and MessageBurst bound the messages a connection may send
	// (one per second, bursts of 5).
	MessageRate  rate.Limit
	MessageBurst int
	// HistoryLimit bounds the messages sent to a connection that asks for
	// the history (100).
	HistoryLimit int
	// TokenMaxAge is the validity of a session token (90 days).
	TokenMaxAge time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 3 * time.Second
	}
	if c.ActiveWindow <= 0 {
		c.ActiveWindow = 2 * time.Minute
	}
	if c.IdlePollInterval <= 0 {
		c.IdlePollInterval = 30 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 30 * time.Second
	}
	if c.MessageRate <= 0 {
		c.MessageRate = 1
	}
	if c.MessageBurst <= 0 {
		c.MessageBurst = 5
	}
	if c.HistoryLimit <= 0 {
		c.HistoryLimit = 100
	}
	if c.TokenMaxAge <= 0 {
		c.TokenMaxAge = DefaultTokenMaxAge
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// lookback is how far before the newest message a connection has seen it
// looks again in the database: a message whose id was taken before another's
// may be committed after it.
const lookback = time.Minute

// Handler serves the widget script and the WebSocket:
//
//	GET /webchat/widget.js                              ServeWidget
//	GET /webchat/{channel_id}/ws?token=…&after=msg_…    ServeWS
//
// Both need no API key. Their errors (before the WebSocket upgrade) are
// returned for the HTTP layer to write as problem+json.
type Handler struct {
	cfg    Config
	store  Store
	ingest Ingester
	hub    *Hub

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // the open connections
}

// NewHandler returns a handler reading st, ingesting through in, and
// listening to hub (the adapter's).
func NewHandler(cfg Config, st Store, in Ingester, hub *Hub) *Handler {
	cfg.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Handler{cfg: cfg, store: st, ingest: in, hub: hub, ctx: ctx, cancel: cancel}
}

// Close closes every open WebSocket (1001, going away: the widgets
// reconnect, to another process if there is one) and waits for them.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}

// track counts a new connection, unless Close was called.
func (h *Handler) track() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	return true
}

// ServeWS upgrades to the widget's WebSocket after checking the channel
// and the page's Origin.
func (h *Handler) ServeWS(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("channel_id")
	if !switchboard.HasPrefix(id, switchboard.PrefixChannel) {
		return switchboard.ErrNotFound("channel")
	}
	ch, err := h.store.GetChannelByID(r.Context(), id)
	if err != nil {
		return err
	}
	if ch.Type != switchboard.ChannelWebchat {
		return switchboard.ErrNotFound("web chat channel")
	}
	if ch.Status == switchboard.ChannelDisconnected {
		return switchboard.Errorf(switchboard.EForbidden, "The channel is disconnected.")
	}
	if !isWebSocketRequest(r) {
		return switchboard.Invalid("Upgrade", "this is a WebSocket endpoint: connect with a WebSocket client")
	}
	origin := NormalizeOrigin(r.Header.Get("Origin"))
	if !OriginAllowed(origin, AllowedOrigins(ch)) {
		return switchboard.Errorf(switchboard.EForbidden, "The page's origin is not in the channel's allowed_origins.")
	}
	if ch.Setting("session_secret") == "" {
		h.cfg.Logger.Error("webchat: the channel has no session_secret; set config.session_secret", "channel_id", ch.ID)
		return switchboard.Errorf(switchboard.EForbidden, "The channel has no session secret; its owner must set one.")
	}
	// The server's read and write timeouts would otherwise cut the
	// hijacked connection; the WebSocket keeps its own by pings.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) // the origin is checked above
	if err != nil {
		h.cfg.Logger.Debug("webchat: upgrade failed", "error", err)
		return nil // Accept has answered
	}
	ws.SetReadLimit(MaxFrameBytes)
	if !h.track() {
		_ = ws.Close(websocket.StatusGoingAway, "server shutting down")
		return nil
	}
	defer h.wg.Done()
	c := &conn{
		h: h, ws: ws, ch: ch, origin: origin, sent: map[string]struct{}{},
		limiter:    rate.NewLimiter(h.cfg.MessageRate, h.cfg.MessageBurst),
		lastActive: h.cfg.Now(), loadedAt: h.cfg.Now(),
	}
	status, reason := c.run(r.URL.Query().Get("token"), r.URL.Query().Get("after"))
	_ = ws.Close(status, reason)
	return nil
}

func isWebSocketRequest(r *http.Request) bool {
	return headerHas(r.Header, "Connection", "upgrade") && headerHas(r.Header, "Upgrade", "websocket")
}

func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// conn is one open WebSocket. Only run's goroutine writes frames, except
// for pings.
type conn struct {
	h       *Handler
	ws      *websocket.Conn
	ch      *switchboard.Channel
	origin  string
	visitor string
	contact *switchboard.Contact // nil until the visitor's first message is stored

	sent       map[string]struct{} // message ids sent since floor
	newest     string              // the newest message id sent or acknowledged
	floor      string              // rechecks look at messages after this id
	limiter    *rate.Limiter
	lastActive time.Time
	loadedAt   time.Time // when ch was read
}

// errClosed ends run with a close status.
type errClosed struct {
	status websocket.StatusCode
	reason string
}

func (e *errClosed) Error() string { return e.reason }

// run speaks the protocol until the connection ends, and returns the
// close status. Reads do not use the shutdown context: cancelling a read
// would drop the connection without the close frame (1001) that tells the
// widget to reconnect.
func (c *conn) run(token, after string) (websocket.StatusCode, string) {
	ctx, cancel := context.WithCancel(c.h.ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	frames := make(chan []byte, 8)
	readErr := make(chan error, 1)
	go c.read(frames, readErr, done)
	go c.ping(done)
	if err := c.start(ctx, token); err != nil {
		return closeStatus(c.h.ctx, err)
	}
	sub := c.h.hub.subscribe(c.ch.ID, c.visitor)
	defer sub.close()
	if err := c.catchUp(ctx, after); err != nil {
		return closeStatus(c.h.ctx, err)
	}
	poll := time.NewTimer(c.pollInterval())
	defer poll.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case err = <-readErr:
		case data := <-frames:
			err = c.handle(ctx, data)
		case f := <-sub.c:
			err = c.push(ctx, f)
		case <-sub.wake:
			if sub.lagged.Swap(false) {
				err = c.recheck(ctx)
			}
		case <-poll.C:
			err = c.recheck(ctx)
			poll.Reset(c.pollInterval())
		}
		if err != nil {
			return closeStatus(c.h.ctx, err)
		}
	}
}

func closeStatus(server context.Context, err error) (websocket.StatusCode, string) {
	var ec *errClosed
	switch {
	case errors.As(err, &ec):
		return ec.status, ec.reason
	case server.Err() != nil:
		return websocket.StatusGoingAway, "server shutting down"
	case websocket.CloseStatus(err) != -1:
		return websocket.CloseStatus(err), ""
	}
	return websocket.StatusInternalError, ""
}

// start resumes the token's visitor, or starts a new one, and sends the
// session frame with a fresh token.
func (c *conn) start(ctx context.Context, token string) error {
	secret := c.ch.Setting("session_secret")
	now := c.h.cfg.Now()
	if sess, err := VerifyToken(secret, token, c.ch.ID, c.origin, now, c.h.cfg.TokenMaxAge); err == nil {
		c.visitor = sess.Visitor
	} else {
		if token != "" {
			c.h.cfg.Logger.Debug("webchat: new visitor instead of a refused token", "channel_id", c.ch.ID, "reason", err)
		}
		c.visitor = NewVisitorID()
	}
	fresh, err := IssueToken(secret, Session{ChannelID: c.ch.ID, Origin: c.origin, Visitor: c.visitor, IssuedAt: now})
	if err != nil {
		return err
	}
	return c.write(serverFrame{Type: frameSession, Token: fresh, Visitor: c.visitor})
}

// catchUp sends what the browser has not seen, then ready: the messages
// after the one it names (and the minute before it), or the history when it
// names none.
func (c *conn) catchUp(ctx context.Context, after string) error {
	var msgs []*switchboard.Message
	var err error
	if t, ok := idTime(after, switchboard.PrefixMessage); ok {
		c.newest = after
		c.floor = idFloor(switchboard.PrefixMessage, t.Add(-lookback))
		msgs, err = c.messagesAfter(ctx, c.floor, 5, c.h.cfg.HistoryLimit)
	} else {
		c.floor = idFloor(switchboard.PrefixMessage, c.h.cfg.Now().Add(-lookback))
		msgs, err = c.messagesAfter(ctx, "", 5, c.h.cfg.HistoryLimit)
	}
	if err != nil {
		return err
	}
	if err := c.sendAll(ctx, msgs); err != nil {
		return err
	}
	return c.write(serverFrame{Type: frameReady})
}

// recheck reads the database for messages this connection has not sent,
// and re-reads the channel every 30 seconds (a deleted or disconnected
// channel, or an origin no longer allowed, ends the connection with 1008).
func (c *conn) recheck(ctx context.Context) error {
	if err := c.reloadChannel(ctx); err != nil {
		return err
	}
	if c.newest != "" {
		if t, ok := idTime(c.newest, switchboard.PrefixMessage); ok {
			if f := idFloor(switchboard.PrefixMessage, t.Add(-lookback)); f > c.floor {
				c.floor = f
				for id := range c.sent {
					if id <= f {
						delete(c.sent, id)
					}
				}
			}
		}
	}
	msgs, err := c.messagesAfter(ctx, c.floor, 2, 200)
	if err != nil {
		return err
	}
	return c.sendAll(ctx, msgs)
}

func (c *conn) reloadChannel(ctx context.Context) error {
	now := c.h.cfg.Now()
	if now.Sub(c.loadedAt) < 30*time.Second {
		return nil
	}
	ch, err := c.h.store.GetChannelByID(ctx, c.ch.ID)
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		return &errClosed{websocket.StatusPolicyViolation, "channel deleted"}
	} else if err != nil {
		return err
	}
	if !OriginAllowed(c.origin, AllowedOrigins(ch)) {
		return &errClosed{websocket.StatusPolicyViolation, "origin no longer allowed"}
	}
	if ch.Status == switchboard.ChannelDisconnected {
		return &errClosed{websocket.StatusPolicyViolation, "channel disconnected"}
	}
	c.ch, c.loadedAt = ch, now
	return nil
}

// messagesAfter returns the shown messages with ids after floor ("": all)
// of the visitor's newest conversations, at most max of them (the newest),
// oldest first.
func (c *conn) messagesAfter(ctx context.Context, floor string, conversations, max int) ([]*switchboard.Message, error) {
	if c.contact == nil {
		ct, err := c.h.store.GetContactByExternalID(ctx, c.ch.ID, c.visitor)
		if switchboard.ErrorCode(err) == switchboard.ENotFound {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		c.contact = ct
	}
	convs, err := c.h.store.ListConversations(ctx, c.ch.WorkspaceID,
		switchboard.ConversationFilter{ChannelID: c.ch.ID, ContactID: c.contact.ID}, switchboard.Page{Limit: conversations})
	if err != nil {
		return nil, err
	}
	if len(convs) > conversations {
		convs = convs[:conversations]
	}
	var out []*switchboard.Message
	for _, conv := range convs {
		if len(out) >= max {
			break
		}
		page := switchboard.Page{Limit: 50}
		for len(out) < max {
			list, err := c.h.store.ListMessages(ctx, c.ch.WorkspaceID, conv.ID, page)
			if err != nil {
				return nil, err
			}
			more := len(list) > page.Limit
			if more {
				list = list[:page.Limit]
			}
			for _, m := range list {
				if m.ID <= floor {
					more = false
					break
				}
				if shown(m) && len(out) < max {
					out = append(out, m)
				}
			}
			if !more || len(list) == 0 {
				break
			}
			page.After = list[len(list)-1].ID
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (c *conn) sendAll(ctx context.Context, msgs []*switchboard.Message) error {
	for _, m := range msgs {
		if err := c.push(ctx, messageFrame(c.visitor, m)); err != nil {
			return err
		}
	}
	return nil
}

// push sends a message frame unless this connection sent that message
// already.
func (c *conn) push(ctx context.Context, f serverFrame) error {
	if f.Type == frameMessage {
		if _, dup := c.sent[f.ID]; dup {
			return nil
		}
		c.sent[f.ID] = struct{}{}
		if f.ID > c.newest {
			c.newest = f.ID
		}
		c.lastActive = c.h.cfg.Now()
	}
	return c.write(f)
}

// write sends one frame, with its own timeout. It does not use the
// shutdown context: writes under it sometimes left the connection to be
// closed at shutdown without the close frame (1001) that the widget
// reconnects on (TestWSCloseGoingAway).
func (c *conn) write(f serverFrame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

func (c *conn) pollInterval() time.Duration {
	if c.h.cfg.Now().Sub(c.lastActive) < c.h.cfg.ActiveWindow {
		return c.h.cfg.PollInterval
	}
	return c.h.cfg.IdlePollInterval
}

// read passes the browser's frames to run (a binary frame as nil) until
// reading fails, and then the error.
func (c *conn) read(frames chan<- []byte, errc chan<- error, done <-chan struct{}) {
	for {
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			errc <- err
			return
		}
		if typ != websocket.MessageText {
			data = nil
		}
		select {
		case frames <- data:
		case <-done:
			return
		}
	}
}

// ping pings the browser every PingInterval and drops the connection when
// no pong comes back in 15 seconds.
func (c *conn) ping(done <-chan struct{}) {
	t := time.NewTicker(c.h.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err := c.ws.Ping(ctx)
		cancel()
		if err != nil {
			_ = c.ws.CloseNow()
			return
		}
	}
}

// handle answers one frame from the browser. Only a failure to write ends
// the connection; bad frames are answered with an error frame.
func (c *conn) handle(ctx context.Context, data []byte) error {
	if data == nil {
		return c.write(serverFrame{Type: frameError, Code: errInvalidFrame, Message: "send JSON text frames"})
	}
	f, err := parseClientFrame(data)
	if err != nil {
		fe := err.(*frameErr)
		return c.write(serverFrame{Type: frameError, ID: fe.ID, Code: fe.Code, Message: fe.Message})
	}
	if f.Type == framePing {
		return c.write(serverFrame{Type: framePong})
	}
	if !c.limiter.Allow() {
		return c.write(serverFrame{Type: frameError, ID: f.ID, Code: errRateLimited, Message: "too many messages; wait a moment"})
	}
	c.lastActive = c.h.cfg.Now()
	msgID, err := c.ingestMessage(ctx, f, data)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		code, msg := errInternal, "the message could not be stored; send it again"
		if switchboard.ErrorCode(err) == switchboard.EInvalid {
			code, msg = errInvalidFrame, err.Error()
		} else {
			c.h.cfg.Logger.Error("webchat: ingest failed", "channel_id", c.ch.ID, "error", err)
		}
		return c.write(serverFrame{Type: frameError, ID: f.ID, Code: code, Message: msg})
	}
	return c.write(serverFrame{Type: frameAck, ID: f.ID, MessageID: msgID})
}

// ingestMessage stores the message through the pipeline, then finds it to
// show it in the visitor's other tabs (and to learn its id).
func (c *conn) ingestMessage(ctx context.Context, f *clientFrame, raw []byte) (string, error) {
	if c.h.ingest == nil {
		return "", errors.New("webchat: no ingester")
	}
	ictx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	in := inbound(c.visitor, f, raw)
	if err := c.h.ingest.Ingest(ictx, c.ch, &switchboard.HookResult{Messages: []switchboard.InboundMessage{in}}); err != nil {
		return "", err
	}
	m, err := c.h.store.GetMessageByExternalID(ictx, c.ch.ID, switchboard.DirectionInbound, in.ExternalID)
	if err != nil {
		c.h.cfg.Logger.Warn("webchat: stored message not found", "channel_id", c.ch.ID, "error", err)
		return "", nil
	}
	c.h.hub.publish(c.ch.ID, c.visitor, messageFrame(c.visitor, m))
	return m.ID, nil
}
