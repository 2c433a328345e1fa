package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqliteBusyTimeout is how long, in milliseconds, a connection waits for a
// lock held by another connection (another process, or a checkpoint) before
// failing with SQLITE_BUSY.
const sqliteBusyTimeout = 10000

// sqlitePath extracts the file path from "sqlite://PATH" (or "sqlite:PATH").
func sqlitePath(databaseURL string) (string, error) {
	path := strings.TrimPrefix(databaseURL, "sqlite:")
	path = strings.TrimPrefix(path, "//")
	switch {
	case path == "":
		return "", errors.New("store: sqlite URL names no file: want sqlite://PATH")
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		return "", errors.New("store: sqlite URL must name a file path (in-memory and file: URIs are not supported)")
	case strings.ContainsAny(path, "?#"):
		return "", fmt.Errorf("store: sqlite path %q must not contain '?' or '#'", path)
	}
	return filepath.Clean(path), nil
}

// sqliteSynchronous makes every commit durable: in WAL mode, FULL syncs the
// log at each commit, so that what was acknowledged (a platform's update
// answered 200, a message accepted with 202) survives a power loss or an
// operating system crash, not only the process's death. (NORMAL would sync
// only at checkpoints: consistent, but the last commits could be lost.) A
// group commit shares one sync between all the transactions it writes.
const sqliteSynchronous = "_pragma=synchronous(FULL)"

// sqliteDSN builds a modernc.org/sqlite DSN for path. The writer begins its
// transactions IMMEDIATE and switches the file to WAL; readers are read-only.
func sqliteDSN(path string, writer bool) string {
	params := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", sqliteBusyTimeout),
		"_pragma=foreign_keys(1)",
		sqliteSynchronous,
	}
	if writer {
		params = append(params, "_pragma=journal_mode(WAL)", "_txlock=immediate",
			fmt.Sprintf("_pragma=wal_autocheckpoint(%d)", writerAutoCheckpoint))
	} else {
		params = append(params, "_pragma=query_only(1)")
	}
	return path + "?" + strings.Join(params, "&")
}

// checkpointDSN builds the DSN of the checkpointer's connection
// (checkpoint.go).
func checkpointDSN(path string) string {
	return path + "?" + fmt.Sprintf("_pragma=busy_timeout(%d)", sqliteBusyTimeout) + "&" + sqliteSynchronous
}

// openSQLite opens the writer (one connection), the reader pool and the
// checkpointer's connection on the file named by databaseURL, creating its
// directory if needed.
func openSQLite(ctx context.Context, databaseURL string) (writer, reader, checkpoints *sql.DB, err error) {
	path, err := sqlitePath(databaseURL)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, nil, fmt.Errorf("store: create database directory: %w", err)
	}
	writer, err = openSQLitePool(ctx, sqliteDSN(path, true), 1)
	if err != nil {
		return nil, nil, nil, err
	}
	// Open the others only once the writer has put the file in WAL mode.
	reader, err = openSQLitePool(ctx, sqliteDSN(path, false), max(4, runtime.NumCPU()))
	if err != nil {
		writer.Close()
		return nil, nil, nil, err
	}
	checkpoints, err = openSQLitePool(ctx, checkpointDSN(path), 1)
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, nil, nil, err
	}
	return writer, reader, checkpoints, nil
}

func openSQLitePool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	return db, nil
}
