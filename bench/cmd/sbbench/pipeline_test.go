package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/bench/loadgen"
	"github.com/switchboardhq/switchboard/bot/builtin"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/httpapi"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// switchboardServer runs the real API and pipeline on SQLite, in process,
// with an admin key.
func switchboardServer(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := pgtest.Open(t, "sqlite://"+t.TempDir()+"/sb.db")
	ws := &sb.Workspace{Name: "default"}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAPIKey(ctx, auth.NewAPIKey(ws.ID, "bench", []string{sb.ScopeAdmin}, testKey)); err != nil {
		t.Fatal(err)
	}
	channels, engines := sb.NewChannels(telegram.New(nil)), sb.NewEngines(builtin.New())
	p := pipeline.New(pipeline.Config{SingleProcess: true}, pipeline.Deps{
		Store: db, Adapters: channels, Engines: engines, Logger: logger,
	})
	p.Start(ctx)
	srv := httptest.NewServer(httpapi.New(httpapi.Config{PublicURL: "http://sb.invalid", RateLimit: 1e6, RateBurst: 1e6},
		httpapi.Deps{App: app.New(app.Config{PublicURL: "http://sb.invalid", WebhookPolicy: egress.Policy{AllowPrivate: true}}, app.Deps{Store: db, Pipeline: p, Channels: channels, Engines: engines}),
			Idempotency: db, Auth: auth.New(db, logger, nil), Logger: logger, Registry: prometheus.NewRegistry()}))
	t.Cleanup(func() {
		srv.Close()
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		p.Stop(stop)
	})
	return srv.URL
}

// TestInboundAck runs inbound-ack against the real server: every update is
// acknowledged.
func TestInboundAck(t *testing.T) {
	url := switchboardServer(t)
	o, err := parseFlags([]string{"-scenario", "inbound-ack", "-url", url, "-key", testKey, "-n", "60", "-c", "4", "-users", "7", "-json"})
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	if err := run(context.Background(), o, &out, &log); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	var res loadgen.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.OK != 60 || res.Errors != 0 {
		t.Fatalf("result %s (%v)\n%s", out.String(), err, log.String())
	}
}

// TestEndToEnd runs end-to-end (open loop, with a warm-up) against the real
// server: every update of the measured run gets its reply, timed, on a
// second line.
func TestEndToEnd(t *testing.T) {
	url := switchboardServer(t)
	o, err := parseFlags([]string{"-scenario", "end-to-end", "-url", url, "-key", testKey, "-n", "40", "-rate", "200",
		"-warmup", "100ms", "-c", "8", "-users", "5", "-json"})
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	if err := run(context.Background(), o, &out, &log); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q", out.String())
	}
	var ack, reply loadgen.Result
	if json.Unmarshal([]byte(lines[0]), &ack) != nil || json.Unmarshal([]byte(lines[1]), &reply) != nil {
		t.Fatalf("output %q", out.String())
	}
	if ack.OK != 40 || reply.Name != "e2e-reply" || reply.Requests != 40 || reply.OK != 40 || reply.Errors != 0 || reply.Latency.Max <= 0 {
		t.Fatalf("ack %+v\nreply %+v\n%s", ack, reply, log.String())
	}
}
