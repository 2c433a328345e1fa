package pipeline_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestAPISendAttemptHeader: each callback of an api channel says which
// attempt it is (X-Attempt, from the send job's attempts) and which
// Switchboard sends it (User-Agent), like every other outbound delivery; a
// refused first attempt is retried as attempt 2.
func TestAPISendAttemptHeader(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		var mu sync.Mutex
		var attempts, agents []string
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, r.Header.Get("X-Attempt"))
			agents = append(agents, r.Header.Get("User-Agent"))
			if len(attempts) == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(rcv.Close)
		_, msg := e.queueOnAPIChannel(e.p, rcv.URL)
		e.run()
		e.clock.Advance(2 * time.Second) // the first retry is due after 1 s
		e.run()
		mu.Lock()
		equal(t, "X-Attempt", attempts, []string{"1", "2"})
		equal(t, "User-Agent", agents, []string{"Switchboard/test", "Switchboard/test"})
		mu.Unlock()
		if m := e.messagesOf(msg.ConversationID)[0]; m.Status != sb.MessageSent {
			t.Fatalf("message %+v, want sent", m)
		}
	})
}
