package messenger

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

// send sends a text to the fake Send API at srv; no error may show the
// page access token.
func send(t *testing.T, srv *httptest.Server) error {
	_, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "6543210987654321", Text: "hi"})
	if err != nil && strings.Contains(err.Error(), testPageToken) {
		t.Errorf("the error shows the token: %v", err)
	}
	return err
}

func TestSend(t *testing.T) {
	srv, calls := channeltest.Platform(t, channeltest.JSONBody, http.StatusOK, "send_ok.json", nil)
	msg := &switchboard.OutboundMessage{MessageID: "msg_1", To: "6543210987654321", Text: "Your order left & is on its way <3"}
	id, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), msg)
	if err != nil {
		t.Fatal(err)
	}
	if id != "m_Ob1Xc6Ie2H1bSvLtMMYx2AXSa_eD3n9xrQY82DbYOxgSxtwCLeA9Y2Ao0OQ2t3z0z4Zd_9quLWp81W7Fp3d" {
		t.Errorf("external id = %q", id)
	}
	got := <-calls
	if got.Method != http.MethodPost || got.URL.Path != "/v21.0/me/messages" || got.Header.Get("Content-Type") != "application/json" ||
		got.Header.Get("Authorization") != "" || len(got.URL.Query()) != 1 || got.URL.Query().Get("access_token") != testPageToken {
		t.Errorf("request = %+v", got)
	}
	if want := `{"recipient":{"id":"6543210987654321"},"messaging_type":"RESPONSE","message":{"text":"Your order left & is on its way <3"}}`; string(got.Body) != want {
		t.Errorf("body = %s, want %s", got.Body, want)
	}
}

func TestSendErrors(t *testing.T) {
	channeltest.SendErrors(t, channeltest.JSONBody, send, []channeltest.SendCase{
		{Name: "outside the 24-hour window", Status: 400, Reply: "error_outside_window.json",
			Message: "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview"},
		{Name: "person unavailable", Status: 400, Reply: "error_551_unavailable.json", Message: "(#551) This person isn't available right now."},
		{Name: "invalid token", Status: 400, Reply: "error_190_token.json",
			Message: "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons."},
		{Name: "no matching user", Status: 400, Reply: "error_100_no_user.json", Message: "(#100) No matching user found"},
		{Name: "rate limit 613", Status: 400, Reply: "error_613_rate.json", Retryable: true, Message: "(#613) Calls to this api have exceeded the rate limit."},
		{Name: "page limit", Status: 403, Reply: "error_32_page_rate.json", Header: http.Header{"Retry-After": {"30"}}, Retryable: true, RetryAfter: 30 * time.Second,
			Message: "(#32) Page request limit reached"},
		{Name: "temporary send failure", Status: 400, Reply: "error_1200_temporary.json", Retryable: true, Message: "(#1200) Temporary send message failure. Please try again later"},
		{Name: "HTTP 500 service", Status: 500, Reply: "error_2_service.json", Retryable: true, Message: "An unexpected error has occurred. Please retry your request later."},
		{Name: "HTTP 429", Status: 429, Header: http.Header{"Retry-After": {"7"}}, Retryable: true, RetryAfter: 7 * time.Second, Message: "Too Many Requests"},
		{Name: "HTTP 503 HTML", Status: 503, Retryable: true, Message: "Service Unavailable"},
		{Name: "HTTP 404 without a body", Status: 404, Message: "Not Found"},
		{Name: "200 without a message_id", Status: 200, Reply: "send_no_id.json", Message: "messenger: the answer has no message_id"},
	})
}

func TestSendUnreadableSuccess(t *testing.T) { channeltest.SendUnreadableSuccess(t, send) }

func TestSendNetworkErrorHidesToken(t *testing.T) { channeltest.SendUnreachable(t, send) }

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
