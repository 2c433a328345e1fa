package pgtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// binGlob finds the server binaries of Debian's postgresql packages.
const binGlob = "/usr/lib/postgresql/*/bin"

// cluster is a throwaway PostgreSQL cluster in a temporary directory.
type cluster struct {
	dir    string // data in dir/data, socket in dir
	url    string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the postmaster exits
}

// findBinDir returns the bin directory of the newest installed version.
func findBinDir() (string, error) {
	dirs, _ := filepath.Glob(binGlob)
	best, bestVersion := "", -1.0
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			continue
		}
		v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		if err == nil && v > bestVersion {
			best, bestVersion = d, v
		}
	}
	if best == "" {
		return "", errNoPostgres
	}
	return best, nil
}

// startCluster runs initdb into a temporary directory and starts the server
// on a Unix socket there.
func startCluster(ctx context.Context) (*cluster, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "switchboard-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	c := &cluster{dir: dir, exited: make(chan struct{})}
	cred, err := serverCredential(dir)
	if err == nil {
		err = c.initdb(ctx, bin, cred)
	}
	if err == nil {
		err = c.run(bin, cred)
	}
	if err == nil {
		err = c.waitReady(ctx)
	}
	if err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// serverCredential returns the credential to run the server with: the
// postgres user's when running as root (the server refuses to run as root),
// to whom dir is then given; nil otherwise.
func serverCredential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs a postgres user to run the server: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// command builds a command run as cred in the cluster's directory; the
// server itself is started with context.Background, as it must outlive any
// one call.
func (c *cluster) command(ctx context.Context, cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

// initdb creates the cluster: trust authentication, UTF-8, C locale, and no
// fsync of the files it writes.
func (c *cluster) initdb(ctx context.Context, bin string, cred *syscall.Credential) error {
	cmd := c.command(ctx, cred, filepath.Join(bin, "initdb"),
		"-D", filepath.Join(c.dir, "data"), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	return nil
}

// run starts the postmaster, listening on a Unix socket in the cluster's
// directory only, with durability off. It dies with the test binary.
func (c *cluster) run(bin string, cred *syscall.Credential) error {
	cmd := c.command(context.Background(), cred, filepath.Join(bin, "postgres"),
		"-D", filepath.Join(c.dir, "data"), "-k", c.dir,
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "log_min_messages=FATAL")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	c.cmd = cmd
	go func() {
		_ = cmd.Wait()
		close(c.exited)
	}()
	c.url = (&url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Path:     "/postgres",
		RawQuery: url.Values{"host": {c.dir}, "sslmode": {"disable"}}.Encode(),
	}).String()
	return nil
}

// waitReady waits until the server accepts connections.
func (c *cluster) waitReady(ctx context.Context) error {
	db, err := sql.Open("pgx", c.url)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer db.Close()
	for {
		if err = db.PingContext(ctx); err == nil {
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("pgtest: postgres exited at start: %s", strings.TrimSpace(c.logs()))
		case <-ctx.Done():
			return fmt.Errorf("pgtest: postgres did not start: %w", errors.Join(ctx.Err(), err))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (c *cluster) logs() string {
	if b, ok := c.cmd.Stdout.(*bytes.Buffer); ok {
		return b.String()
	}
	return ""
}

// stop shuts the server down (fast shutdown, then kill) and removes the
// directory.
func (c *cluster) stop() {
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	}
	_ = os.RemoveAll(c.dir)
}
