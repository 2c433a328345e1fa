package store

import (
	"context"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard"
)

// Every event looks up the enabled webhook endpoints of its workspace, to
// create its deliveries in the same transaction. On SQLite that list is
// cached per workspace (targetCache): all writes of one database go through
// its single writer connection, so every change to an endpoint made through
// this DB invalidates the cache, exactly:
//
//   - a write of an endpoint bumps the cache's generation before it runs;
//     inside a transaction, the rest of that transaction reads endpoints
//     from the database and caches nothing (it may roll back), and the
//     generation is bumped again when the transaction ends, committed or
//     not; outside one, again once the statement has run;
//   - a list read from the database is cached under the generation current
//     before the read, and used only while the generation is unchanged.
//
// Lists are also read again after targetTTL, which bounds how long a
// change made to the file by anything other than this DB goes unseen.
// PostgreSQL, where other processes change endpoints, has no cache.

// targetTTL is how long a cached list of endpoints is used at most.
const targetTTL = time.Second

type targetCache struct {
	mu   sync.Mutex
	gen  uint64
	byWS map[string]cachedTargets
}

type cachedTargets struct {
	gen  uint64
	at   time.Time
	list []switchboard.EndpointTarget
}

// get returns the cached list of a workspace if it is current, and the
// current generation.
func (c *targetCache) get(workspaceID string) ([]switchboard.EndpointTarget, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byWS[workspaceID]
	if !ok || e.gen != c.gen || time.Since(e.at) > targetTTL {
		return nil, c.gen, false
	}
	return e.list, c.gen, true
}

// put caches a workspace's list, read at generation gen, unless the
// generation has changed since.
func (c *targetCache) put(workspaceID string, gen uint64, list []switchboard.EndpointTarget) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.byWS == nil || len(c.byWS) >= 10_000 {
		c.byWS = map[string]cachedTargets{}
	}
	c.byWS[workspaceID] = cachedTargets{gen: gen, at: time.Now(), list: list}
}

// bump invalidates every cached list.
func (c *targetCache) bump() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// endpointsChanging is called before a statement that writes endpoints;
// defer the function it returns.
func (q *queries) endpointsChanging() func() {
	c := q.webhooks.targets
	if c == nil {
		return func() {}
	}
	c.bump()
	if q.wroteEndpoints != nil { // in a transaction: bumped again when it ends
		*q.wroteEndpoints = true
		return func() {}
	}
	return c.bump
}

// EnabledEndpoints returns the enabled endpoints of a workspace, from the
// cache when it may.
func (q *queries) EnabledEndpoints(ctx context.Context, workspaceID string) ([]switchboard.EndpointTarget, error) {
	c := q.webhooks.targets
	cache := c != nil && q.committed != nil && (q.wroteEndpoints == nil || !*q.wroteEndpoints)
	var gen uint64
	if cache {
		list, g, ok := c.get(workspaceID)
		if ok {
			return list, nil
		}
		gen = g
	}
	scan := func(s scanner) (switchboard.EndpointTarget, error) {
		var t switchboard.EndpointTarget
		err := s.Scan(&t.ID, jsonCol{&t.EventTypes})
		return t, err
	}
	all, err := getMany(ctx, q, "webhook endpoint", scan,
		`SELECT id, event_types FROM webhook_endpoints WHERE workspace_id = ? AND status = 'enabled'`, workspaceID)
	if err == nil && cache {
		c.put(workspaceID, gen, all)
	}
	return all, err
}
