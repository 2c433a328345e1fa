package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// received is one callback the fake receiver got.
type received struct {
	Method, Path, ContentType string
	Header                    http.Header
	Body                      []byte
}

// fakeReceiver verifies each callback's signature, records it and answers
// status with header and body.
func fakeReceiver(t *testing.T, status int, header http.Header, body string) (*httptest.Server, <-chan received) {
	t.Helper()
	calls := make(chan received, 10)
	key := testKey(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		if err := signature.Verify(key, r.Header, raw, time.Now(), signature.DefaultTolerance); err != nil {
			t.Errorf("callback signature: %v", err)
		}
		calls <- received{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header, raw}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, calls
}

var reply = &switchboard.OutboundMessage{
	MessageID: "msg_01JHQ7ZC4W5X8Y9Z0A1B2C3D4E",
	To:        "acct_48213",
	Text:      "Friday at 10:00 works — see you then <3 & thanks",
}

func TestSend(t *testing.T) {
	for _, status := range []int{200, 201, 202, 204} {
		srv, calls := fakeReceiver(t, status, nil, "")
		id, err := New(srv.Client(), "test").Send(context.Background(), testChannel(srv.URL+"/chat/replies"), reply)
		if err != nil {
			t.Fatalf("%d: %v", status, err)
		}
		if id != reply.MessageID {
			t.Errorf("external id = %q", id)
		}
		got := <-calls
		if got.Method != http.MethodPost || got.Path != "/chat/replies" || got.ContentType != "application/json" {
			t.Errorf("request = %s %s %s", got.Method, got.Path, got.ContentType)
		}
		if want := bytes.TrimSpace(channeltest.ReadFile(t, "testdata/callback.golden.json")); !bytes.Equal(got.Body, want) {
			t.Errorf("body = %s\nwant   %s", got.Body, want)
		}
		if got.Header.Get(signature.HeaderID) != reply.MessageID {
			t.Errorf("webhook-id = %q", got.Header.Get(signature.HeaderID))
		}
		if got.Header.Get("X-Signature") != signature.BodySignature(testKey(t), got.Body) {
			t.Errorf("X-Signature = %q", got.Header.Get("X-Signature"))
		}
	}
}

// TestSendHeaders: a callback carries User-Agent Switchboard/<version> and
// X-Attempt, the attempt number (1 when the caller did not say), like
// every other outbound delivery.
func TestSendHeaders(t *testing.T) {
	for _, tt := range []struct {
		attempt int
		want    string
	}{{0, "1"}, {1, "1"}, {3, "3"}} {
		srv, calls := fakeReceiver(t, 200, nil, "")
		msg := *reply
		msg.Attempt = tt.attempt
		if _, err := New(srv.Client(), "1.4.2").Send(context.Background(), testChannel(srv.URL), &msg); err != nil {
			t.Fatal(err)
		}
		got := <-calls
		if ua := got.Header.Get("User-Agent"); ua != "Switchboard/1.4.2" {
			t.Errorf("User-Agent = %q, want Switchboard/1.4.2", ua)
		}
		if a := got.Header.Get("X-Attempt"); a != tt.want {
			t.Errorf("attempt %d: X-Attempt = %q, want %s", tt.attempt, a, tt.want)
		}
	}
}

func TestSendThread(t *testing.T) {
	srv, calls := fakeReceiver(t, 200, nil, "")
	msg := *reply
	msg.Thread = "room-7"
	if _, err := New(srv.Client(), "test").Send(context.Background(), testChannel(srv.URL), &msg); err != nil {
		t.Fatal(err)
	}
	if got := <-calls; !bytes.Contains(got.Body, []byte(`"thread":"room-7"`)) {
		t.Errorf("body = %s", got.Body)
	}
}

func TestSendErrors(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		retryable  bool
		retryAfter time.Duration
		message    string
	}{
		{"rate limited", 429, http.Header{"Retry-After": {"20"}}, `{"error":"slow down"}`, true, 20 * time.Second, `Too Many Requests: {"error":"slow down"}`},
		{"unavailable with a date", 503, http.Header{"Retry-After": {now.Add(90 * time.Second).UTC().Format(http.TimeFormat)}}, "", true, 0, "Service Unavailable"},
		{"server error", 500, nil, "boom", true, 0, "Internal Server Error: boom"},
		{"bad gateway, bad Retry-After", 502, http.Header{"Retry-After": {"soon"}}, "", true, 0, "Bad Gateway"},
		{"bad request", 400, nil, `{"error":"unknown user_id"}`, false, 0, `Bad Request: {"error":"unknown user_id"}`},
		{"gone", 410, nil, "", false, 0, "Gone"},
		{"redirect", 302, http.Header{"Location": {"https://elsewhere.example.com/"}}, "", false, 0, "Found: redirects are not followed (to https://elsewhere.example.com/)"},
		{"long body is cut", 422, nil, strings.Repeat("x", 2000), false, 0, "Unprocessable Entity: " + strings.Repeat("x", maxErrorBody)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fakeReceiver(t, tt.status, tt.header, tt.body)
			a := New(srv.Client(), "test")
			a.now = func() time.Time { return now }
			_, err := a.Send(context.Background(), testChannel(srv.URL), reply)
			se := channeltest.SendError(t, err)
			if tt.name == "unavailable with a date" {
				if se.RetryAfter < 89*time.Second || se.RetryAfter > 90*time.Second {
					t.Errorf("RetryAfter = %v, want about 90s", se.RetryAfter)
				}
				se.RetryAfter = 0
			}
			if se.Retryable != tt.retryable || se.RetryAfter != tt.retryAfter || se.Message != tt.message || se.StatusCode != tt.status {
				t.Errorf("got %+v", se)
			}
		})
	}
}

func TestSendNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := New(nil, "test").Send(context.Background(), testChannel(srv.URL), reply)
	if se := channeltest.SendError(t, err); !se.Retryable || se.StatusCode != 0 {
		t.Errorf("got %+v, want retryable", se)
	}
}

// TestSendBlockedIsFinal: a callback the SSRF guard refuses is not retried.
func TestSendBlockedIsFinal(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	a := New(egress.NewClient(egress.Policy{}, time.Second), "test")
	_, err := a.Send(context.Background(), testChannel(srv.URL), reply)
	if se := channeltest.SendError(t, err); se.Retryable || !strings.Contains(se.Message, "not allowed") {
		t.Errorf("got %+v, want a final error naming the refusal", se)
	}
}

func TestSendTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	_, err := New(&http.Client{Timeout: 50 * time.Millisecond}, "test").Send(context.Background(), testChannel(srv.URL), reply)
	if se := channeltest.SendError(t, err); !se.Retryable {
		t.Errorf("got %+v, want retryable", se)
	}
}

func TestSendMisconfigured(t *testing.T) {
	noSecret := testChannel("https://app.example.com/replies")
	delete(noSecret.Secrets, "secret")
	noID := *reply
	noID.MessageID = ""
	tests := []struct {
		name string
		ch   *switchboard.Channel
		msg  *switchboard.OutboundMessage
		want string
	}{
		{"no callback_url", testChannel(""), reply, "callback_url"},
		{"no secret", noSecret, reply, "secret"},
		{"bad callback_url", testChannel("http://bad host/"), reply, "api:"},
		{"no message id", testChannel("https://app.example.com/replies"), &noID, "no id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(nil, "test").Send(context.Background(), tt.ch, tt.msg)
			se := channeltest.SendError(t, err)
			if se.Retryable || !strings.Contains(se.Message, tt.want) {
				t.Errorf("got %+v", se)
			}
		})
	}
}

func TestNewDoesNotChangeTheClient(t *testing.T) {
	c := &http.Client{Timeout: time.Second}
	New(c, "test")
	if c.CheckRedirect != nil {
		t.Fatal("New modified the caller's client")
	}
}

// TestSendLegacyFormsRefusedAtOnce: a callback_url written in a legacy
// numeric form or under localhost is refused at connect time as final,
// never sent to DNS and retried as a temporary failure.
func TestSendLegacyFormsRefusedAtOnce(t *testing.T) {
	a := New(egress.NewClient(egress.Policy{}, time.Second), "test")
	for _, u := range []string{"http://2130706433:1/cb", "http://0x7f000001:1/cb", "http://017700000001:1/cb", "http://127.1:1/cb",
		"http://0:1/cb", "http://LOCALHOST.:1/cb", "http://foo.localhost:1/cb"} {
		_, err := a.Send(context.Background(), testChannel(u), reply)
		if se := channeltest.SendError(t, err); se.Retryable || !strings.Contains(se.Message, "not allowed") {
			t.Errorf("%s: got %+v, want a final refusal", u, se)
		}
	}
}
