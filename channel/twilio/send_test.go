package twilio

import (
	"context"
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

// request is one call the fake REST API received.
type request struct {
	Method, Path, ContentType, User, Password string
	BasicAuth                                 bool
	Form                                      url.Values
}

// fakeTwilio answers every call with status, the body in testdata/api/reply
// and header, and records the calls.
func fakeTwilio(t *testing.T, status int, reply string, header http.Header) (*httptest.Server, <-chan request) {
	t.Helper()
	calls := make(chan request, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := request{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type")}
		rec.User, rec.Password, rec.BasicAuth = r.BasicAuth()
		raw, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			t.Errorf("request body: %v", err)
		}
		rec.Form = form
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
		name, from, to string
		want           url.Values
	}{
		{"SMS", testFrom, "+12125550163", url.Values{"To": {"+12125550163"}, "From": {testFrom}}},
		{"WhatsApp from a bare number", testFrom, "whatsapp:+447700900123", url.Values{"To": {"whatsapp:+447700900123"}, "From": {"whatsapp:" + testFrom}}},
		{"WhatsApp from a WhatsApp sender", "whatsapp:+14155238886", "whatsapp:+447700900123", url.Values{"To": {"whatsapp:+447700900123"}, "From": {"whatsapp:+14155238886"}}},
		{"SMS from an alphanumeric sender", "ACME", "+447700900123", url.Values{"To": {"+447700900123"}, "From": {"ACME"}}},
		{"through a Messaging Service", "MG0a1b2c3d4e5f60718293a4b5c6d7e8f9", "whatsapp:+447700900123", url.Values{"To": {"whatsapp:+447700900123"}, "MessagingServiceSid": {"MG0a1b2c3d4e5f60718293a4b5c6d7e8f9"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := fakeTwilio(t, http.StatusCreated, "message_created.json", nil)
			ch := testChannel(srv.URL)
			ch.Config["from"] = tt.from
			msg := &switchboard.OutboundMessage{MessageID: "msg_1", To: tt.to, Text: "Your order left & is on its way <3 +1"}
			sid, err := New(srv.Client()).Send(context.Background(), ch, msg)
			if err != nil {
				t.Fatal(err)
			}
			if sid != "SM1f3b5d7e9a0c2468e1f3a5b7c9d0e2f4" {
				t.Errorf("external id = %q", sid)
			}
			got := <-calls
			if got.Method != http.MethodPost || got.Path != "/2010-04-01/Accounts/"+testAccountSid+"/Messages.json" ||
				got.ContentType != "application/x-www-form-urlencoded" || !got.BasicAuth || got.User != testAccountSid || got.Password != testAuthToken {
				t.Errorf("request = %+v", got)
			}
			tt.want.Set("Body", msg.Text)
			if got.Form.Encode() != tt.want.Encode() {
				t.Errorf("form = %v, want %v", got.Form, tt.want)
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
		{"invalid To", 400, "error_21211_invalid_to.json", nil, false, 0, "Invalid 'To' Phone Number: +1212555XXXX (Twilio error 21211)"},
		{"unsubscribed recipient", 400, "error_21610_unsubscribed.json", nil, false, 0, "Attempt to send to unsubscribed recipient (Twilio error 21610)"},
		{"bad credentials", 401, "error_20003_auth.json", nil, false, 0, "Authenticate (Twilio error 20003)"},
		{"WhatsApp window closed", 400, "error_63016_window.json", nil, false, 0,
			"Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template. (Twilio error 63016)"},
		{"too many requests", 429, "error_20429_too_many.json", http.Header{"Retry-After": {"3"}}, true, 3 * time.Second, "Too Many Requests (Twilio error 20429)"},
		{"too many requests, HTTP date", 429, "error_20429_too_many.json", http.Header{"Retry-After": {"Wed, 15 Jan 2025 09:31:01 GMT"}}, true, time.Minute, "Too Many Requests (Twilio error 20429)"},
		{"internal error", 500, "error_20500_internal.json", nil, true, 0, "An internal server error has occurred (Twilio error 20500)"},
		{"bad gateway without a body", 502, "", nil, true, 0, "Bad Gateway"},
		{"not found without a body", 404, "", nil, false, 0, "Not Found"},
		{"created without a sid", 201, "message_no_sid.json", nil, false, 0, "twilio: the answer has no message sid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fakeTwilio(t, tt.status, tt.reply, tt.header)
			a := New(srv.Client())
			a.now = func() time.Time { return time.Date(2025, 1, 15, 9, 30, 1, 0, time.UTC) }
			_, err := a.Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "+12125550163", Text: "hi"})
			se := channeltest.SendError(t, err)
			if se.Retryable != tt.retryable || se.RetryAfter != tt.retryAfter || se.Message != tt.message || se.StatusCode != tt.status {
				t.Errorf("got %+v", se)
			}
		})
	}
}

func TestSendNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := New(nil).Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "+1", Text: "hi"})
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
		{"no account sid", func(ch *switchboard.Channel, _ *switchboard.OutboundMessage) { delete(ch.Config, "account_sid") }},
		{"no auth token", func(ch *switchboard.Channel, _ *switchboard.OutboundMessage) { delete(ch.Secrets, "auth_token") }},
		{"no from", func(ch *switchboard.Channel, _ *switchboard.OutboundMessage) { delete(ch.Config, "from") }},
		{"no recipient", func(_ *switchboard.Channel, m *switchboard.OutboundMessage) { m.To = "" }},
		{"bad base URL", func(ch *switchboard.Channel, _ *switchboard.OutboundMessage) {
			ch.Config["api_base_url"] = "http://[::1"
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ch := testChannel("http://127.0.0.1:1")
			msg := &switchboard.OutboundMessage{To: "+1", Text: "hi"}
			tt.change(ch, msg)
			_, err := New(nil).Send(context.Background(), ch, msg)
			if se := channeltest.SendError(t, err); se.Retryable {
				t.Errorf("got %+v", se)
			}
		})
	}
}

func TestIsMessagingService(t *testing.T) {
	for in, want := range map[string]bool{
		"MG0a1b2c3d4e5f60718293a4b5c6d7e8f9":  true,
		"MG0A1B2C3D4E5F60718293A4B5C6D7E8F9":  true,
		"MG0a1b2c3d4e5f60718293a4b5c6d7e8f":   false,
		"MGzz1b2c3d4e5f60718293a4b5c6d7e8f9":  false,
		"MG":                                  false,
		"+14155550147":                        false,
		"whatsapp:+14155238886":               false,
		"MG0a1b2c3d4e5f60718293a4b5c6d7e8f9a": false,
	} {
		if got := isMessagingService(in); got != want {
			t.Errorf("isMessagingService(%q) = %v", in, got)
		}
	}
}
