// Package pgtest gives each test a fresh, migrated PostgreSQL database on a
// real server.
//
// If TEST_DATABASE_URL is set, its server is used (the user must be allowed
// to create databases). Otherwise a throwaway cluster is started once per
// test binary from the PostgreSQL server binaries of the Debian package
// (/usr/lib/postgresql/*/bin, the newest version), in a temporary directory,
// listening on a Unix socket there only, with durability turned off for
// speed; when running as root it runs as the postgres OS user. Either way the
// schema is migrated once into a template database, and each test gets a
// clone of it (CREATE DATABASE … TEMPLATE), dropped when the test ends.
//
// Use it from TestMain, so that the cluster is stopped after the tests:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Without PostgreSQL binaries (and TEST_DATABASE_URL unset), URL skips the
// test, or fails it when the CI environment variable is set.
//
// Open opens and migrates a store on either kind of database, with a test
// sealer, for the tests of the packages built on the store.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/switchboardhq/switchboard/store"
)

// errNoPostgres is returned when there is neither a server URL nor binaries.
var errNoPostgres = errors.New("pgtest: TEST_DATABASE_URL is unset and no PostgreSQL server binaries were found " +
	"in /usr/lib/postgresql/*/bin (install Debian's postgresql package)")

// shared is the server of this test binary, started on first use.
var shared lazyServer

type lazyServer struct {
	once sync.Once
	srv  *server
	err  error
}

func (l *lazyServer) get() (*server, error) {
	l.once.Do(func() { l.srv, l.err = start() })
	return l.srv, l.err
}

// stop stops the server if it was started.
func (l *lazyServer) stop() {
	l.once.Do(func() { l.err = errors.New("pgtest: stopped") })
	if l.srv != nil {
		l.srv.stop()
	}
}

// Main runs the tests with m.Run, stops the throwaway server if one was
// started, runs the cleanups given (in order), and exits with the tests'
// status.
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	shared.stop()
	for _, f := range cleanups {
		f()
	}
	os.Exit(code)
}

// URL returns the URL of a new database, migrated to the latest schema, that
// is dropped when t ends. Close every connection to it before then.
func URL(t testing.TB) string {
	t.Helper()
	s, err := shared.get()
	switch {
	case errors.Is(err, errNoPostgres) && os.Getenv("CI") == "":
		t.Skip(err.Error())
	case err != nil:
		t.Fatal(err)
	}
	name := fmt.Sprintf("%s_%d", s.prefix, s.seq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+s.template+s.strategy); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() { s.drops <- name })
	return s.url(name)
}

// dropAll drops the databases whose tests ended, in the background: a drop
// forces a checkpoint, and no test needs to wait for it.
func (s *server) dropAll() {
	defer close(s.dropped)
	for name := range s.drops {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := s.admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: drop database %s: %v\n", name, err)
		}
	}
}

// server is a PostgreSQL server with a migrated template database.
type server struct {
	base     *url.URL // the server's URL; its path names the database
	admin    *sql.DB  // connected to the maintenance database
	template string
	strategy string // clause of CREATE DATABASE
	prefix   string // of the names of the databases created for tests
	seq      atomic.Int64
	cluster  *cluster    // nil when the server is TEST_DATABASE_URL's
	drops    chan string // databases to drop
	dropped  chan struct{}
}

// start connects to TEST_DATABASE_URL's server or starts a cluster, and
// prepares the template database.
func start() (*server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := &server{prefix: fmt.Sprintf("sbtest_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)}
	s.template = s.prefix + "_template"
	raw := os.Getenv("TEST_DATABASE_URL")
	if raw == "" {
		c, err := startCluster(ctx)
		if err != nil {
			return nil, err
		}
		s.cluster, raw = c, c.url
	}
	if err := s.connect(ctx, raw); err != nil {
		s.stop()
		return nil, err
	}
	if err := s.prepareTemplate(ctx); err != nil {
		s.stop()
		return nil, err
	}
	s.drops, s.dropped = make(chan string, 1024), make(chan struct{})
	go s.dropAll()
	return s, nil
}

func (s *server) connect(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("pgtest: bad server URL: %w", err)
	}
	s.base = u
	s.admin, err = sql.Open("pgx", raw)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	s.admin.SetMaxOpenConns(4)
	if err := s.admin.PingContext(ctx); err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	var version int
	if err := s.admin.QueryRowContext(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		return fmt.Errorf("pgtest: server version: %w", err)
	}
	if s.cluster != nil && version >= 150000 {
		// Copying the files is three times faster than the default WAL_LOG
		// strategy for a small template, and its checkpoints cost nothing
		// without fsync.
		s.strategy = " STRATEGY FILE_COPY"
	}
	return nil
}

// prepareTemplate creates the template database and migrates it.
func (s *server) prepareTemplate(ctx context.Context) error {
	if _, err := s.admin.ExecContext(ctx, `CREATE DATABASE `+s.template); err != nil {
		return fmt.Errorf("pgtest: create template database: %w", err)
	}
	db, err := store.Open(ctx, s.url(s.template), store.Options{})
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// url returns the URL of the named database on the server.
func (s *server) url(database string) string {
	u := *s.base
	u.Path = "/" + database
	return u.String()
}

// stop drops the template (on a server that outlives the tests) or stops
// the cluster.
func (s *server) stop() {
	if s.drops != nil {
		close(s.drops)
		<-s.dropped
	}
	if s.admin != nil && s.cluster == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, _ = s.admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+s.template+` WITH (FORCE)`)
		cancel()
	}
	if s.admin != nil {
		s.admin.Close()
	}
	if s.cluster != nil {
		s.cluster.stop()
	}
}

// EachDatabase runs fn as two parallel subtests, "sqlite" on a new SQLite
// file and "postgres" on a new PostgreSQL database, so that one test covers
// both stores.
func EachDatabase(t *testing.T, fn func(t *testing.T, databaseURL string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, "sqlite://"+filepath.Join(t.TempDir(), "sb.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, URL(t))
	})
}
