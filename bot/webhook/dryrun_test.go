package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// TestDryRunRefused: a dry run (POST /bots/{id}/parse) never reaches the
// bot's service; it is refused as invalid, naming the engine.
func TestDryRunRefused(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Write([]byte(`{"replies":[{"text":"hi"}]}`))
	}))
	defer srv.Close()
	e := New(egress.NewClient(egress.Policy{AllowPrivate: true}, time.Second), "v")
	tn := turn(srv.URL, signature.NewSecret())
	tn.DryRun = true
	_, err := e.Reply(context.Background(), tn)
	if sb.ErrorCode(err) != sb.EInvalid {
		t.Fatalf("dry run: %v", err)
	}
	if e, _ := err.(*sb.Error); e == nil || len(e.Fields) != 1 || e.Fields[0].Field != "engine" {
		t.Fatalf("dry run error %#v", err)
	}
	if calls.Load() != 0 {
		t.Fatal("the service was called on a dry run")
	}
	tn.DryRun = false
	if a, err := e.Reply(context.Background(), tn); err != nil || len(a.Replies) != 1 || calls.Load() != 1 {
		t.Fatalf("the same turn, not a dry run: %+v %v", a, err)
	}
}
