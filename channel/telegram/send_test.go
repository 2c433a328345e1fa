package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
	"github.com/switchboardhq/switchboard/egress"
)

// request is one call the fake Bot API received.
type request struct {
	Method, Path, ContentType string
	Body                      map[string]any
}

// fakeBotAPI answers every call with status, the body in testdata/api/reply
// and header, and records the calls.
func fakeBotAPI(t *testing.T, status int, reply string, header http.Header) (*httptest.Server, <-chan request) {
	t.Helper()
	calls := make(chan request, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := request{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type")}
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&rec.Body); err != nil {
			t.Errorf("request body: %v", err)
		}
		calls <- rec
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(channeltest.ReadFile(t, "testdata/api/"+reply))
	}))
	t.Cleanup(srv.Close)
	return srv, calls
}

func TestSend(t *testing.T) {
	tests := []struct {
		name       string
		msg        switchboard.OutboundMessage
		wantChat   any
		wantThread any
	}{
		{"private chat", switchboard.OutboundMessage{To: "148203577", Text: "Hi"}, json.Number("148203577"), nil},
		{"group", switchboard.OutboundMessage{To: "148203577", Thread: "-1001998224310", Text: "Hi"}, json.Number("-1001998224310"), nil},
		{"forum topic", switchboard.OutboundMessage{To: "731209551", Thread: "-1002087113450:905", Text: "Hi"}, json.Number("-1002087113450"), json.Number("905")},
		{"channel username", switchboard.OutboundMessage{To: "@acme_news", Text: "Hi"}, "@acme_news", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := fakeBotAPI(t, http.StatusOK, "sendMessage_ok.json", nil)
			id, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), &tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if id != "1193" {
				t.Errorf("external id = %q, want 1193", id)
			}
			got := <-calls
			if got.Method != http.MethodPost || got.Path != "/bot"+testToken+"/sendMessage" || got.ContentType != "application/json" {
				t.Errorf("request = %s %s (%s)", got.Method, got.Path, got.ContentType)
			}
			if got.Body["chat_id"] != tt.wantChat || got.Body["text"] != "Hi" || got.Body["message_thread_id"] != tt.wantThread {
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
		{"flood control", 429, "error_429.json", nil, true, 7 * time.Second, "Too Many Requests: retry after 7"},
		{"flood control, header only", 429, "error_429_no_parameters.json", http.Header{"Retry-After": {"3"}}, true, 3 * time.Second, "Too Many Requests"},
		{"bad gateway", 502, "error_502.json", nil, true, 0, "Bad Gateway"},
		{"server error with HTML", 500, "../updates/text_private.json", nil, true, 0, "Internal Server Error"},
		{"chat not found", 400, "error_400_chat_not_found.json", nil, false, 0, "Bad Request: chat not found"},
		{"blocked by the user", 403, "error_403_blocked.json", nil, false, 0, "Forbidden: bot was blocked by the user"},
		{"bad token", 401, "error_401.json", nil, false, 0, "Unauthorized"},
		{"ok false with 200", 200, "error_400_chat_not_found.json", nil, false, 0, "Bad Request: chat not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fakeBotAPI(t, tt.status, tt.reply, tt.header)
			msg := &switchboard.OutboundMessage{To: "148203577", Text: "Hi"}
			_, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), msg)
			se := channeltest.SendError(t, err)
			if se.Retryable != tt.retryable || se.RetryAfter != tt.retryAfter || se.Message != tt.message || se.StatusCode != tt.status {
				t.Errorf("got %+v", se)
			}
		})
	}
}

func TestSendUnreadableSuccess(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"ok":true,"result":"not a message"}`))
	}))
	defer srv.Close()
	_, err := New(srv.Client()).Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "1", Text: "Hi"})
	if se := channeltest.SendError(t, err); se.Retryable {
		t.Errorf("a send that may have happened must not be retried: %+v", se)
	}
}

func TestSendNetworkErrorHidesToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := New(nil).Send(context.Background(), testChannel(srv.URL), &switchboard.OutboundMessage{To: "1", Text: "Hi"})
	se := channeltest.SendError(t, err)
	if !se.Retryable || se.StatusCode != 0 {
		t.Errorf("got %+v, want retryable", se)
	}
	if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "AAF4") {
		t.Errorf("error leaks the bot token: %v", err)
	}
}

func TestSendMisconfigured(t *testing.T) {
	ch := testChannel("http://127.0.0.1:1")
	delete(ch.Secrets, "bot_token")
	_, err := New(nil).Send(context.Background(), ch, &switchboard.OutboundMessage{To: "1", Text: "Hi"})
	if se := channeltest.SendError(t, err); se.Retryable {
		t.Errorf("got %+v, want not retryable", se)
	}
	_, err = New(nil).Send(context.Background(), testChannel("http://127.0.0.1:1"), &switchboard.OutboundMessage{Text: "Hi"})
	if se := channeltest.SendError(t, err); se.Retryable {
		t.Errorf("got %+v, want not retryable", se)
	}
	bad := testChannel("http://bad host")
	_, err = New(nil).Send(context.Background(), bad, &switchboard.OutboundMessage{To: "1", Text: "Hi"})
	if se := channeltest.SendError(t, err); strings.Contains(se.Message, testToken) {
		t.Errorf("error leaks the bot token: %v", se)
	}
}

func TestRegister(t *testing.T) {
	srv, calls := fakeBotAPI(t, http.StatusOK, "setWebhook_ok.json", nil)
	hookURL := "https://switchboard.example.com/hooks/channels/ch_test"
	if err := New(srv.Client()).Register(context.Background(), testChannel(srv.URL), hookURL); err != nil {
		t.Fatal(err)
	}
	got := <-calls
	if got.Method != http.MethodPost || got.Path != "/bot"+testToken+"/setWebhook" {
		t.Errorf("request = %s %s", got.Method, got.Path)
	}
	if got.Body["url"] != hookURL || got.Body["secret_token"] != testSecret {
		t.Errorf("body = %v", got.Body)
	}
	updates, _ := json.Marshal(got.Body["allowed_updates"])
	if string(updates) != `["message","edited_message","channel_post","edited_channel_post","callback_query"]` {
		t.Errorf("allowed_updates = %s", updates)
	}
}

func TestRegisterErrors(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		srv, _ := fakeBotAPI(t, http.StatusBadRequest, "setWebhook_bad_url.json", nil)
		err := New(srv.Client()).Register(context.Background(), testChannel(srv.URL), "http://insecure.example.com/hook")
		channeltest.WantCode(t, err, switchboard.EInvalid)
		if !strings.Contains(err.Error(), "An HTTPS URL must be provided") {
			t.Errorf("error %v lacks Telegram's description", err)
		}
	})
	t.Run("server error", func(t *testing.T) {
		srv, _ := fakeBotAPI(t, http.StatusBadGateway, "error_502.json", nil)
		err := New(srv.Client()).Register(context.Background(), testChannel(srv.URL), "https://x.example.com/hook")
		if se := channeltest.SendError(t, err); !se.Retryable {
			t.Errorf("got %+v", se)
		}
	})
	for _, setting := range []string{"secret_token", "bot_token"} {
		t.Run("no "+setting, func(t *testing.T) {
			ch := testChannel("http://127.0.0.1:1")
			delete(ch.Secrets, setting)
			err := New(nil).Register(context.Background(), ch, "https://x.example.com/hook")
			channeltest.WantCode(t, err, switchboard.EInvalid)
			var e *switchboard.Error
			if errors.As(err, &e); e.Fields[0].Field != "config."+setting {
				t.Errorf("fields = %+v", e.Fields)
			}
		})
	}
}

// TestSendRedirectNotFollowed: a Bot API answering 307 to an internal URL
// is not followed and its body never reaches the error.
func TestSendRedirectNotFollowed(t *testing.T) {
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("redirect followed: %s %s", r.Method, r.URL)
		w.Write([]byte(`{"ok":false,"description":"INTERNAL ANSWER"}`))
	}))
	defer internal.Close()
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/admin", http.StatusTemporaryRedirect)
	}))
	defer platform.Close()
	_, err := New(platform.Client()).Send(context.Background(), testChannel(platform.URL), &switchboard.OutboundMessage{To: "1", Text: "Hi"})
	se := channeltest.SendError(t, err)
	if se.Retryable || strings.Contains(err.Error(), "INTERNAL") || strings.Contains(err.Error(), testToken) {
		t.Fatalf("got %+v, want a final error quoting nothing", se)
	}
}

// TestSendRefusedAddressIsFinal: with the server's egress client an
// api_base_url on a refused address fails at once, not retried.
func TestSendRefusedAddressIsFinal(t *testing.T) {
	client := egress.NewClient(egress.Policy{}, time.Second)
	for _, base := range []string{"http://127.0.0.1:1", "http://169.254.169.254", "http://2130706433:1", "http://foo.localhost:1"} {
		_, err := New(client).Send(context.Background(), testChannel(base), &switchboard.OutboundMessage{To: "1", Text: "Hi"})
		se := channeltest.SendError(t, err)
		if se.Retryable || !strings.Contains(se.Message, "not allowed") {
			t.Errorf("%s: got %+v, want a final refusal", base, se)
		}
	}
}
