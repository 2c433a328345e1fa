package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

// The live stream: GET /live, Server-Sent Events telling a signed-in
// person's pages what changed (static/live.js re-reads the parts of the
// page that care). Its source is the workspace's events table, so that
// changes made by the API, the platforms and other processes on the same
// database all appear.
//
// One feed per workspace per process reads the table (every LivePoll)
// and fans each new event out to the streams of that workspace; a feed
// starts with its first stream and stops with its last. Event ids are
// ULIDs stamped by the writing process, and transactions of several
// processes do not commit in id order: an event may become visible after
// one with a greater id was read. So each read starts a look-back window
// (LiveLookBack) before the newest id seen, and the ids read in that window
// are remembered, to be sent once. A stream that reconnects with
// Last-Event-ID is first sent what it missed (at most liveReplay events);
// a page's first stream starts where the page was rendered (?since=).

// Defaults of the live stream.
const (
	defaultLivePoll      = 500 * time.Millisecond
	defaultLiveHeartbeat = 15 * time.Second
	defaultLiveLookBack  = 5 * time.Second
	// liveReplay bounds the events replayed after a reconnection; beyond
	// it, live.js re-reads the whole page anyway.
	liveReplay = 500
	// liveBuffer is how many events a slow stream may lag behind before
	// it is cut (it reconnects and catches up with Last-Event-ID).
	liveBuffer = 256
	// livePages bounds the reads of one poll (of app.MaxEventsAfter
	// events each); the rest waits for the next poll.
	livePages = 10
)

// liveEvent is what a stream says about one event.
type liveEvent struct {
	ID             string `json:"-"`
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id,omitempty"`
}

// forAgents reports whether agents receive the event: they see
// conversations and messages only.
func (e *liveEvent) forAgents() bool {
	return strings.HasPrefix(e.Type, "conversation.") || strings.HasPrefix(e.Type, "message.")
}

func newLiveEvent(e *sb.Event) liveEvent {
	var d struct {
		Conversation *struct {
			ID string `json:"id"`
		} `json:"conversation"`
		Message *struct {
			ConversationID string `json:"conversation_id"`
		} `json:"message"`
	}
	_ = json.Unmarshal(e.Data, &d)
	ev := liveEvent{ID: e.ID, Type: e.Type}
	switch {
	case d.Conversation != nil:
		ev.ConversationID = d.Conversation.ID
	case d.Message != nil:
		ev.ConversationID = d.Message.ConversationID
	}
	return ev
}

// liveHub holds the feeds of this process.
type liveHub struct {
	h                         *Handler
	poll, heartbeat, lookBack time.Duration

	mu     sync.Mutex
	feeds  map[string]*liveFeed
	closed bool
	wg     sync.WaitGroup // the feeds' goroutines
}

// liveFeed reads one workspace's events for its subscribers.
type liveFeed struct {
	ws   string
	subs map[*liveSub]struct{} // guarded by the hub's mu
	stop chan struct{}
}

// liveSub is one stream's subscription; ch is closed when the stream must
// end (the hub closed, or the stream fell too far behind).
type liveSub struct {
	ch chan liveEvent
}

func newLiveHub(h *Handler, cfg Config) *liveHub {
	hub := &liveHub{h: h, poll: cfg.LivePoll, heartbeat: cfg.LiveHeartbeat, lookBack: cfg.LiveLookBack,
		feeds: map[string]*liveFeed{}}
	if hub.poll <= 0 {
		hub.poll = defaultLivePoll
	}
	if hub.heartbeat <= 0 {
		hub.heartbeat = defaultLiveHeartbeat
	}
	if hub.lookBack <= 0 {
		hub.lookBack = defaultLiveLookBack
	}
	return hub
}

// subscribe adds a stream to its workspace's feed, starting the feed if it
// is the first; nil once the hub is closed.
func (hub *liveHub) subscribe(ws string) *liveSub {
	hub.mu.Lock()
	defer hub.mu.Unlock()
	if hub.closed {
		return nil
	}
	f := hub.feeds[ws]
	if f == nil {
		f = &liveFeed{ws: ws, subs: map[*liveSub]struct{}{}, stop: make(chan struct{})}
		hub.feeds[ws] = f
		hub.wg.Add(1)
		go func() {
			defer hub.wg.Done()
			hub.run(f)
		}()
	}
	s := &liveSub{ch: make(chan liveEvent, liveBuffer)}
	f.subs[s] = struct{}{}
	return s
}

// unsubscribe removes a stream; the last one stops its feed.
func (hub *liveHub) unsubscribe(ws string, s *liveSub) {
	hub.mu.Lock()
	defer hub.mu.Unlock()
	f := hub.feeds[ws]
	if f == nil {
		return
	}
	if _, ok := f.subs[s]; !ok {
		return
	}
	delete(f.subs, s)
	close(s.ch)
	if len(f.subs) == 0 {
		delete(hub.feeds, ws)
		close(f.stop)
	}
}

// broadcast sends an event to every stream of a feed; a stream whose
// buffer is full is cut.
func (hub *liveHub) broadcast(f *liveFeed, ev liveEvent) {
	hub.mu.Lock()
	defer hub.mu.Unlock()
	for s := range f.subs {
		select {
		case s.ch <- ev:
		default:
			delete(f.subs, s)
			close(s.ch)
		}
	}
}

// close ends every stream and stops every feed (at shutdown: streams never
// end by themselves, and the server waits for open requests).
func (hub *liveHub) close() {
	hub.mu.Lock()
	hub.closed = true
	for ws, f := range hub.feeds {
		for s := range f.subs {
			close(s.ch)
		}
		f.subs = nil
		close(f.stop)
		delete(hub.feeds, ws)
	}
	hub.mu.Unlock()
	hub.wg.Wait()
}

// counts returns the number of running feeds and of streams.
func (hub *liveHub) counts() (feeds, streams int) {
	hub.mu.Lock()
	defer hub.mu.Unlock()
	for _, f := range hub.feeds {
		streams += len(f.subs)
	}
	return len(hub.feeds), streams
}

// run polls a workspace's events until the feed stops.
func (hub *liveHub) run(f *liveFeed) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-f.stop
		cancel()
	}()
	clock := hub.h.clock
	// The first read sends the look-back window's events too: a stream
	// that starts the feed has replayed them already (since or
	// Last-Event-ID), and drops them as repeats.
	cursor := idFloor(sb.PrefixEvent, clock.Now().Add(-hub.lookBack))
	seen := map[string]bool{}
	for {
		floor := min(cursor, idFloor(sb.PrefixEvent, clock.Now().Add(-hub.lookBack)))
		after := floor
		for range livePages {
			evs, err := hub.h.app.ListEventsAfter(ctx, f.ws, after, app.MaxEventsAfter)
			if err != nil {
				if ctx.Err() == nil {
					hub.h.log.Warn("reading events for the live stream", "workspace", f.ws, "error", err)
				}
				break
			}
			for _, e := range evs {
				after = e.ID
				cursor = max(cursor, e.ID)
				if seen[e.ID] {
					continue
				}
				seen[e.ID] = true
				hub.broadcast(f, newLiveEvent(e))
			}
			if len(evs) < app.MaxEventsAfter {
				break
			}
		}
		for id := range seen {
			if id <= floor {
				delete(seen, id)
			}
		}
		select {
		case <-f.stop:
			return
		case <-clock.After(hub.poll):
		}
	}
}

// Close ends the live streams, which never end by themselves: call it
// when the server shuts down (http.Server.RegisterOnShutdown), so that the
// server's drain does not wait for them. Browsers reconnect to the next
// server.
func (h *Handler) Close() {
	if h.liveHub != nil {
		h.liveHub.close()
	}
}

// live serves GET /live.
func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	setHeaders(w, "")
	sess, u := h.session(r)
	if u == nil {
		http.Error(w, "Sign in first.", http.StatusUnauthorized)
		return
	}
	agent := u.Role != sb.RoleAdmin
	// Where the stream starts: after the last event the browser received
	// (Last-Event-ID, on a reconnection), else after the page it serves was
	// rendered (?since=, from the page's data-live-since).
	last := r.Header.Get("Last-Event-ID")
	if !sb.HasPrefix(last, sb.PrefixEvent) {
		last = r.URL.Query().Get("since")
	}
	if !sb.HasPrefix(last, sb.PrefixEvent) {
		last = ""
	}
	sub := h.liveHub.subscribe(sess.WorkspaceID)
	if sub == nil {
		http.Error(w, "The server is stopping.", http.StatusServiceUnavailable)
		return
	}
	defer h.liveHub.unsubscribe(sess.WorkspaceID, sub)
	// A stream outlives the server's read timeout: it reads nothing more.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	sent := map[string]bool{}
	send := func(ev liveEvent) error {
		if agent && !ev.forAgents() {
			return nil
		}
		data, _ := json.Marshal(ev)
		_, err := w.Write([]byte("id: " + ev.ID + "\nevent: change\ndata: " + string(data) + "\n\n"))
		return err
	}
	if _, err := w.Write([]byte("retry: 3000\n: connected\n\n")); err != nil {
		return
	}
	if last != "" {
		missed, err := h.app.ListEventsAfter(r.Context(), sess.WorkspaceID, last, liveReplay)
		if err != nil {
			h.log.Warn("replaying events for the live stream", "error", err)
		}
		for _, e := range missed {
			sent[e.ID] = true
			if send(newLiveEvent(e)) != nil {
				return
			}
		}
	}
	if rc.Flush() != nil {
		return
	}
	clock := h.clock
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-sub.ch:
			if !ok {
				return // the server stops, or this stream fell behind: the browser reconnects
			}
			if sent[ev.ID] {
				delete(sent, ev.ID)
				continue
			}
			if send(ev) != nil || rc.Flush() != nil {
				return
			}
		case <-clock.After(h.liveHub.heartbeat):
			// A stream lasts as long as its session: signed out (or the
			// user deleted), it ends at the next beat.
			if _, u := h.session(r); u == nil {
				return
			}
			if _, err := w.Write([]byte(": heartbeat\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// liveSince is where the live stream of a page rendered now starts: a
// little before, so that a change committed while the page was read is
// not missed (a change the page shows already costs one more read of the
// page's live parts).
func (h *Handler) liveSince() string {
	return idFloor(sb.PrefixEvent, h.clock.Now().Add(-liveSinceMargin))
}

// liveSinceMargin is how long before its rendering a page's stream starts.
const liveSinceMargin = 2 * time.Second

// idFloor returns the smallest id of the given kind made at t's
// millisecond: ids sort by the time they were made (sb.NewID).
func idFloor(prefix string, t time.Time) string {
	const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	ms := uint64(max(t.UnixMilli(), 0))
	var b [26]byte
	for i := 9; i >= 0; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	for i := 10; i < 26; i++ {
		b[i] = '0'
	}
	return prefix + "_" + string(b[:])
}
