package webchat

import (
	"sync"
	"sync/atomic"
)

// Hub carries messages from Send (and from one browser tab to the others)
// to the WebSocket connections of a visitor in this process. It holds no
// messages: a visitor who is not connected gets them from the database on
// the next connection, and connections to another process find them in the
// database on their periodic check.
type Hub struct {
	mu   sync.Mutex
	subs map[hubKey]map[*subscription]struct{}
}

type hubKey struct{ channel, visitor string }

// subscription is one connection's mailbox. When it is full, messages are
// dropped and lagged is set: the connection then reads the database.
type subscription struct {
	hub    *Hub
	key    hubKey
	c      chan serverFrame
	lagged atomic.Bool
	wake   chan struct{} // signalled (without blocking) when lagged is set
}

const mailboxSize = 64

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[hubKey]map[*subscription]struct{}{}} }

// subscribe starts delivering the visitor's messages; close ends it.
func (h *Hub) subscribe(channelID, visitor string) *subscription {
	s := &subscription{hub: h, key: hubKey{channelID, visitor}, c: make(chan serverFrame, mailboxSize), wake: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.subs[s.key]
	if set == nil {
		set = map[*subscription]struct{}{}
		h.subs[s.key] = set
	}
	set[s] = struct{}{}
	return s
}

func (s *subscription) close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.subs[s.key]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(h.subs, s.key)
		}
	}
}

// publish hands f to every connection of the visitor, without blocking,
// and returns how many took it.
func (h *Hub) publish(channelID, visitor string, f serverFrame) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for s := range h.subs[hubKey{channelID, visitor}] {
		select {
		case s.c <- f:
			n++
		default:
			s.lagged.Store(true)
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
	return n
}

// Connections returns how many connections are subscribed, for tests and
// metrics.
func (h *Hub) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, set := range h.subs {
		n += len(set)
	}
	return n
}
