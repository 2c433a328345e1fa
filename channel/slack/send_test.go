package slack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

// send sends a text to the fake Web API at srv.
func send(t *testing.T, srv *httptest.Server) error {
	_, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "U1", Text: "hi"})
	return err
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
			srv, calls := channeltest.Platform(t, channeltest.JSONBody, http.StatusOK, "postMessage_ok.json", nil)
			msg := &switchboard.OutboundMessage{MessageID: "msg_1", To: "U04L9RJ2M3K", Thread: tt.thread, Text: "Your order left & is on its way <3"}
			ts, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), msg)
			if err != nil {
				t.Fatal(err)
			}
			if ts != "1736933402.190819" {
				t.Errorf("external id = %q", ts)
			}
			got := <-calls
			if got.Method != http.MethodPost || got.URL.Path != "/api/chat.postMessage" ||
				got.Header.Get("Content-Type") != "application/json; charset=utf-8" || got.Header.Get("Authorization") != "Bearer "+testBotToken {
				t.Errorf("request = %+v", got)
			}
			if body := got.JSON(t); body["channel"] != tt.wantChannel || body["text"] != msg.Text || body["thread_ts"] != tt.wantThreadTS {
				t.Errorf("body = %v", body)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	channeltest.SendErrors(t, channeltest.JSONBody, send, []channeltest.SendCase{
		{Name: "channel not found", Status: 200, Reply: "error_channel_not_found.json", Message: "channel_not_found"},
		{Name: "not in channel", Status: 200, Reply: "error_not_in_channel.json", Message: "not_in_channel"},
		{Name: "invalid auth", Status: 200, Reply: "error_invalid_auth.json", Message: "invalid_auth"},
		{Name: "ratelimited in body", Status: 200, Reply: "error_ratelimited.json", Header: http.Header{"Retry-After": {"12"}}, Retryable: true, RetryAfter: 12 * time.Second,
			Message: "ratelimited"},
		{Name: "service unavailable in body", Status: 200, Reply: "error_service_unavailable.json", Retryable: true, Message: "service_unavailable"},
		{Name: "HTTP 429", Status: 429, Reply: "error_ratelimited.json", Header: http.Header{"Retry-After": {"30"}}, Retryable: true, RetryAfter: 30 * time.Second,
			Message: "Too Many Requests"},
		{Name: "HTTP 429 without Retry-After", Status: 429, Retryable: true, Message: "Too Many Requests"},
		{Name: "HTTP 500", Status: 500, Retryable: true, Message: "Internal Server Error"},
		{Name: "HTTP 503", Status: 503, Header: http.Header{"Retry-After": {"5"}}, Retryable: true, RetryAfter: 5 * time.Second, Message: "Service Unavailable"},
		{Name: "HTTP 404 with error", Status: 404, Reply: "error_channel_not_found.json", Message: "channel_not_found"},
		{Name: "HTTP 400 without body", Status: 400, Message: "slack: unreadable answer: Bad Request"},
		{Name: "ok true with HTTP 400", Status: 400, Reply: "postMessage_ok.json", Message: "Bad Request"},
	})
}

func TestSendUnreadableSuccess(t *testing.T) { channeltest.SendUnreadableSuccess(t, send) }

func TestSendNetworkError(t *testing.T) { channeltest.SendUnreachable(t, send) }

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

// TestSendDoesNotFollowRedirects: a Web API answering 307 to an internal
// URL is not followed (the bot token never travels there) and nothing the
// internal service or the redirect says reaches the error.
func TestSendDoesNotFollowRedirects(t *testing.T) {
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("redirect followed: %s %s, Authorization %q", r.Method, r.URL, r.Header.Get("Authorization"))
		w.Write([]byte(`{"ok":false,"error":"INTERNAL ANSWER"}`))
	}))
	defer internal.Close()
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", internal.URL+"/latest/meta-data/")
		w.WriteHeader(http.StatusTemporaryRedirect)
		w.Write([]byte(`{"ok":false,"error":"REDIRECT BODY"}`))
	}))
	defer platform.Close()
	err := send(t, platform)
	se, ok := err.(*switchboard.SendError)
	if !ok || se.Retryable || strings.Contains(se.Error(), "INTERNAL") || strings.Contains(se.Error(), "REDIRECT BODY") {
		t.Fatalf("Send = %v, want a final error quoting no body", err)
	}
}

// TestSendErrorTextBounded: a long error from the Web API is cut before it
// becomes the message's error.
func TestSendErrorTextBounded(t *testing.T) {
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"ok":false,"error":"` + strings.Repeat("x", 5000) + `"}`))
	}))
	defer platform.Close()
	err := send(t, platform)
	if err == nil || len(err.Error()) > switchboard.MaxSendErrorText+50 {
		t.Fatalf("Send error is %d bytes", len(err.Error()))
	}
}
