package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/store/pgtest"
)

// binary is the switchboard command built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "switchboard-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "switchboard")
	build := exec.Command("go", "build", "-race", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		panic("building the binary: " + err.Error())
	}
	pgtest.Main(m, func() { os.RemoveAll(dir) })
}

// process is a running `switchboard serve`.
type process struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:port
	key    string // the admin key printed at first start, if any
	stdout strings.Builder
	done   chan error
}

var apiLine = regexp.MustCompile(`API:\s+(http://\S+)/api/v1`)
var keyLine = regexp.MustCompile(`^\s+(sbk_\S+)$`)

// serve starts the binary with env and waits for it to print its URL.
func serve(t *testing.T, env ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(binary, "serve"), done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), append([]string{"SWITCHBOARD_ADDR=127.0.0.1:0", "SWITCHBOARD_LOG_LEVEL=warn"}, env...)...)
	out, _ := p.cmd.StdoutPipe()
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	deadline := time.AfterFunc(60*time.Second, func() { _ = p.cmd.Process.Kill() })
	defer deadline.Stop()
	for lines.Scan() {
		line := lines.Text()
		p.stdout.WriteString(line + "\n")
		if m := apiLine.FindStringSubmatch(line); m != nil {
			p.base = m[1]
		}
		if m := keyLine.FindStringSubmatch(line); m != nil {
			p.key = m[1]
		}
		if line == "Press Ctrl+C to stop." {
			break
		}
	}
	go func() {
		_, _ = io.Copy(io.Discard, out)
		p.done <- p.cmd.Wait()
	}()
	if p.base == "" {
		t.Fatalf("serve printed no URL:\n%s", p.stdout.String())
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("serve did not exit 0 after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
}

func (p *process) call(t *testing.T, method, path, key, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, p.base+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

func TestServeFirstStartRestartAndDrain(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	p := serve(t, "SWITCHBOARD_DATA_DIR="+dataDir)
	if p.key == "" || !strings.Contains(p.stdout.String(), "Dashboard:  "+p.base+"/") {
		t.Fatalf("first start must print the dashboard's URL and an admin key:\n%s", p.stdout.String())
	}
	if st, _ := p.call(t, "GET", "/readyz", "", ""); st != 200 {
		t.Fatalf("readyz %d", st)
	}
	st, bot := p.call(t, "POST", "/api/v1/bots", p.key, `{"name":"Support","engine":"builtin"}`)
	if st != 201 {
		t.Fatalf("create bot %d %v", st, bot)
	}
	p.stop(t)
	if _, err := os.Stat(filepath.Join(dataDir, "switchboard.db")); err != nil {
		t.Fatalf("the embedded database is not in the data dir: %v", err)
	}

	again := serve(t, "SWITCHBOARD_DATA_DIR="+dataDir)
	if again.key != "" || strings.Contains(again.stdout.String(), "sbk_") {
		t.Fatalf("a restart must not print a new key:\n%s", again.stdout.String())
	}
	if st, got := again.call(t, "GET", "/api/v1/bots/"+bot["id"].(string), p.key, ""); st != 200 || got["name"] != "Support" {
		t.Fatalf("after restart: %d %v", st, got)
	}
	again.stop(t)
}

func TestBootstrapKeyOnPostgres(t *testing.T) {
	dbURL := pgtest.URL(t)
	const key = "sbk_bootstrap-key-for-tests-0001"
	env := []string{"SWITCHBOARD_DATA_DIR=" + t.TempDir(), "SWITCHBOARD_DATABASE_URL=" + dbURL, "SWITCHBOARD_BOOTSTRAP_KEY=" + key}
	for i := 0; i < 2; i++ { // idempotent across restarts
		p := serve(t, env...)
		if p.key != "" {
			t.Fatalf("with a bootstrap key no key is generated:\n%s", p.stdout.String())
		}
		if st, got := p.call(t, "GET", "/api/v1/api-keys", key, ""); st != 200 || len(got["data"].([]any)) != 1 {
			t.Fatalf("start %d: %d %v", i, st, got)
		}
		p.stop(t)
	}
}

func TestCommands(t *testing.T) {
	dataDir := t.TempDir()
	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "SWITCHBOARD_DATA_DIR="+dataDir)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String(), errOut.String(), err
	}
	if out, _, err := run("version"); err != nil || !strings.HasPrefix(out, "switchboard ") {
		t.Fatalf("version: %q %v", out, err)
	}
	if out, _, err := run("migrate"); err != nil || !strings.Contains(out, "migrations applied") {
		t.Fatalf("migrate: %q %v", out, err)
	}
	out, errOut, err := run("apikey", "create", "--name", "ci", "--scopes", "read:bots,write:bots", "--workspace", "acme")
	if err != nil || !strings.HasPrefix(out, "sbk_") || !strings.Contains(errOut, "acme") {
		t.Fatalf("apikey create: %q %q %v", out, errOut, err)
	}
	key := strings.TrimSpace(out)
	if _, errOut, err := run("apikey", "create", "--name", "x", "--scopes", "root"); err == nil || !strings.Contains(errOut, "scopes") {
		t.Fatalf("a bad scope must fail naming it: %q %v", errOut, err)
	}
	if _, errOut, err := run("serve", "--log-format", "xml"); err == nil || !strings.Contains(errOut, "log-format") {
		t.Fatalf("a bad log format must fail naming it: %q %v", errOut, err)
	}
	if _, _, err := run("frobnicate"); err == nil {
		t.Fatal("an unknown command must fail")
	}

	p := serve(t, "SWITCHBOARD_DATA_DIR="+dataDir)
	if st, _ := p.call(t, "GET", "/api/v1/bots", key, ""); st != 200 {
		t.Fatalf("the CLI-made key does not work: %d", st)
	}
	if st, _ := p.call(t, "GET", "/api/v1/channels", key, ""); st != 403 {
		t.Fatalf("the CLI-made key has only its scopes: %d", st)
	}
	p.stop(t)
}

func TestConfigPrecedence(t *testing.T) {
	env := map[string]string{"SWITCHBOARD_ADDR": "127.0.0.1:9000", "SWITCHBOARD_LOG_FORMAT": "json", "SWITCHBOARD_DATA_DIR": "/tmp/x"}
	cfg, _, err := parseConfig("serve", []string{"--addr", "127.0.0.1:9001"}, func(k string) string { return env[k] }, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9001" || cfg.LogFormat != "json" || cfg.DatabaseURL != "sqlite:///tmp/x/switchboard.db" || cfg.PublicURL != "http://127.0.0.1:9001" {
		t.Fatalf("config %+v", cfg)
	}
	env["SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE"] = "maybe"
	if _, _, err := parseConfig("serve", nil, func(k string) string { return env[k] }, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE") {
		t.Fatalf("a bad env value must be named: %v", err)
	}
	if got := redactURL("postgres://sb:hunter2@db:5432/sb"); strings.Contains(got, "hunter2") {
		t.Fatalf("redactURL = %q", got)
	}
}

func TestTrustedProxiesConfig(t *testing.T) {
	cfg, _, err := parseConfig("serve", nil, func(string) string { return "" }, io.Discard, nil)
	if err != nil || len(cfg.TrustedProxies) != 0 {
		t.Fatalf("by default no proxy is trusted: %v %v", cfg.TrustedProxies, err)
	}
	env := map[string]string{"SWITCHBOARD_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7,fd00::/8"}
	cfg, _, err = parseConfig("serve", nil, func(k string) string { return env[k] }, io.Discard, nil)
	if err != nil || fmt.Sprint(cfg.TrustedProxies) != "[10.0.0.0/8 192.168.1.7/32 fd00::/8]" {
		t.Fatalf("trusted proxies %v, %v", cfg.TrustedProxies, err)
	}
	cfg, _, err = parseConfig("serve", []string{"--trusted-proxies", "172.16.0.0/12"}, func(k string) string { return env[k] }, io.Discard, nil)
	if err != nil || fmt.Sprint(cfg.TrustedProxies) != "[172.16.0.0/12]" {
		t.Fatalf("the flag wins: %v, %v", cfg.TrustedProxies, err)
	}
	env["SWITCHBOARD_TRUSTED_PROXIES"] = "10.0.0.0/33"
	if _, _, err := parseConfig("serve", nil, func(k string) string { return env[k] }, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_TRUSTED_PROXIES") {
		t.Fatalf("a bad CIDR must be refused, naming the variable: %v", err)
	}
}

func TestDatabaseDirectURLConfig(t *testing.T) {
	parse := func(env map[string]string, args ...string) (Config, error) {
		cfg, _, err := parseConfig("serve", args, func(k string) string { return env[k] }, io.Discard, nil)
		return cfg, err
	}
	env := map[string]string{
		"SWITCHBOARD_DATABASE_URL":        "postgres://sb@pgbouncer:6432/sb",
		"SWITCHBOARD_DATABASE_DIRECT_URL": "postgres://sb@db:5432/sb",
	}
	cfg, err := parse(env)
	if err != nil || cfg.DatabaseDirectURL != "postgres://sb@db:5432/sb" {
		t.Fatalf("direct URL from the environment: %q, %v", cfg.DatabaseDirectURL, err)
	}
	cfg, err = parse(env, "--database-direct-url", "postgresql://sb@db2/sb")
	if err != nil || cfg.DatabaseDirectURL != "postgresql://sb@db2/sb" {
		t.Fatalf("the flag wins: %q, %v", cfg.DatabaseDirectURL, err)
	}
	if cfg, err := parse(map[string]string{"SWITCHBOARD_DATABASE_URL": "postgres://sb@db/sb"}); err != nil || cfg.DatabaseDirectURL != "" {
		t.Fatalf("unset by default: %q, %v", cfg.DatabaseDirectURL, err)
	}
	for _, bad := range []map[string]string{
		{"SWITCHBOARD_DATABASE_URL": "postgres://sb@db/sb", "SWITCHBOARD_DATABASE_DIRECT_URL": "mysql://sb@db/sb"},
		{"SWITCHBOARD_DATABASE_URL": "sqlite:///tmp/sb.db", "SWITCHBOARD_DATABASE_DIRECT_URL": "postgres://sb@db/sb"},
		{"SWITCHBOARD_DATA_DIR": "/tmp/x", "SWITCHBOARD_DATABASE_DIRECT_URL": "postgres://sb@db/sb"}, // the default SQLite
	} {
		if _, err := parse(bad); err == nil || !strings.Contains(err.Error(), "database-direct-url") {
			t.Errorf("%v must be refused naming database-direct-url: %v", bad, err)
		}
	}
}
