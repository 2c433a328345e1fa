package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// stmtCache runs queries on a pool as prepared statements, preparing each
// query once per pool (database/sql then prepares it once per connection).
// SQLite needs it: modernc.org/sqlite parses every unprepared statement
// anew, which costs as much as running a small one. (pgx caches prepared
// statements by itself.)
type stmtCache struct {
	db    *sql.DB
	stmts sync.Map     // query → *sql.Stmt
	count atomic.Int64 // of stmts
}

// maxCachedStmts bounds the statements a cache prepares. List queries vary
// with their filters and page size; past the bound, queries run unprepared.
const maxCachedStmts = 500

// stmt returns the prepared statement of query, or nil if it is not
// prepared yet.
func (c *stmtCache) stmt(query string) *sql.Stmt {
	if s, ok := c.stmts.Load(query); ok {
		return s.(*sql.Stmt)
	}
	return nil
}

// prepare returns the prepared statement of query, preparing it if needed,
// or nil if the cache is full. It takes a connection of the pool: never call
// it while holding the only connection of a pool (in a transaction on the
// SQLite writer).
func (c *stmtCache) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	if s := c.stmt(query); s != nil || c.count.Load() >= maxCachedStmts {
		return s, nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := c.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	c.count.Add(1)
	return s, nil
}

// close closes every prepared statement.
func (c *stmtCache) close() {
	c.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.db.ExecContext(ctx, query, args...)
	}
	return s.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.db.QueryContext(ctx, query, args...)
	}
	return s.QueryContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := c.prepare(ctx, query)
	if err != nil || s == nil {
		return c.db.QueryRowContext(ctx, query, args...) // an error fails the same way, in the Row
	}
	return s.QueryRowContext(ctx, args...)
}

// cachedTx runs the queries of a transaction on the writer with the
// writer's prepared statements. A query not prepared yet runs unprepared and
// is remembered, to be prepared once the transaction has released the
// connection.
type cachedTx struct {
	tx     *sql.Tx
	cache  *stmtCache
	mu     sync.Mutex
	missed []string
}

func (t *cachedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if s := t.cache.stmt(query); s != nil {
		return t.tx.StmtContext(ctx, s)
	}
	t.mu.Lock()
	t.missed = append(t.missed, query)
	t.mu.Unlock()
	return nil
}

func (t *cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// prepareMissed prepares the queries that ran unprepared, after the
// transaction ended. Failures only mean they stay unprepared.
func (t *cachedTx) prepareMissed(ctx context.Context) {
	for _, q := range t.missed {
		_, _ = t.cache.prepare(ctx, q)
	}
}
