package main

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is a fake OpenTelemetry collector: it takes OTLP/HTTP trace
// exports (protobuf) and keeps their spans.
type collector struct {
	*httptest.Server
	mu    sync.Mutex
	spans []span
}

type span struct {
	name, trace, id, parent string
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltrace.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					c.spans = append(c.spans, span{name: s.Name, trace: hex.EncodeToString(s.TraceId),
						id: hex.EncodeToString(s.SpanId), parent: hex.EncodeToString(s.ParentSpanId)})
				}
			}
		}
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(c.Close)
	return c
}

// TestTraceAcrossTheFlow runs the binary with OTEL_EXPORTER_OTLP_ENDPOINT
// pointing at a fake collector: one inbound Telegram update makes one
// trace — the hook, the ingest, the bot turn, the send and the webhook
// deliveries of the events they published, each the child of what caused
// it — and the deliveries carry its traceparent.
func TestTraceAcrossTheFlow(t *testing.T) {
	col := newCollector(t)
	tg := telegramtest.NewServer()
	defer tg.Close()
	var mu sync.Mutex
	parents := map[string]string{} // event type → traceparent header
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		typ := ""
		for _, t := range []string{"message.received", "message.sent"} {
			if strings.Contains(string(body), `"event":"`+t+`"`) {
				typ = t
			}
		}
		mu.Lock()
		parents[typ] = r.Header.Get("traceparent")
		mu.Unlock()
	}))
	defer sink.Close()
	p := serve(t, "SWITCHBOARD_DATA_DIR="+filepath.Join(t.TempDir(), "data"), "SWITCHBOARD_BOOTSTRAP_KEY="+e2eKey,
		"SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true", "OTEL_EXPORTER_OTLP_ENDPOINT="+col.URL, "OTEL_BSP_SCHEDULE_DELAY=50")
	p.create(t, "/api/v1/webhooks", map[string]any{"url": sink.URL, "event_types": []string{"message.received", "message.sent"}})
	hookURL, token := telegramChannel(t, p, tg, greeter)
	if st, _ := p.post(t, hookURL, "", telegramtest.Update(7001, 42, "Ada", "hello"), telegram.HeaderSecretToken, token); st != 200 {
		t.Fatalf("update: %d", st)
	}
	tg.Wait("sendMessage", 1, 60*time.Second)
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(parents)
		mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.stop(t) // flushes what the exporter holds

	col.mu.Lock()
	defer col.mu.Unlock()
	var hook *span
	for i := range col.spans {
		if col.spans[i].name == "hook" {
			hook = &col.spans[i]
		}
	}
	if hook == nil {
		t.Fatalf("no hook span among %v", col.spans)
	}
	byName := map[string]span{}
	for _, s := range col.spans {
		if s.trace == hook.trace {
			byName[s.name] = s
		}
	}
	for child, parent := range map[string]string{
		"ingest":                   "hook",
		"job bot_turn":             "ingest",
		"job send":                 "job bot_turn",
		"deliver message.received": "ingest",
		"deliver message.sent":     "job send",
	} {
		c, ok := byName[child]
		if !ok {
			t.Errorf("no %q span in the hook's trace; it has %v", child, byName)
			continue
		}
		if c.parent != byName[parent].id {
			t.Errorf("%q's parent is %s, want %q (%s)", child, c.parent, parent, byName[parent].id)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for typ, tp := range parents {
		want := "00-" + hook.trace + "-" + byName["deliver "+typ].id + "-01"
		if tp != want {
			t.Errorf("%s delivered with traceparent %q, want %q", typ, tp, want)
		}
	}
}
