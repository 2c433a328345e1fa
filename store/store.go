// Package store implements switchboard.Store on SQLite (the embedded default)
// and PostgreSQL (for several processes sharing one database).
//
// Both dialects share one set of SQL statements, written with "?"
// placeholders that are rebound to "$n" for PostgreSQL; only the schema
// (migrations/sqlite and migrations/postgres, with the same version numbers)
// and the encoding of times differ.
//
// On SQLite a DB holds two pools on the same file: a single writer connection
// that runs every write and every transaction (transactions begin IMMEDIATE,
// so they queue for the write lock instead of failing to upgrade a read lock),
// and a pool of read-only connections for the reads made outside
// transactions. WAL journaling lets those reads run while a write is in
// progress.
//
// Conventions of the Queries methods:
//
//   - Create methods fill in a missing ID (switchboard.NewID) and missing
//     creation times (now), and normalise the times of the struct they are
//     given to UTC microseconds, the precision stored; Update methods stamp
//     UpdatedAt with the current time where the type has one.
//   - A row that does not exist, or exists in another workspace, is
//     switchboard.ENotFound; a uniqueness violation is switchboard.EConflict;
//     a reference to a row that does not exist is switchboard.EInvalid;
//     anything else is a plain (internal) error.
//   - Secrets maps are JSON-encoded and sealed with the Sealer given to Open;
//     they are never written in plaintext. Reads return non-nil maps. The
//     responses kept for Idempotency-Key replays are sealed too (they may
//     carry a new API key or signing secret).
//   - Inside Store.Tx, use only the Queries passed to the function: on SQLite
//     the transaction holds the only writer connection, and a write through
//     the DB itself would wait for it forever.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/switchboardhq/switchboard"
)

// Dialect names, as returned by DB.Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

var _ switchboard.Store = (*DB)(nil)

// DB is a switchboard.Store on SQLite or PostgreSQL. It is safe for
// concurrent use.
type DB struct {
	queries
	writer *sql.DB // the single SQLite writer, or the PostgreSQL pool
	reader *sql.DB // the SQLite read-only pool, or the PostgreSQL pool
	logger *slog.Logger
	// On SQLite, the prepared statements of each pool, and the background
	// checkpoints (checkpoint.go) with their connection.
	writerStmts, readerStmts *stmtCache
	checkpoints              *sql.DB
	checkpointer             *checkpointer
	// full remembers a write refused for want of room, for Ready.
	full fullness
	// On PostgreSQL, the small pool of the shared rate-limit buckets
	// (ratelimits.go), opened at the first take, and the URL reaching
	// PostgreSQL itself (Options.DirectURL, or url) for the migrations.
	url       string
	directURL string
	limits    lazyPool
	// On PostgreSQL with SharedCaches, what keeps the route caches
	// current (listen.go).
	listener *listener
}

// Options are the collaborators of a DB; every field may be left zero.
type Options struct {
	// Sealer protects the secrets of bots, channels and webhook
	// endpoints, and the stored responses of idempotency records; nil
	// fails where a secret is written or read.
	Sealer switchboard.Sealer
	Logger *slog.Logger
	// Clock stamps the creations and updates whose times the caller left
	// zero (default: the system clock).
	Clock switchboard.Clock
	// SharedCaches, on PostgreSQL, caches each workspace's enabled webhook
	// endpoints and automations (read for every event) and keeps them
	// current across processes through LISTEN/NOTIFY on a connection of
	// its own (targets.go), opened on DirectURL. SQLite always caches them.
	SharedCaches bool
	// DirectURL, on PostgreSQL, reaches the server itself rather than a
	// pooler in transaction mode (PgBouncer) that the database URL may
	// name: the migrations (which hold a session-level advisory lock) and
	// the LISTEN connection of SharedCaches use it, everything else the
	// database URL. Empty: the database URL serves for both. It must name
	// the same database.
	DirectURL string
}

// Open connects to the database named by databaseURL: "sqlite://PATH" (a
// relative or absolute file path; its directory is created if missing) or
// "postgres://…" / "postgresql://…". It does not migrate: call Migrate, or
// Ready to check.
func Open(ctx context.Context, databaseURL string, o Options) (*DB, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	clock := o.Clock
	if clock == nil {
		clock = switchboard.SystemClock{}
	}
	if o.DirectURL != "" && (!isPostgresURL(databaseURL) || !isPostgresURL(o.DirectURL)) {
		return nil, errors.New("store: a direct URL must be postgres://…, with a postgres:// database URL")
	}
	var (
		writer, reader, checkpoints *sql.DB
		dialect                     string
		err                         error
	)
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		dialect = DialectSQLite
		writer, reader, checkpoints, err = openSQLite(ctx, databaseURL)
	case isPostgresURL(databaseURL):
		dialect = DialectPostgres
		writer, err = openPostgres(ctx, databaseURL)
		reader = writer
	default:
		return nil, errors.New("store: unsupported database URL: want sqlite://PATH or postgres://…")
	}
	if err != nil {
		return nil, err
	}
	directURL := o.DirectURL
	if directURL == "" {
		directURL = databaseURL
	}
	db := &DB{writer: writer, reader: reader, logger: logger, url: databaseURL, directURL: directURL}
	db.queries = queries{core: &core{dialect: dialect, sealer: o.Sealer, clock: clock}, r: reader, w: writer}
	if dialect == DialectSQLite {
		db.writerStmts, db.readerStmts = &stmtCache{db: writer}, &stmtCache{db: reader}
		db.queries.r, db.queries.w = db.readerStmts, db.writerStmts
		db.checkpoints, db.checkpointer = checkpoints, startCheckpointer(checkpoints, logger)
		db.routes = newRouteCaches(routeTTL)
	}
	if dialect == DialectPostgres && o.SharedCaches {
		db.routes = newRouteCaches(sharedRouteTTL)
		db.listener = startListener(directURL, db.routes, logger)
	}
	return db, nil
}

// isPostgresURL reports whether u names a PostgreSQL database.
func isPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Dialect returns "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect }

// Stats returns the statistics of the main connection pool: on PostgreSQL the
// only pool; on SQLite the writer's, whose waits measure write contention.
func (db *DB) Stats() sql.DBStats { return db.writer.Stats() }

// ReaderStats returns the statistics of the pool used for reads outside
// transactions (the same pool as Stats on PostgreSQL).
func (db *DB) ReaderStats() sql.DBStats { return db.reader.Stats() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if db.reader != db.writer {
		if err := db.reader.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping readers: %w", err)
		}
	}
	return nil
}

// Close closes every connection.
func (db *DB) Close() error {
	if db.writerStmts != nil {
		db.checkpointer.stop()
		db.writerStmts.close()
		db.readerStmts.close()
	}
	err := db.writer.Close()
	if db.checkpoints != nil {
		err = errors.Join(err, db.checkpoints.Close())
	}
	if db.reader != db.writer {
		err = errors.Join(err, db.reader.Close())
	}
	db.listener.stop()
	return errors.Join(err, db.limits.close())
}

// Tx runs fn in one transaction: committed if fn returns nil, rolled back if
// it returns an error (which Tx returns) or panics (which Tx re-raises). On
// SQLite transactions are serialised on the writer connection; on PostgreSQL
// they run at READ COMMITTED.
func (db *DB) Tx(ctx context.Context, fn func(q switchboard.Queries) error) (err error) {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	var committed []func()
	var wrote routeWrites
	q := &queries{core: db.core, r: tx, w: tx, committed: &committed, wrote: &wrote}
	if c := db.routes; c != nil {
		defer func() { // committed, rolled back or panicked: cached lists go
			if wrote.endpoints {
				c.endpoints.bump()
			}
			if wrote.automations {
				c.automations.bump()
			}
		}()
	}
	if db.writerStmts != nil {
		ctq := &cachedTx{tx: tx, cache: db.writerStmts}
		defer ctq.prepareMissed(ctx) // runs after the rollback below
		q.r, q.w = ctq, ctq
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback() // fn panicked
		}
	}()
	err = fn(q)
	done = true
	if err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) && !isStorageFull(rbErr) {
			db.logger.WarnContext(ctx, "store: rollback failed", "error", rbErr)
		}
		if isStorageFull(err) || errors.Is(err, errStorageFull) {
			db.full.noteFull(db.clock.Now())
			return errStorageFull
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		if isStorageFull(err) {
			db.full.noteFull(db.clock.Now())
			return errStorageFull
		}
		return fmt.Errorf("store: commit: %w", err)
	}
	db.full.noteRoom()
	for _, fn := range committed {
		fn()
	}
	return nil
}
