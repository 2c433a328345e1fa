package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

// request is one call the fake Web API received.
type request struct {
	Method, Path, ContentType, Authorization string
	Body                                     map[string]any
}

// fakeSlack answers every call with status, the body in testdata/api/reply
// and header, and records the calls.
func fakeSlack(t *testing.T, status int, reply string, header http.Header) (*httptest.Server, <-chan request) {
	t.Helper()
	calls := make(chan request, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := request{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Authorization: r.Header.Get("Authorization")}
		if err := json.NewDecoder(r.Body).Decode(&rec.Body); err != nil {
			t.Errorf("request body: %v", err)
		}
		calls <- rec
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		if reply != "" {
			w.Write(channeltest.ReadFile(t, "testdata/api/"+reply))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, calls
}

func TestSend(t *testing.T) {
	tests := []struct {
		name, thread, wantChannel string
		wantThreadTS              any
	}{
		{"direct message", "D06L2M7QK8Z", "D06L2M7QK8Z", nil},
		{"direct message thread", "D06L2M7QK8Z:1736933400.719859", "D06L2M7QK8Z", "1736933400.719859"},
		{"channel thread", "C05R7PL2XJD:1736934000.112300", "C05R7PL2XJD", "1736934000.112300"},
		{"no thread: to the user", "", "U04L9RJ2M3K", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := fakeSlack(t, http.StatusOK, "postMessage_ok.json", nil)
			msg := &switchboard.OutboundMessage{MessageID: "msg_1", To: "U04L9RJ2M3K", Thread: tt.thread, Text: "Your order left & is on its way <3"}
			ts, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), msg)
			if err != nil {
				t.Fatal(err)
			}
			if ts != "1736933402.190819" {
				t.Errorf("external id = %q", ts)
			}
			got := <-calls
			if got.Method != http.MethodPost || got.Path != "/api/chat.postMessage" ||
				got.ContentType != "application/json; charset=utf-8" || got.Authorization != "Bearer "+testBotToken {
				t.Errorf("request = %+v", got)
			}
			if got.Body["channel"] != tt.wantChannel || got.Body["text"] != msg.Text || got.Body["thread_ts"] != tt.wantThreadTS {
				t.Errorf("body = %v", got.Body)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		reply      string
		header     http.Header
		retryable  bool
		retryAfter time.Duration
		message    string
	}{
		{"channel not found", 200, "error_channel_not_found.json", nil, false, 0, "channel_not_found"},
		{"not in channel", 200, "error_not_in_channel.json", nil, false, 0, "not_in_channel"},
		{"invalid auth", 200, "error_invalid_auth.json", nil, false, 0, "invalid_auth"},
		{"ratelimited in body", 200, "error_ratelimited.json", http.Header{"Retry-After": {"12"}}, true, 12 * time.Second, "ratelimited"},
		{"service unavailable in body", 200, "error_service_unavailable.json", nil, true, 0, "service_unavailable"},
		{"HTTP 429", 429, "error_ratelimited.json", http.Header{"Retry-After": {"30"}}, true, 30 * time.Second, "Too Many Requests"},
		{"HTTP 429 without Retry-After", 429, "", nil, true, 0, "Too Many Requests"},
		{"HTTP 500", 500, "", nil, true, 0, "Internal Server Error"},
		{"HTTP 503", 503, "", http.Header{"Retry-After": {"5"}}, true, 5 * time.Second, "Service Unavailable"},
		{"HTTP 404 with error", 404, "error_channel_not_found.json", nil, false, 0, "channel_not_found"},
		{"HTTP 400 without body", 400, "", nil, false, 0, "slack: unreadable answer: Bad Request"},
		{"ok true with HTTP 400", 400, "postMessage_ok.json", nil, false, 0, "Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fakeSlack(t, tt.status, tt.reply, tt.header)
			_, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "U1", Text: "hi"})
			se := channeltest.SendError(t, err)
			if se.Retryable != tt.retryable || se.RetryAfter != tt.retryAfter || se.Message != tt.message || se.StatusCode != tt.status {
				t.Errorf("got %+v", se)
			}
		})
	}
}

func TestSendUnreadableSuccess(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<html>ok</html>`))
	}))
	defer srv.Close()
	_, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "U1", Text: "hi"})
	if se := channeltest.SendError(t, err); se.Retryable {
		t.Errorf("a send that may have happened must not be retried: %+v", se)
	}
}

func TestSendNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := New(nil).Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "U1", Text: "hi"})
	if se := channeltest.SendError(t, err); !se.Retryable || se.StatusCode != 0 {
		t.Errorf("got %+v, want retryable", se)
	}
}

func TestSendMisconfigured(t *testing.T) {
	ch := testChannel("http://127.0.0.1:1")
	delete(ch.Secrets, "bot_token")
	_, err := New(nil).Send(context.Background(), ch, &switchboard.OutboundMessage{To: "U1", Text: "hi"})
	if se := channeltest.SendError(t, err); se.Retryable {
		t.Errorf("got %+v", se)
	}
	_, err = New(nil).Send(context.Background(), testChannel("http://127.0.0.1:1"), &switchboard.OutboundMessage{Text: "hi"})
	if se := channeltest.SendError(t, err); se.Retryable {
		t.Errorf("got %+v", se)
	}
}
