package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Connection pool limits for PostgreSQL. Several processes may share one
// server, so each keeps its pool modest. Every open connection may stay
// idle: a pool that closes connections past an idle limit under load opens
// new ones a moment later, and a PostgreSQL connection costs a process
// and its statements prepared anew (with 10 of 20 kept idle, 32 concurrent
// readers opened 267 connections in 14 s and read at a third of the rate).
const (
	pgMaxOpenConns    = 20
	pgMaxIdleConns    = pgMaxOpenConns
	pgConnMaxIdleTime = 5 * time.Minute
	pgConnMaxLifetime = time.Hour
)

// openPostgres opens a pool on the database named by databaseURL and checks
// that it answers.
func openPostgres(ctx context.Context, databaseURL string) (*sql.DB, error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(pgMaxOpenConns)
	db.SetMaxIdleConns(pgMaxIdleConns)
	db.SetConnMaxIdleTime(pgConnMaxIdleTime)
	db.SetConnMaxLifetime(pgConnMaxLifetime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	return db, nil
}

// planEach returns the arguments of a statement that PostgreSQL must plan
// for its values each time it runs (an unnamed statement of pgx's) rather
// than by the generic plan of a cached prepared statement, where that plan
// can be far worse for skewed data. SQLite plans each statement for its
// values anyway.
func (c *core) planEach(args ...any) []any {
	if c.dialect != DialectPostgres {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}
