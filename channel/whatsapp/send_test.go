package whatsapp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

// request is one call the fake Cloud API received.
type request struct {
	Method, Path, RawQuery, ContentType, Authorization string
	Body                                               map[string]any
	RawBody                                            string
}

// fakeGraph answers every call with status, the body in testdata/api/reply
// and header, and records the calls.
func fakeGraph(t *testing.T, status int, reply string, header http.Header) (*httptest.Server, <-chan request) {
	t.Helper()
	calls := make(chan request, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, ContentType: r.Header.Get("Content-Type"), Authorization: r.Header.Get("Authorization")}
		raw, _ := io.ReadAll(r.Body)
		rec.RawBody = string(raw)
		if err := json.Unmarshal(raw, &rec.Body); err != nil {
			t.Errorf("request body: %v", err)
		}
		calls <- rec
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(status)
		if reply != "" {
			w.Write(channeltest.ReadFile(t, "testdata/api/"+reply))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, calls
}

func TestSend(t *testing.T) {
	srv, calls := fakeGraph(t, http.StatusOK, "send_ok.json", nil)
	msg := &switchboard.OutboundMessage{MessageID: "msg_1", To: "447700900123", Text: "Your order #1042 left the warehouse & is on its way <3"}
	id, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), msg)
	if err != nil {
		t.Fatal(err)
	}
	if id != "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSNUQ2RTdGOEE5QjBDMUQyRTNGAA==" {
		t.Errorf("external id = %q", id)
	}
	got := <-calls
	if got.Method != http.MethodPost || got.Path != "/v21.0/"+testPhoneNumberID+"/messages" || got.RawQuery != "" ||
		got.ContentType != "application/json" || got.Authorization != "Bearer "+testAccessToken {
		t.Errorf("request = %+v", got)
	}
	want := `{"messaging_product":"whatsapp","recipient_type":"individual","to":"447700900123","type":"text",` +
		`"text":{"body":"Your order #1042 left the warehouse & is on its way <3"}}`
	if got.RawBody != want {
		t.Errorf("body = %s, want %s", got.RawBody, want)
	}
}

func TestSendToBusinessScopedUserID(t *testing.T) {
	srv, calls := fakeGraph(t, http.StatusOK, "send_ok.json", nil)
	msg := &switchboard.OutboundMessage{To: "GB.1502576394655843", Text: "Hello"}
	if _, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), msg); err != nil {
		t.Fatal(err)
	}
	got := <-calls
	if got.Body["recipient"] != "GB.1502576394655843" || got.Body["to"] != nil {
		t.Errorf("body = %v", got.Body)
	}
	// A phone number with a + stays a phone number.
	msg.To = "+447700900123"
	if _, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), msg); err != nil {
		t.Fatal(err)
	}
	if got := <-calls; got.Body["to"] != "+447700900123" || got.Body["recipient"] != nil {
		t.Errorf("body = %v", got.Body)
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
		{"outside the 24-hour window", 400, "error_131047_reengagement.json", nil, false, 0,
			"(#131047) Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
		{"recipient not allowed", 400, "error_131030_not_allowed.json", nil, false, 0,
			"(#131030) Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again."},
		{"expired token", 401, "error_190_token.json", nil, false, 0,
			"Error validating access token: Session has expired on Tuesday, 14-Jan-25 23:00:00 PST."},
		{"invalid parameter", 400, "error_100_param.json", nil, false, 0,
			"(#100) Invalid parameter: Param text['body'] must be at most 4096 characters long."},
		{"error_data is a string", 400, "error_string_error_data.json", nil, false, 0,
			`Invalid parameter: Message template "order_shipped" does not exist in en_US`},
		{"throughput limit", 400, "error_130429_throughput.json", nil, true, 0,
			"(#130429) Rate limit hit: Cloud API message throughput has been reached."},
		{"account limit", 400, "error_80007_waba.json", http.Header{"Retry-After": {"60"}}, true, time.Minute,
			"(#80007) There have been too many calls to this WhatsApp Business account. Wait a bit and try again."},
		{"application limit", 403, "error_4_app.json", nil, true, 0, "(#4) Application request limit reached"},
		{"pair limit", 400, "error_131056_pair.json", nil, true, 0,
			"(#131056) (Business Account, Consumer Account) pair rate limit hit: Too many messages sent from the sender phone number to the same recipient phone number in a short period of time."},
		{"HTTP 429", 429, "error_130429_throughput.json", http.Header{"Retry-After": {"12"}}, true, 12 * time.Second,
			"(#130429) Rate limit hit: Cloud API message throughput has been reached."},
		{"HTTP 429 with an HTTP date", 429, "", http.Header{"Retry-After": {"Wed, 15 Jan 2025 09:30:31 GMT"}}, true, 30 * time.Second, "Too Many Requests"},
		{"HTTP 500 transient", 500, "error_2_transient.json", nil, true, 0, "An unexpected error has occurred. Please retry your request later."},
		{"HTTP 502 without a body", 502, "", nil, true, 0, "Bad Gateway"},
		{"HTTP 503 with Retry-After", 503, "", http.Header{"Retry-After": {"5"}}, true, 5 * time.Second, "Service Unavailable"},
		{"HTTP 400 without a body", 400, "", nil, false, 0, "Bad Request"},
		{"200 without a message id", 200, "send_no_id.json", nil, false, 0, "whatsapp: the answer has no message id"},
		{"200 with an error", 200, "error_100_param.json", nil, false, 0,
			"(#100) Invalid parameter: Param text['body'] must be at most 4096 characters long."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fakeGraph(t, tt.status, tt.reply, tt.header)
			a := New(srv.Client())
			a.graph.Now = func() time.Time { return time.Date(2025, 1, 15, 9, 30, 1, 0, time.UTC) }
			_, err := a.Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "447700900123", Text: "hi"})
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
	_, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "1", Text: "hi"})
	if se := channeltest.SendError(t, err); se.Retryable {
		t.Errorf("a send that may have happened must not be retried: %+v", se)
	}
}

func TestSendNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := New(nil).Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "1", Text: "hi"})
	se := channeltest.SendError(t, err)
	if !se.Retryable || se.StatusCode != 0 || strings.Contains(se.Message, srv.URL) {
		t.Errorf("got %+v, want retryable without the URL", se)
	}
}

func TestSendMisconfigured(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(*switchboard.Channel, *switchboard.OutboundMessage)
	}{
		{"no access token", func(ch *switchboard.Channel, _ *switchboard.OutboundMessage) { delete(ch.Secrets, "access_token") }},
		{"no phone number id", func(ch *switchboard.Channel, _ *switchboard.OutboundMessage) { delete(ch.Config, "phone_number_id") }},
		{"no recipient", func(_ *switchboard.Channel, m *switchboard.OutboundMessage) { m.To = "" }},
		{"bad base URL", func(ch *switchboard.Channel, _ *switchboard.OutboundMessage) {
			ch.Config["api_base_url"] = "http://[::1"
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ch := testChannel("http://127.0.0.1:1")
			msg := &switchboard.OutboundMessage{To: "1", Text: "hi"}
			tt.change(ch, msg)
			_, err := New(nil).Send(context.Background(), ch, msg)
			if se := channeltest.SendError(t, err); se.Retryable {
				t.Errorf("got %+v", se)
			}
		})
	}
}
