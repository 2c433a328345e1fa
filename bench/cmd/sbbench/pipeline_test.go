package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
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
// acknowledged and answered once.
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
	var res checkedResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Result == nil || res.OK != 60 || res.Errors != 0 ||
		res.Missing != 0 || res.Duplicates != 0 || !strings.Contains(out.String(), `"missing":0`) {
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
	var ack loadgen.Result
	var reply checkedResult
	if json.Unmarshal([]byte(lines[0]), &ack) != nil || json.Unmarshal([]byte(lines[1]), &reply) != nil || reply.Result == nil {
		t.Fatalf("output %q", out.String())
	}
	if ack.OK != 40 || reply.Name != "e2e-reply" || reply.Requests != 40 || reply.OK != 40 || reply.Errors != 0 || reply.Latency.Max <= 0 ||
		reply.Missing != 0 || reply.Duplicates != 0 {
		t.Fatalf("ack %+v\nreply %+v\n%s", ack, reply, log.String())
	}
}

// fakeHub imitates what the pipeline scenarios use of Switchboard, for
// several servers sharing it: creating a bot and a Telegram channel, and
// the channel's hook, which answers each update at once through the
// channel's Bot API, as the bot would, except that the drop-th update (in
// the order they arrive, from 1) is never answered and the dup-th twice.
type fakeHub struct {
	mu        sync.Mutex
	apiBase   string
	updates   int
	drop, dup int
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "POST" && r.URL.Path == "/api/v1/bots":
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"bot_1"}`)
	case r.Method == "POST" && r.URL.Path == "/api/v1/channels":
		var ch struct {
			Config struct {
				APIBaseURL string `json:"api_base_url"`
			} `json:"config"`
		}
		if json.NewDecoder(r.Body).Decode(&ch) != nil || ch.Config.APIBaseURL == "" {
			http.Error(w, `{"code":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.apiBase = ch.Config.APIBaseURL
		h.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"ch_1","webhook_url":"http://sb.invalid/hooks/channels/ch_1","config":{"secret_token":"s3cret"}}`)
	case r.Method == "POST" && r.URL.Path == "/hooks/channels/ch_1":
		var u struct {
			Message struct {
				Chat struct {
					ID int64 `json:"id"`
				} `json:"chat"`
			} `json:"message"`
		}
		if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "s3cret" || json.NewDecoder(r.Body).Decode(&u) != nil {
			http.Error(w, `{"code":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		h.mu.Lock()
		h.updates++
		n, base := h.updates, h.apiBase
		h.mu.Unlock()
		times := 1
		switch n {
		case h.drop:
			times = 0
		case h.dup:
			times = 2
		}
		for range times {
			body := fmt.Sprintf(`{"chat_id":%d,"text":"Hello! How can I help?"}`, u.Message.Chat.ID)
			resp, err := http.Post(base+"/bot123:BENCH/sendMessage", "application/json", strings.NewReader(body))
			if err != nil {
				http.Error(w, `{"code":"internal"}`, http.StatusInternalServerError)
				return
			}
			resp.Body.Close()
		}
		io.WriteString(w, `{}`)
	default:
		http.Error(w, `{"code":"not_found"}`, http.StatusNotFound)
	}
}

// hubServers starts n servers sharing hub and returns their URLs and
// counters of the updates each received.
func hubServers(t *testing.T, n int, hub *fakeHub) ([]string, []*atomic.Int64) {
	t.Helper()
	var urls []string
	var counts []*atomic.Int64
	for range n {
		var c atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/hooks/") {
				c.Add(1)
			}
			hub.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
		counts = append(counts, &c)
	}
	return urls, counts
}

// TestReplyChecks runs inbound-ack and end-to-end over two servers that
// answer every update once, except one never and one twice: the scenarios
// count one missing and one duplicate reply, and spread the updates over
// both servers.
func TestReplyChecks(t *testing.T) {
	for _, scenario := range []string{"inbound-ack", "end-to-end"} {
		t.Run(scenario, func(t *testing.T) {
			urls, counts := hubServers(t, 2, &fakeHub{drop: 9, dup: 17})
			o, err := parseFlags([]string{"-scenario", scenario, "-url", urls[0], "-url", urls[1], "-key", testKey, "-json",
				"-n", "30", "-c", "4", "-rate", "500", "-users", "100", "-drain", "300ms", "-linger", "0s"})
			if err != nil {
				t.Fatal(err)
			}
			var out, log bytes.Buffer
			if err := run(context.Background(), o, &out, &log); err != nil {
				t.Fatalf("run: %v\n%s", err, log.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			var res checkedResult
			if json.Unmarshal([]byte(lines[len(lines)-1]), &res) != nil || res.Result == nil {
				t.Fatalf("output %q", out.String())
			}
			if res.Requests != 30 || res.Missing != 1 || res.Duplicates != 1 {
				t.Errorf("result %s, want 30 updates, 1 missing and 1 duplicate reply", lines[len(lines)-1])
			}
			if scenario == "end-to-end" && (res.Name != "e2e-reply" || res.OK != 29) {
				t.Errorf("replies %s, want 29 of 30 answered", lines[len(lines)-1])
			}
			if a, b := counts[0].Load(), counts[1].Load(); a != 15 || b != 15 {
				t.Errorf("the servers got %d and %d updates, want 15 each", a, b)
			}
		})
	}
}

// TestNoReplyCheckWithoutBot checks that inbound-ack -no-bot reports no
// missing replies: without a bot none is expected.
func TestNoReplyCheckWithoutBot(t *testing.T) {
	urls, _ := hubServers(t, 1, &fakeHub{})
	o, err := parseFlags([]string{"-scenario", "inbound-ack", "-no-bot", "-url", urls[0], "-key", testKey, "-n", "5"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), o, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ok=5 ") || strings.Contains(out.String(), "missing=") {
		t.Errorf("output %q", out.String())
	}
}
