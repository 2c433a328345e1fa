package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkActionRuns measures integration action runs end to end on
// SQLite: each run is queued through the API (202), runs as a job that
// calls a fake help desk on loopback with the http action, and records
// its outcome and attempt. It reports completed runs per second.
func BenchmarkActionRuns(b *testing.B) {
	e := newEnv(b, "sqlite://"+b.TempDir()+"/sb.db", platformsOnLoopback)
	var calls atomic.Int64
	desk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":1,"status":"open"}`))
	}))
	defer desk.Close()
	id := e.must(201, "POST", "/api/v1/integrations", e.admin, map[string]any{"type": "http", "name": "Desk",
		"config": map[string]any{"url": desk.URL + "/tickets", "body": `{"subject": "{{params.subject}}"}`}}).str(b, "id")
	e.jobs.Start(b.Context())
	defer func() { _ = e.jobs.Stop(b.Context()) }()
	path := "/api/v1/integrations/" + id + "/actions/call"
	b.ResetTimer()
	start := time.Now()
	b.SetParallelism(16) // API clients at once, whatever the cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("POST", path, strings.NewReader(`{"params":{"subject":"Printer on fire"}}`))
			r.Header.Set("Authorization", "Bearer "+e.admin)
			w := httptest.NewRecorder()
			e.api.ServeHTTP(w, r)
			if w.Code != http.StatusAccepted {
				b.Fatalf("status %d %s", w.Code, w.Body)
			}
		}
	})
	for calls.Load() < int64(b.N) || e.jobs.Len() > 0 {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "runs/s")
}
