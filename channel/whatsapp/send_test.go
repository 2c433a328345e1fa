package whatsapp

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

// send sends a text to the fake Cloud API at srv, on 15 January 2025 at
// 09:30:01 UTC; no error may show the URL.
func send(t *testing.T, srv *httptest.Server) error {
	a := New(srv.Client())
	a.graph.Now = func() time.Time { return time.Date(2025, 1, 15, 9, 30, 1, 0, time.UTC) }
	_, err := a.Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "447700900123", Text: "hi"})
	if err != nil && strings.Contains(err.Error(), srv.URL) {
		t.Errorf("the error shows the URL: %v", err)
	}
	return err
}

func TestSend(t *testing.T) {
	srv, calls := channeltest.Platform(t, channeltest.JSONBody, http.StatusOK, "send_ok.json", nil)
	msg := &switchboard.OutboundMessage{MessageID: "msg_1", To: "447700900123", Text: "Your order #1042 left the warehouse & is on its way <3"}
	id, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), msg)
	if err != nil {
		t.Fatal(err)
	}
	if id != "wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSNUQ2RTdGOEE5QjBDMUQyRTNGAA==" {
		t.Errorf("external id = %q", id)
	}
	got := <-calls
	if got.Method != http.MethodPost || got.URL.Path != "/v21.0/"+testPhoneNumberID+"/messages" || got.URL.RawQuery != "" ||
		got.Header.Get("Content-Type") != "application/json" || got.Header.Get("Authorization") != "Bearer "+testAccessToken {
		t.Errorf("request = %+v", got)
	}
	want := `{"messaging_product":"whatsapp","recipient_type":"individual","to":"447700900123","type":"text",` +
		`"text":{"body":"Your order #1042 left the warehouse & is on its way <3"}}`
	if string(got.Body) != want {
		t.Errorf("body = %s, want %s", got.Body, want)
	}
}

func TestSendToBusinessScopedUserID(t *testing.T) {
	srv, calls := channeltest.Platform(t, channeltest.JSONBody, http.StatusOK, "send_ok.json", nil)
	msg := &switchboard.OutboundMessage{To: "GB.1502576394655843", Text: "Hello"}
	if _, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), msg); err != nil {
		t.Fatal(err)
	}
	if got := (<-calls).JSON(t); got["recipient"] != "GB.1502576394655843" || got["to"] != nil {
		t.Errorf("body = %v", got)
	}
	// A phone number with a + stays a phone number.
	msg.To = "+447700900123"
	if _, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), msg); err != nil {
		t.Fatal(err)
	}
	if got := (<-calls).JSON(t); got["to"] != "+447700900123" || got["recipient"] != nil {
		t.Errorf("body = %v", got)
	}
}

func TestSendErrors(t *testing.T) {
	channeltest.SendErrors(t, channeltest.JSONBody, send, []channeltest.SendCase{
		{Name: "outside the 24-hour window", Status: 400, Reply: "error_131047_reengagement.json",
			Message: "(#131047) Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
		{Name: "recipient not allowed", Status: 400, Reply: "error_131030_not_allowed.json",
			Message: "(#131030) Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again."},
		{Name: "expired token", Status: 401, Reply: "error_190_token.json",
			Message: "Error validating access token: Session has expired on Tuesday, 14-Jan-25 23:00:00 PST."},
		{Name: "invalid parameter", Status: 400, Reply: "error_100_param.json",
			Message: "(#100) Invalid parameter: Param text['body'] must be at most 4096 characters long."},
		{Name: "error_data is a string", Status: 400, Reply: "error_string_error_data.json",
			Message: `Invalid parameter: Message template "order_shipped" does not exist in en_US`},
		{Name: "throughput limit", Status: 400, Reply: "error_130429_throughput.json", Retryable: true,
			Message: "(#130429) Rate limit hit: Cloud API message throughput has been reached."},
		{Name: "account limit", Status: 400, Reply: "error_80007_waba.json", Header: http.Header{"Retry-After": {"60"}}, Retryable: true, RetryAfter: time.Minute,
			Message: "(#80007) There have been too many calls to this WhatsApp Business account. Wait a bit and try again."},
		{Name: "application limit", Status: 403, Reply: "error_4_app.json", Retryable: true, Message: "(#4) Application request limit reached"},
		{Name: "pair limit", Status: 400, Reply: "error_131056_pair.json", Retryable: true,
			Message: "(#131056) (Business Account, Consumer Account) pair rate limit hit: Too many messages sent from the sender phone number to the same recipient phone number in a short period of time."},
		{Name: "HTTP 429", Status: 429, Reply: "error_130429_throughput.json", Header: http.Header{"Retry-After": {"12"}}, Retryable: true, RetryAfter: 12 * time.Second,
			Message: "(#130429) Rate limit hit: Cloud API message throughput has been reached."},
		{Name: "HTTP 429 with an HTTP date", Status: 429, Header: http.Header{"Retry-After": {"Wed, 15 Jan 2025 09:30:31 GMT"}}, Retryable: true, RetryAfter: 30 * time.Second,
			Message: "Too Many Requests"},
		{Name: "HTTP 500 transient", Status: 500, Reply: "error_2_transient.json", Retryable: true,
			Message: "An unexpected error has occurred. Please retry your request later."},
		{Name: "HTTP 502 without a body", Status: 502, Retryable: true, Message: "Bad Gateway"},
		{Name: "HTTP 503 with Retry-After", Status: 503, Header: http.Header{"Retry-After": {"5"}}, Retryable: true, RetryAfter: 5 * time.Second,
			Message: "Service Unavailable"},
		{Name: "HTTP 400 without a body", Status: 400, Message: "Bad Request"},
		{Name: "200 without a message id", Status: 200, Reply: "send_no_id.json", Message: "whatsapp: the answer has no message id"},
		{Name: "200 with an error", Status: 200, Reply: "error_100_param.json",
			Message: "(#100) Invalid parameter: Param text['body'] must be at most 4096 characters long."},
	})
}

func TestSendUnreadableSuccess(t *testing.T) { channeltest.SendUnreadableSuccess(t, send) }

func TestSendNetworkError(t *testing.T) { channeltest.SendUnreachable(t, send) }

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
