package ceiling

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/bench/loadgen"
)

// TestStartServesJSON checks the answer of a started server and its
// shutdown.
func TestStartServesJSON(t *testing.T) {
	srv, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || string(got) != string(body) {
		t.Errorf("answer %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), got)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestStartRefusesNonLoopback checks that the server only listens on
// loopback.
func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:80"} {
		if _, err := Start(addr); !errors.Is(err, loadgen.ErrNotLoopback) {
			t.Errorf("Start(%q) = %v, want ErrNotLoopback", addr, err)
		}
	}
}
