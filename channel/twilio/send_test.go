package twilio

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

// send sends a text to the fake REST API at srv, on 15 January 2025 at
// 09:30:01 UTC; no error may show the URL.
func send(t *testing.T, srv *httptest.Server) error {
	a := New(srv.Client())
	a.now = func() time.Time { return time.Date(2025, 1, 15, 9, 30, 1, 0, time.UTC) }
	_, err := a.Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "+12125550163", Text: "hi"})
	if err != nil && strings.Contains(err.Error(), srv.URL) {
		t.Errorf("the error shows the URL: %v", err)
	}
	return err
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
			srv, calls := channeltest.Platform(t, channeltest.FormBody, http.StatusCreated, "message_created.json", nil)
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
			user, password, ok := got.BasicAuth()
			if got.Method != http.MethodPost || got.URL.Path != "/2010-04-01/Accounts/"+testAccountSid+"/Messages.json" ||
				got.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || !ok || user != testAccountSid || password != testAuthToken {
				t.Errorf("request = %+v", got)
			}
			tt.want.Set("Body", msg.Text)
			if form := got.Form(t); form.Encode() != tt.want.Encode() {
				t.Errorf("form = %v, want %v", form, tt.want)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	channeltest.SendErrors(t, channeltest.FormBody, send, []channeltest.SendCase{
		{Name: "invalid To", Status: 400, Reply: "error_21211_invalid_to.json", Message: "Invalid 'To' Phone Number: +1212555XXXX (Twilio error 21211)"},
		{Name: "unsubscribed recipient", Status: 400, Reply: "error_21610_unsubscribed.json",
			Message: "Attempt to send to unsubscribed recipient (Twilio error 21610)"},
		{Name: "bad credentials", Status: 401, Reply: "error_20003_auth.json", Message: "Authenticate (Twilio error 20003)"},
		{Name: "WhatsApp window closed", Status: 400, Reply: "error_63016_window.json",
			Message: "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template. (Twilio error 63016)"},
		{Name: "too many requests", Status: 429, Reply: "error_20429_too_many.json", Header: http.Header{"Retry-After": {"3"}}, Retryable: true, RetryAfter: 3 * time.Second,
			Message: "Too Many Requests (Twilio error 20429)"},
		{Name: "too many requests, HTTP date", Status: 429, Reply: "error_20429_too_many.json", Header: http.Header{"Retry-After": {"Wed, 15 Jan 2025 09:31:01 GMT"}}, Retryable: true, RetryAfter: time.Minute,
			Message: "Too Many Requests (Twilio error 20429)"},
		{Name: "internal error", Status: 500, Reply: "error_20500_internal.json", Retryable: true,
			Message: "An internal server error has occurred (Twilio error 20500)"},
		{Name: "bad gateway without a body", Status: 502, Retryable: true, Message: "Bad Gateway"},
		{Name: "not found without a body", Status: 404, Message: "Not Found"},
		{Name: "created without a sid", Status: 201, Reply: "message_no_sid.json", Message: "twilio: the answer has no message sid"},
	})
}

func TestSendNetworkError(t *testing.T) { channeltest.SendUnreachable(t, send) }

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
