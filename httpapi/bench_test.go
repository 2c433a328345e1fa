package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// benchEnv is a server on SQLite with one conversation of 100 messages.
func benchEnv(b *testing.B) (*env, string) {
	e := newEnv(b, "sqlite://"+b.TempDir()+"/sb.db")
	_, convID, _ := e.conversationFixture(b)
	for i := 0; i < 100; i++ {
		e.must(202, "POST", "/api/v1/conversations/"+convID+"/messages", e.admin, map[string]any{"text": "hello there, how are you?", "sender": "agent"})
	}
	return e, convID
}

// BenchmarkListMessages measures the server side of a page of 50 messages,
// without the network.
func BenchmarkListMessages(b *testing.B) {
	e, convID := benchEnv(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/api/v1/conversations/"+convID+"/messages?limit=50", nil)
			r.Header.Set("Authorization", "Bearer "+e.admin)
			w := httptest.NewRecorder()
			e.api.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// BenchmarkPostMessage measures the server side of queueing a message.
func BenchmarkPostMessage(b *testing.B) {
	e, convID := benchEnv(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("POST", "/api/v1/conversations/"+convID+"/messages", strings.NewReader(`{"text":"hello","sender":"agent"}`))
			r.Header.Set("Authorization", "Bearer "+e.admin)
			w := httptest.NewRecorder()
			e.api.ServeHTTP(w, r)
			if w.Code != http.StatusAccepted {
				b.Fatalf("status %d %s", w.Code, w.Body)
			}
		}
	})
}
