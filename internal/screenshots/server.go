package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// build compiles the module's ./cmd/switchboard into bin.
func build(bin string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if _, err := os.Stat(filepath.Join(root, "cmd", "switchboard")); err != nil {
		return fmt.Errorf("run this inside Switchboard's repository: %w", err)
	}
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/switchboard")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/switchboard: %w", err)
	}
	return nil
}

// server is a running `switchboard serve`.
type server struct {
	Base string // http://127.0.0.1:port
	Key  string // its admin API key
	cmd  *exec.Cmd
	done chan error
}

var apiLine = regexp.MustCompile(`API:\s+(http://\S+)/api/v1`)

// startServer runs bin on a new SQLite database in dataDir, on a free
// loopback port, with an admin key of its own, allowed to call the fake
// servers on loopback; the server's log goes to logs.
func startServer(bin, dataDir string, logs io.Writer) (*server, error) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	s := &server{Key: "sbk_screenshots-" + hex.EncodeToString(b), done: make(chan error, 1)}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append(os.Environ(),
		"SWITCHBOARD_ADDR=127.0.0.1:0",
		"SWITCHBOARD_DATA_DIR="+dataDir,
		"SWITCHBOARD_DATABASE_URL=", // the data dir's SQLite database, whatever the environment says
		"SWITCHBOARD_BOOTSTRAP_KEY="+s.Key,
		"SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true",
		"SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE=1s,2s",
		"SWITCHBOARD_LOG_LEVEL=warn",
	)
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.cmd.Stderr = logs
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	var printed strings.Builder
	lines := bufio.NewScanner(out)
	deadline := time.AfterFunc(60*time.Second, func() { _ = s.cmd.Process.Kill() })
	for lines.Scan() {
		line := lines.Text()
		printed.WriteString(line + "\n")
		if m := apiLine.FindStringSubmatch(line); m != nil {
			s.Base = m[1]
		}
		if line == "Press Ctrl+C to stop." {
			break
		}
	}
	deadline.Stop()
	go func() {
		_, _ = io.Copy(logs, out)
		s.done <- s.cmd.Wait()
	}()
	if s.Base == "" {
		_ = s.cmd.Process.Kill()
		return nil, fmt.Errorf("switchboard serve printed no URL:\n%s", printed.String())
	}
	return s, nil
}

// Stop sends SIGTERM and waits for the server to exit.
func (s *server) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
	}
}

// apiError is an answer of the API other than the one expected.
type apiError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s answered %d: %s", e.Method, e.Path, e.Status, strings.TrimSpace(e.Body))
}

// call sends a JSON body (nil: none) to the API path (under /api/v1) and
// decodes the answer into out (nil: dropped); an answer other than want
// is an *apiError.
func (s *server) call(method, path string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	return s.send(method, s.Base+"/api/v1"+path, r, want, out, "Authorization", "Bearer "+s.Key)
}

// send makes a request with headers (name, value pairs) and decodes the
// answer into out.
func (s *server) send(method, url string, body io.Reader, want int, out any, headers ...string) error {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return &apiError{Method: method, Path: strings.TrimPrefix(url, s.Base), Status: res.StatusCode, Body: string(raw)}
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

var client = &http.Client{Timeout: 30 * time.Second}

// until asks ok every 100 ms until it is true, for at most d; what names
// the wait in the error.
func until(what string, d time.Duration, ok func() (bool, error)) error {
	deadline := time.Now().Add(d)
	for {
		done, err := ok()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("waiting for " + what + ": timed out")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
