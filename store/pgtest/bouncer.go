package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// errNoPgBouncer is returned when the pgbouncer binary is missing.
var errNoPgBouncer = errors.New("pgtest: pgbouncer was not found in $PATH or /usr/sbin (install Debian's pgbouncer package)")

// BouncerPoolSize is the number of server connections per database and
// user of the PgBouncer that Bouncer starts: fewer than the clients of a
// test, so that they take turns on them.
const BouncerPoolSize = 4

// Bouncer is a PgBouncer in transaction pooling mode on a loopback port,
// in front of every database of one PostgreSQL server.
type Bouncer struct {
	addr string // host:port
	user string
}

// StartBouncer starts a PgBouncer in transaction pooling mode on a
// loopback port in front of the server of databaseURL (as from URL), stopped
// when t ends. Clients share BouncerPoolSize server connections per
// database, each held for one transaction at a time. It runs with the
// settings of a stock installation (no ignore_startup_parameters, no
// max_prepared_statements, which the pgbouncer of Debian 12 does not know).
//
// Without pgbouncer it skips the test, or fails it when the CI
// environment variable is set.
func StartBouncer(t testing.TB, databaseURL string) *Bouncer {
	t.Helper()
	bin, err := findPgBouncer()
	switch {
	case err != nil && os.Getenv("CI") == "":
		t.Skip(err.Error())
	case err != nil:
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	dir, err := os.MkdirTemp("", "switchboard-pgbouncer-")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cred, err := serverCredential(dir) // pgbouncer refuses to run as root
	if err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	backend := fmt.Sprintf("host=%s port=%d user=%s", cfg.Host, cfg.Port, cfg.User)
	if cfg.Password != "" {
		backend += " password=" + cfg.Password
	}
	ini := strings.Join([]string{
		"[databases]",
		"* = " + backend, // every database, under its own name
		"[pgbouncer]",
		"listen_addr = 127.0.0.1",
		"listen_port = " + strconv.Itoa(port),
		"unix_socket_dir =",
		"auth_type = trust",
		"auth_file = " + filepath.Join(dir, "users.txt"),
		"pool_mode = transaction",
		"default_pool_size = " + strconv.Itoa(BouncerPoolSize),
		"max_client_conn = 500",
		"",
	}, "\n")
	files := map[string]string{
		"pgbouncer.ini": ini,
		"users.txt":     strconv.Quote(cfg.User) + ` ""` + "\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	cmd.Dir = dir
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("pgtest: start pgbouncer: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // immediate shutdown
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("pgbouncer's log:\n%s", logs.String())
		}
	})
	b := &Bouncer{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), user: cfg.User}
	u := b.URL(databaseURL)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, u)
		if err == nil {
			conn.Close(ctx)
			return b
		}
		select {
		case <-exited:
			t.Fatalf("pgtest: pgbouncer exited at start: %s", strings.TrimSpace(logs.String()))
		case <-ctx.Done():
			t.Fatalf("pgtest: pgbouncer did not start: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// URL returns the URL of the database of databaseURL (a database of the
// bouncer's server) through the bouncer, with the query parameters of
// databaseURL other than host and port, and the query mode a PgBouncer
// without protocol-level prepared statements (before 1.21, or with
// max_prepared_statements at 0) needs: pgx's named prepared statements
// would live on one server connection and be looked for on another.
func (b *Bouncer) URL(databaseURL string) string {
	orig, err := url.Parse(databaseURL)
	if err != nil {
		panic(fmt.Sprintf("pgtest: bad database URL: %v", err))
	}
	q := orig.Query()
	q.Del("host")
	q.Del("port")
	q.Set("sslmode", "disable")
	q.Set("default_query_exec_mode", "cache_describe")
	return (&url.URL{
		Scheme:   "postgres",
		User:     url.User(b.user),
		Host:     b.addr,
		Path:     orig.Path,
		RawQuery: q.Encode(),
	}).String()
}

// findPgBouncer returns the path of the pgbouncer binary.
func findPgBouncer() (string, error) {
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/pgbouncer"); err == nil {
		return "/usr/sbin/pgbouncer", nil
	}
	return "", errNoPgBouncer
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
