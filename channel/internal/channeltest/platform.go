package channeltest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// Call is one request a fake platform received.
type Call struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
}

// JSON is the call's body as a JSON object, or fails the test.
func (c Call) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.Body, &m); err != nil {
		t.Fatalf("request body: %v", err)
	}
	return m
}

// Form is the call's body as a form, or fails the test.
func (c Call) Form(t testing.TB) url.Values {
	t.Helper()
	form, err := url.ParseQuery(string(c.Body))
	if err != nil {
		t.Fatalf("request body: %v", err)
	}
	return form
}

// BasicAuth is the call's HTTP Basic credentials.
func (c Call) BasicAuth() (user, password string, ok bool) {
	return (&http.Request{Header: c.Header}).BasicAuth()
}

// Format is how a platform reads request bodies: an error for a body it
// could not read.
type Format func(body []byte) error

// The request formats of the platforms.
var (
	JSONBody Format = func(b []byte) error { var m map[string]any; return json.Unmarshal(b, &m) }
	FormBody Format = func(b []byte) error { _, err := url.ParseQuery(string(b)); return err }
)

// Platform starts a fake platform API for the test. It answers every
// request with status, the headers in header and the file
// testdata/api/reply as a JSON body (none when reply is empty), and
// records the requests, up to 10 unread, on the channel. A request body
// that is not in the platform's format fails the test.
func Platform(t testing.TB, format Format, status int, reply string, header http.Header) (*httptest.Server, <-chan Call) {
	t.Helper()
	calls := make(chan Call, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		if err := format(raw); err != nil {
			t.Errorf("request body: %v", err)
		}
		calls <- Call{Method: r.Method, URL: r.URL, Header: r.Header, Body: raw}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		if reply != "" {
			w.Write(ReadFile(t, "testdata/api/"+reply))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, calls
}

// Send sends a message through the adapter under test to the platform at
// srv: the adapter's client and the channel's api_base_url are srv's.
type Send func(t *testing.T, srv *httptest.Server) error

// SendCase is a platform's answer to a send and the error it must become.
type SendCase struct {
	Name       string
	Status     int         // the answer's status, and the error's
	Reply      string      // the answer's body: a file in testdata/api, or none
	Header     http.Header // the answer's headers
	Retryable  bool
	RetryAfter time.Duration
	Message    string
}

// SendErrors runs each case against a Platform answering it: send must
// fail with a *switchboard.SendError carrying the answer's status and the
// case's retryability, Retry-After and message.
func SendErrors(t *testing.T, format Format, send Send, cases []SendCase) {
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			srv, _ := Platform(t, format, c.Status, c.Reply, c.Header)
			se := SendError(t, send(t, srv))
			if se.Retryable != c.Retryable || se.RetryAfter != c.RetryAfter || se.Message != c.Message || se.StatusCode != c.Status {
				t.Errorf("got %+v", se)
			}
		})
	}
}

// SendUnreachable sends to a platform that no longer listens: the error
// must be a retryable *switchboard.SendError without a status.
func SendUnreachable(t *testing.T, send Send) {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	if se := SendError(t, send(t, srv)); !se.Retryable || se.StatusCode != 0 {
		t.Errorf("got %+v, want retryable", se)
	}
}

// SendUnreadableSuccess sends to a platform whose 200 answer is not its
// format: the error must be final, since the platform may have sent the
// message.
func SendUnreadableSuccess(t *testing.T, send Send) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<html>ok</html>`))
	}))
	defer srv.Close()
	if se := SendError(t, send(t, srv)); se.Retryable {
		t.Errorf("a send that may have happened must not be retried: %+v", se)
	}
}
