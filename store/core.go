package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard"
)

// core is what every Queries value of one DB shares: the dialect and the
// sealer.
type core struct {
	dialect string
	sealer  switchboard.Sealer
	clock   switchboard.Clock // stamps creations and updates that carry no time
	rebound sync.Map          // query with ? placeholders → query with $n placeholders
	routes  *routeCaches      // targets.go; nil: no caches
}

// execer is what *sql.DB and *sql.Tx have in common.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries implements switchboard.Queries. Reads go to r and writes to w: on
// SQLite outside a transaction they are the reader pool and the writer; in a
// transaction (and on PostgreSQL) both are the same.
type queries struct {
	*core
	r, w execer
	// committed collects the functions to run after the transaction
	// commits; nil outside a transaction, where they run at once.
	committed *[]func()
	// wrote records which cached lists the transaction writes
	// (targets.go); nil outside a transaction.
	wrote *routeWrites
}

// AfterCommit runs fn once the current transaction has committed, or at once
// outside a transaction. A rolled-back transaction never runs it.
func (q *queries) AfterCommit(fn func()) {
	if q.committed == nil {
		fn()
		return
	}
	*q.committed = append(*q.committed, fn)
}

// sql returns query with its placeholders in the dialect's form.
func (c *core) sql(query string) string {
	if c.dialect != DialectPostgres {
		return query
	}
	if q, ok := c.rebound.Load(query); ok {
		return q.(string)
	}
	q := rebind(query)
	c.rebound.Store(query, q)
	return q
}

// rebind replaces each ? outside single-quoted strings with $1, $2, ….
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case ch == '\'':
			quoted = !quoted
		case ch == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// sqliteTimeLayout is how SQLite stores times: fixed width, so that comparing
// the strings compares the times.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

// norm returns t in UTC truncated to microseconds, the precision stored.
func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// now returns the current time as stored.
func (c *core) now() time.Time { return norm(c.clock.Now()) }

// stamp returns norm(t), or now() if t is zero.
func (c *core) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return c.now()
	}
	return norm(t)
}

// normPtr normalises an optional time in place.
func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := norm(*t)
	return &n
}

// t encodes a stored time (already normalised) for the dialect.
func (c *core) t(t time.Time) any {
	t = norm(t)
	if c.dialect == DialectPostgres {
		return t
	}
	return t.Format(sqliteTimeLayout)
}

// tp encodes an optional time: nil is NULL.
func (c *core) tp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return c.t(*t)
}

// bound encodes a time used as a bound in a comparison. Stored times are
// whole microseconds, so rounding the bound up to the next microsecond keeps
// "x >= t" and "x < t" exact.
func (c *core) bound(t time.Time) any {
	u := t.UTC()
	if r := u.Truncate(time.Microsecond); !r.Equal(u) {
		u = r.Add(time.Microsecond)
	}
	return c.t(u)
}

// limit returns the number of rows to fetch for a page: Limit+1, with a
// default of 50 when Limit is not positive.
func limit(p switchboard.Page) int {
	if p.Limit <= 0 {
		return 51
	}
	return p.Limit + 1
}
