package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard"
)

// ErrNotShared is returned by TakeTokens on SQLite, whose one process keeps
// its rate-limit buckets in memory.
var ErrNotShared = errors.New("store: rate-limit buckets are shared on PostgreSQL only")

// TakeTokens takes up to t.Want whole tokens from the named bucket shared by
// every process on the database (switchboard.TokenBuckets), in one
// statement: the row is created full, or locked, refilled for the time
// since the last take and taken from. It runs on a pool of its own, and its
// commit does not wait for the disk (the statement sets synchronous_commit
// off for its own transaction, which works through a pooler in transaction
// mode too): a crash forgets at most the last moments of a rate limit, not
// worth an fsync per take. On SQLite it returns ErrNotShared.
func (db *DB) TakeTokens(ctx context.Context, t switchboard.TokenTake) (got int, left float64, err error) {
	if db.dialect != DialectPostgres {
		return 0, 0, ErrNotShared
	}
	pool, err := db.limits.get(func() (*sql.DB, error) { return openLimitsPool(ctx, db.url) })
	if err != nil {
		return 0, 0, err
	}
	now := float64(t.Now.UnixNano()) / 1e9
	err = pool.QueryRowContext(ctx, `
		WITH async AS (SELECT set_config('synchronous_commit', 'off', true))
		INSERT INTO rate_limits AS r (name, tokens, updated_at, taken)
		SELECT $1::text, $2::float8 - LEAST($5::int, $2::int), $4::float8, LEAST($5::int, $2::int) FROM async
		ON CONFLICT (name) DO UPDATE SET
			taken = LEAST($5::int, GREATEST(0, floor(LEAST($2::float8, r.tokens + GREATEST(0, $4::float8 - r.updated_at) * $3::float8))))::int,
			tokens = LEAST($2::float8, r.tokens + GREATEST(0, $4::float8 - r.updated_at) * $3::float8)
				- LEAST($5::int, GREATEST(0, floor(LEAST($2::float8, r.tokens + GREATEST(0, $4::float8 - r.updated_at) * $3::float8)))),
			updated_at = $4::float8
		RETURNING taken, tokens`,
		t.Name, float64(t.Burst), t.Rate, now, t.Want).Scan(&got, &left)
	return got, left, translate(err, "update", "rate limit")
}

// PurgeRateLimits deletes the shared buckets not taken from since before
// (full again by then, unless the limit is very slow). On SQLite there are
// none.
func (db *DB) PurgeRateLimits(ctx context.Context, before time.Time) (int64, error) {
	if db.dialect != DialectPostgres {
		return 0, nil
	}
	res, err := db.writer.ExecContext(ctx, `DELETE FROM rate_limits WHERE updated_at < $1`, float64(before.UnixNano())/1e9)
	if err != nil {
		return 0, translate(err, "delete", "rate limit")
	}
	return res.RowsAffected()
}

// openLimitsPool opens the rate limits' pool: a few connections, so that
// takes do not queue behind the main pool's work.
func openLimitsPool(ctx context.Context, databaseURL string) (*sql.DB, error) {
	pool, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	pool.SetMaxOpenConns(4)
	pool.SetMaxIdleConns(4)
	pool.SetConnMaxIdleTime(pgConnMaxIdleTime)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	return pool, nil
}

// lazyPool is a pool opened at first use (and again after a failed open).
type lazyPool struct {
	mu   sync.Mutex
	pool *sql.DB
}

func (l *lazyPool) get(open func() (*sql.DB, error)) (*sql.DB, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pool == nil {
		p, err := open()
		if err != nil {
			return nil, err
		}
		l.pool = p
	}
	return l.pool, nil
}

func (l *lazyPool) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pool == nil {
		return nil
	}
	err := l.pool.Close()
	l.pool = nil
	return err
}
