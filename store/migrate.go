package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrationFiles holds the schema migrations, one directory per dialect
// with the same version numbers in each.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// versionTable is where goose records the applied migrations.
const versionTable = "goose_db_version"

// migrations returns the migration files of the DB's dialect.
func (db *DB) migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations/"+db.dialect)
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// provider returns a goose provider for the DB's dialect, migrating
// through conns. On PostgreSQL it holds a session-level advisory lock while
// migrating, so that several processes starting at once apply each
// migration once: conns must then reach the server itself, not a pooler in
// transaction mode, which would not keep the lock's session.
func (db *DB) provider(conns *sql.DB) (*goose.Provider, error) {
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(db.logger),
	}
	dialect := goose.DialectSQLite3
	if db.dialect == DialectPostgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 600))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, conns, db.migrations(), opts...)
}

// Migrate applies every migration not yet applied. On PostgreSQL with a
// direct URL (Options.DirectURL) other than the database URL, it migrates
// on a connection of its own to that URL.
func (db *DB) Migrate(ctx context.Context) error {
	conns := db.writer
	if db.dialect == DialectPostgres && db.directURL != db.url {
		direct, err := sql.Open("pgx", db.directURL)
		if err != nil {
			return fmt.Errorf("store: open the direct URL: %w", err)
		}
		defer direct.Close()
		direct.SetMaxOpenConns(4)
		if err := direct.PingContext(ctx); err != nil {
			return fmt.Errorf("store: connect to the direct URL: %w", err)
		}
		conns = direct
	}
	p, err := db.provider(conns)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, r := range results {
		db.logger.InfoContext(ctx, "store: migration applied",
			"version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}

// Ready reports whether the database answers and every migration is
// applied; if not, the error says what is missing. It only reads.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.Ping(ctx); err != nil {
		return err
	}
	if db.full.isFull(db.clock.Now()) {
		return errors.New("store: the database has no room left: writes are refused until there is room")
	}
	p, err := db.provider(db.reader) // only to list the migrations
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	applied, err := db.appliedVersions(ctx)
	if err != nil {
		return err
	}
	var missing []string
	for _, s := range p.ListSources() {
		if !applied[s.Version] {
			missing = append(missing, fmt.Sprint(s.Version))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("store: database not migrated: %d migration(s) pending (version %s); run migrate",
			len(missing), strings.Join(missing, ", "))
	}
	return nil
}

// appliedVersions reads which migration versions goose recorded as applied
// (the last record of a version decides); none if its table is missing.
func (db *DB) appliedVersions(ctx context.Context) (map[int64]bool, error) {
	exists, err := db.tableExists(ctx, versionTable)
	if err != nil || !exists {
		return map[int64]bool{}, err
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT version_id, is_applied FROM `+versionTable+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: read migration versions: %w", err)
	}
	defer rows.Close()
	applied := map[int64]bool{}
	for rows.Next() {
		var v int64
		var ok bool
		if err := rows.Scan(&v, &ok); err != nil {
			return nil, fmt.Errorf("store: read migration versions: %w", err)
		}
		applied[v] = ok
	}
	return applied, rows.Err()
}

// tableExists reports whether the named table exists.
func (db *DB) tableExists(ctx context.Context, name string) (bool, error) {
	query := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if db.dialect == DialectPostgres {
		query = `SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1`
	}
	var n int
	if err := db.reader.QueryRowContext(ctx, query, name).Scan(&n); err != nil && err != sql.ErrNoRows {
		return false, fmt.Errorf("store: look for table %s: %w", name, err)
	}
	return n > 0, nil
}
