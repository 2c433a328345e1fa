package main

import (
	"bufio"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestShutdownEndsLiveStreams: a dashboard's live stream, which never ends
// by itself, does not hold up the drain at SIGTERM: the stream is closed,
// and serve exits 0 (a drain cut by its timeout exits 1).
func TestShutdownEndsLiveStreams(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	p := serve(t, "SWITCHBOARD_DATA_DIR="+dataDir, "SWITCHBOARD_SHUTDOWN_TIMEOUT=20s")
	create := exec.Command(binary, "user", "create", "--email", adminEmail, "--role", "admin", "--data-dir", dataDir)
	create.Stdin = strings.NewReader(adminPassword + "\n")
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("user create: %v %s", err, out)
	}
	b := newBrowser(t)
	if pg := b.signIn(p.base, adminEmail, adminPassword, "/inbox"); pg.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", pg.status)
	}
	stream := &http.Client{Jar: b.http.Jar} // no timeout: the stream lasts
	res, err := stream.Get(p.base + "/live")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines := bufio.NewScanner(res.Body)
	if res.StatusCode != http.StatusOK || !lines.Scan() {
		t.Fatalf("live: %d", res.StatusCode)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for lines.Scan() {
		}
	}()
	start := time.Now()
	p.stop(t)
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream stayed open after serve exited")
	}
	t.Logf("serve stopped %v after SIGTERM with a live stream open", time.Since(start).Round(time.Millisecond))
}
