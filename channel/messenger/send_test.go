package messenger

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

// request is one call the fake Send API received.
type request struct {
	Method, Path, ContentType, Authorization string
	Query                                    url.Values
	Body                                     map[string]any
	RawBody                                  string
}

// fakeGraph answers every call with status, the body in testdata/api/reply
// and header, and records the calls.
func fakeGraph(t *testing.T, status int, reply string, header http.Header) (*httptest.Server, <-chan request) {
	t.Helper()
	calls := make(chan request, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), ContentType: r.Header.Get("Content-Type"), Authorization: r.Header.Get("Authorization")}
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
	msg := &switchboard.OutboundMessage{MessageID: "msg_1", To: "6543210987654321", Text: "Your order left & is on its way <3"}
	id, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), msg)
	if err != nil {
		t.Fatal(err)
	}
	if id != "m_Ob1Xc6Ie2H1bSvLtMMYx2AXSa_eD3n9xrQY82DbYOxgSxtwCLeA9Y2Ao0OQ2t3z0z4Zd_9quLWp81W7Fp3d" {
		t.Errorf("external id = %q", id)
	}
	got := <-calls
	if got.Method != http.MethodPost || got.Path != "/v21.0/me/messages" || got.ContentType != "application/json" ||
		got.Authorization != "" || len(got.Query) != 1 || got.Query.Get("access_token") != testPageToken {
		t.Errorf("request = %+v", got)
	}
	if want := `{"recipient":{"id":"6543210987654321"},"messaging_type":"RESPONSE","message":{"text":"Your order left & is on its way <3"}}`; got.RawBody != want {
		t.Errorf("body = %s, want %s", got.RawBody, want)
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
		{"outside the 24-hour window", 400, "error_outside_window.json", nil, false, 0,
			"(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview"},
		{"person unavailable", 400, "error_551_unavailable.json", nil, false, 0, "(#551) This person isn't available right now."},
		{"invalid token", 400, "error_190_token.json", nil, false, 0,
			"Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons."},
		{"no matching user", 400, "error_100_no_user.json", nil, false, 0, "(#100) No matching user found"},
		{"rate limit 613", 400, "error_613_rate.json", nil, true, 0, "(#613) Calls to this api have exceeded the rate limit."},
		{"page limit", 403, "error_32_page_rate.json", http.Header{"Retry-After": {"30"}}, true, 30 * time.Second, "(#32) Page request limit reached"},
		{"temporary send failure", 400, "error_1200_temporary.json", nil, true, 0, "(#1200) Temporary send message failure. Please try again later"},
		{"HTTP 500 service", 500, "error_2_service.json", nil, true, 0, "An unexpected error has occurred. Please retry your request later."},
		{"HTTP 429", 429, "", http.Header{"Retry-After": {"7"}}, true, 7 * time.Second, "Too Many Requests"},
		{"HTTP 503 HTML", 503, "", nil, true, 0, "Service Unavailable"},
		{"HTTP 404 without a body", 404, "", nil, false, 0, "Not Found"},
		{"200 without a message_id", 200, "send_no_id.json", nil, false, 0, "messenger: the answer has no message_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fakeGraph(t, tt.status, tt.reply, tt.header)
			_, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "6543210987654321", Text: "hi"})
			se := channeltest.SendError(t, err)
			if se.Retryable != tt.retryable || se.RetryAfter != tt.retryAfter || se.Message != tt.message || se.StatusCode != tt.status {
				t.Errorf("got %+v", se)
			}
			if strings.Contains(se.Error(), testPageToken) {
				t.Errorf("the error shows the token: %v", se)
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

func TestSendNetworkErrorHidesToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := New(nil).Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "1", Text: "hi"})
	se := channeltest.SendError(t, err)
	if !se.Retryable || se.StatusCode != 0 || strings.Contains(se.Error(), testPageToken) {
		t.Errorf("got %+v, want retryable without the token", se)
	}
}

func TestSendMisconfigured(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(*switchboard.Channel, *switchboard.OutboundMessage)
	}{
		{"no page access token", func(ch *switchboard.Channel, _ *switchboard.OutboundMessage) { delete(ch.Secrets, "page_access_token") }},
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
			se := channeltest.SendError(t, err)
			if se.Retryable || strings.Contains(se.Error(), testPageToken) {
				t.Errorf("got %+v", se)
			}
		})
	}
}
