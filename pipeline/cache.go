package pipeline

import (
	"context"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// cacheTTL is how long a channel or bot read from the database is used
// without being read again. Changes made through this process's API are
// seen at once (Forget); changes made by another process sharing the
// database, within cacheTTL.
const cacheTTL = time.Second

// maxCached bounds each cache; past it, the cache starts over.
const maxCached = 10_000

// cache keeps recently read rows by id for cacheTTL. Values are shared:
// callers must not modify them.
type cache[T any] struct {
	mu    sync.Mutex
	items map[string]cached[T]
}

type cached[T any] struct {
	v  T
	at time.Time
}

func (c *cache[T]) get(id string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[id]
	if !ok || time.Since(it.at) > cacheTTL {
		var zero T
		return zero, false
	}
	return it.v, true
}

func (c *cache[T]) put(id string, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil || len(c.items) >= maxCached {
		c.items = map[string]cached[T]{}
	}
	c.items[id] = cached[T]{v: v, at: time.Now()}
}

func (c *cache[T]) forget(id string) {
	c.mu.Lock()
	delete(c.items, id)
	c.mu.Unlock()
}

// Channel returns a channel by id in any workspace, with its secrets, as
// inbound hooks need it: read from the database at most once per second
// (changes made through this process's API are seen at once; see Forget).
// The channel returned is shared: do not modify it.
func (p *Pipeline) Channel(ctx context.Context, id string) (*sb.Channel, error) {
	if ch, ok := p.channels.get(id); ok {
		return ch, nil
	}
	ch, err := p.store.GetChannelByID(ctx, id)
	if err != nil {
		return nil, err
	}
	p.channels.put(id, ch)
	return ch, nil
}

// channel is Channel within a workspace.
func (p *Pipeline) channel(ctx context.Context, ws, id string) (*sb.Channel, error) {
	ch, err := p.Channel(ctx, id)
	if err == nil && ch.WorkspaceID != ws {
		return nil, sb.ErrNotFound("channel")
	}
	return ch, err
}

// bot returns a bot of a workspace, read at most once per second.
func (p *Pipeline) bot(ctx context.Context, ws, id string) (*sb.Bot, error) {
	if b, ok := p.bots.get(id); ok && b.WorkspaceID == ws {
		return b, nil
	}
	b, err := p.store.GetBot(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	p.bots.put(id, b)
	return b, nil
}

// contact returns a contact of a workspace for a send, which needs only its
// platform id: a contact's platform id never changes, so contacts read once
// are kept (up to maxCached) without being read again. The contact returned
// is shared: do not modify it.
func (p *Pipeline) contact(ctx context.Context, ws, id string) (*sb.Contact, error) {
	if c, ok := p.contacts.get(id); ok && c.WorkspaceID == ws {
		return c, nil
	}
	c, err := p.store.GetContact(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	p.contacts.put(id, c)
	return c, nil
}

// kept holds values that never change (what they say of a contact, a
// bot version) by key, read once and never again; past maxCached, it
// starts over. Values are shared: callers must not modify them.
type kept[T any] struct {
	mu    sync.Mutex
	items map[string]T
}

func (c *kept[T]) get(key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.items[key]
	return v, ok
}

func (c *kept[T]) put(key string, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil || len(c.items) >= maxCached {
		c.items = map[string]T{}
	}
	c.items[key] = v
}

// Forget drops a channel or bot from the pipeline's caches: call it when
// one changes or is deleted, so that the next message sees the change.
func (p *Pipeline) Forget(id string) {
	if p == nil {
		return
	}
	p.channels.forget(id)
	p.bots.forget(id)
}
