package store

import (
	"context"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard"
)

// Every event looks up the enabled webhook endpoints and the enabled
// automations of its workspace, to create its deliveries and runs in the
// same transaction. Both lists are cached per workspace (routeCache), and
// every change to them made through this DB invalidates its cache, exactly:
//
//   - a write of an endpoint (or an automation) bumps the cache's
//     generation before it runs; inside a transaction, the rest of that
//     transaction reads the list from the database and caches nothing (it
//     may roll back), and the generation is bumped again when the
//     transaction ends, committed or not; outside one, again once the
//     statement has run;
//   - a list read from the database is cached under the generation current
//     before the read, and used only while the generation is unchanged.
//
// On SQLite all writes of one database go through this DB's single writer
// connection, so that is the whole story; lists are also read again after
// routeTTL, which bounds how long a change made to the file by anything
// else goes unseen. On PostgreSQL other processes change endpoints and
// automations too: the caches are used only with Options.SharedCaches,
// while a connection of their own listens for the notifications every
// writer sends in the transaction of its change (listen.go); a
// notification bumps the generation as a local write does, and while the
// listener is not connected nothing is cached. A change made by another
// process is then seen once its notification arrives, milliseconds after
// its commit: an event published in between goes without it, as it would
// have had it been published a moment earlier.

// How long a cached list is used at most: on SQLite, routeTTL bounds how
// long a change made to the file by another program goes unseen; on
// PostgreSQL, where notifications keep the caches current,
// sharedRouteTTL bounds the effect of a notification lost (a change made
// outside a transaction whose notification then failed).
const (
	routeTTL       = time.Second
	sharedRouteTTL = 10 * time.Second
)

// routeCache caches one list per workspace.
type routeCache[T any] struct {
	ttl  time.Duration
	mu   sync.Mutex
	gen  uint64
	off  bool // nothing is cached (a PostgreSQL cache without its listener)
	byWS map[string]cachedRoute[T]
}

type cachedRoute[T any] struct {
	gen  uint64
	at   time.Time
	list []T
}

// get returns the cached list of a workspace if it is current, and the
// current generation.
func (c *routeCache[T]) get(workspaceID string) ([]T, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byWS[workspaceID]
	if c.off || !ok || e.gen != c.gen || time.Since(e.at) > c.ttl {
		return nil, c.gen, false
	}
	return e.list, c.gen, true
}

// put caches a workspace's list, read at generation gen, unless the
// generation has changed since.
func (c *routeCache[T]) put(workspaceID string, gen uint64, list []T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.off {
		return
	}
	if c.byWS == nil || len(c.byWS) >= 10_000 {
		c.byWS = map[string]cachedRoute[T]{}
	}
	c.byWS[workspaceID] = cachedRoute[T]{gen: gen, at: time.Now(), list: list}
}

// bump invalidates every cached list.
func (c *routeCache[T]) bump() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// setOff turns caching off (or on again), invalidating every cached list.
func (c *routeCache[T]) setOff(off bool) {
	c.mu.Lock()
	c.gen++
	c.off = off
	c.mu.Unlock()
}

// routeCaches are a DB's caches of endpoints and automations; nil when it
// caches neither (PostgreSQL without SharedCaches).
type routeCaches struct {
	endpoints   routeCache[switchboard.EndpointTarget]
	automations routeCache[*switchboard.Automation]
}

func newRouteCaches(ttl time.Duration) *routeCaches {
	c := &routeCaches{}
	c.endpoints.ttl, c.automations.ttl = ttl, ttl
	return c
}

// Payloads of the notifications sent on notifyChannel, naming the list
// that changed.
const (
	notifyChannel     = "switchboard_routes"
	notifyEndpoints   = "endpoints"
	notifyAutomations = "automations"
)

// routeWrites records which cached lists a transaction changed.
type routeWrites struct{ endpoints, automations bool }

// endpointsChanging is called before a statement that writes endpoints;
// defer the function it returns.
func (q *queries) endpointsChanging(ctx context.Context) func() {
	if q.routes == nil {
		return func() {}
	}
	return q.routesChanging(ctx, q.routes.endpoints.bump, notifyEndpoints, func(w *routeWrites) { w.endpoints = true })
}

// automationsChanging is endpointsChanging for automations (and for the
// deletion of an integration, which deletes its automations).
func (q *queries) automationsChanging(ctx context.Context) func() {
	if q.routes == nil {
		return func() {}
	}
	return q.routesChanging(ctx, q.routes.automations.bump, notifyAutomations, func(w *routeWrites) { w.automations = true })
}

func (q *queries) routesChanging(ctx context.Context, bump func(), payload string, mark func(*routeWrites)) func() {
	bump()
	notify := func() {
		if q.dialect == DialectPostgres {
			// In a transaction the notification leaves at its commit (and
			// never if it rolls back). A notification lost with an error
			// here is bounded by routeTTL.
			_, _ = q.w.ExecContext(ctx, q.sql(`SELECT pg_notify(?, ?)`), notifyChannel, payload)
		}
	}
	if q.wrote != nil { // in a transaction: bumped again when it ends
		mark(q.wrote)
		notify()
		return func() {}
	}
	return func() {
		notify()
		bump()
	}
}

// caching reports whether reads of q may use the route caches: in a
// transaction that has not changed the list (cache says which).
func (q *queries) caching(changed func(*routeWrites) bool) bool {
	return q.routes != nil && q.committed != nil && (q.wrote == nil || !changed(q.wrote))
}

// EnabledEndpoints returns the enabled endpoints of a workspace, from the
// cache when it may.
func (q *queries) EnabledEndpoints(ctx context.Context, workspaceID string) ([]switchboard.EndpointTarget, error) {
	scan := func(s scanner) (switchboard.EndpointTarget, error) {
		var t switchboard.EndpointTarget
		err := s.Scan(&t.ID, jsonCol{&t.EventTypes})
		return t, err
	}
	read := func() ([]switchboard.EndpointTarget, error) {
		return getMany(ctx, q, "webhook endpoint", scan,
			`SELECT id, event_types FROM webhook_endpoints WHERE workspace_id = ? AND status = 'enabled'`, workspaceID)
	}
	if !q.caching(func(w *routeWrites) bool { return w.endpoints }) {
		return read()
	}
	return cachedRead(&q.routes.endpoints, workspaceID, read)
}

// EnabledAutomations returns the enabled automations of a workspace, from
// the cache when it may. The automations returned are shared: callers
// must not change them.
func (q *queries) EnabledAutomations(ctx context.Context, workspaceID string) ([]*switchboard.Automation, error) {
	read := func() ([]*switchboard.Automation, error) {
		return getMany(ctx, q, "automation", scanAutomation,
			`SELECT `+automationCols+` FROM automations WHERE workspace_id = ? AND enabled = ? ORDER BY id`, workspaceID, true)
	}
	if !q.caching(func(w *routeWrites) bool { return w.automations }) {
		return read()
	}
	return cachedRead(&q.routes.automations, workspaceID, read)
}

// cachedRead returns a workspace's list from c, or reads and caches it.
func cachedRead[T any](c *routeCache[T], workspaceID string, read func() ([]T, error)) ([]T, error) {
	list, gen, ok := c.get(workspaceID)
	if ok {
		return list, nil
	}
	list, err := read()
	if err == nil {
		c.put(workspaceID, gen, list)
	}
	return list, err
}
