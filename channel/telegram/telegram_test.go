package telegram

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

const (
	testToken  = "7351126602:AAF4xQbH2vZ-acmeHelpBotTestToken"
	testSecret = "sb_9Tq2-LmX7vPz4K"
)

func testChannel(baseURL string) *switchboard.Channel {
	return &switchboard.Channel{
		ID:      "ch_test",
		Type:    switchboard.ChannelTelegram,
		Config:  map[string]any{"api_base_url": baseURL},
		Secrets: map[string]string{"bot_token": testToken, "secret_token": testSecret},
	}
}

func hook(header string, body []byte) *switchboard.HookRequest {
	h := http.Header{}
	if header != "" {
		h.Set(HeaderSecretToken, header)
	}
	return &switchboard.HookRequest{Method: http.MethodPost, Header: h, Body: body, Now: time.Unix(1736933401, 0)}
}

// goldenMessage is what the golden files record of an inbound message.
type goldenMessage struct {
	ExternalID string                  `json:"external_id"`
	Kind       string                  `json:"kind"`
	Text       string                  `json:"text"`
	Thread     string                  `json:"thread"`
	Contact    switchboard.ContactInfo `json:"contact"`
	RawIsBody  bool                    `json:"raw_is_body"`
}

func TestHandleHookGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/updates/*.json")
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	a := New(nil)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body := channeltest.ReadFile(t, file)
			res, err := a.HandleHook(context.Background(), testChannel(""), hook(testSecret, body))
			if err != nil {
				t.Fatal(err)
			}
			if res.Response != nil || len(res.Statuses) != 0 {
				t.Fatalf("unexpected response or statuses: %+v", res)
			}
			got := []goldenMessage{}
			for _, m := range res.Messages {
				got = append(got, goldenMessage{m.ExternalID, m.Kind, m.Text, m.Thread, m.Contact, bytes.Equal(m.Raw, body)})
			}
			channeltest.CompareGolden(t, strings.TrimSuffix(file, ".json")+".golden", got)
		})
	}
}

func TestHandleHookSecretToken(t *testing.T) {
	body := channeltest.ReadFile(t, "testdata/updates/text_private.json")
	tests := []struct {
		name, configured, header string
	}{
		{"no secret configured, no header", "", ""},
		{"no secret configured, some header", "", "anything"},
		{"missing header", testSecret, ""},
		{"wrong header", testSecret, "sb_9Tq2-LmX7vPz4L"},
		{"prefix of the secret", testSecret, testSecret[:5]},
		{"secret with suffix", testSecret, testSecret + "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := testChannel("")
			ch.Secrets["secret_token"] = tt.configured
			res, err := New(nil).HandleHook(context.Background(), ch, hook(tt.header, body))
			channeltest.WantCode(t, err, switchboard.EUnauthorized)
			if res != nil {
				t.Fatalf("result %+v with an error", res)
			}
		})
	}
}

func TestHandleHookInvalid(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"empty", ``, "body"},
		{"not JSON", `update_id=1`, "body"},
		{"truncated", `{"update_id": 1, "message": {`, "body"},
		{"array", `[{"update_id": 1}]`, "body"},
		{"trailing data", `{"update_id": 1} {}`, "body"},
		{"null", `null`, "update_id"},
		{"no update_id", `{"message": {"chat": {"id": 1}, "text": "hi"}}`, "update_id"},
		{"update_id is a string", `{"update_id": "412398716"}`, "update_id"},
		{"message is a string", `{"update_id": 1, "message": "hi"}`, "message"},
		{"message without chat", `{"update_id": 1, "message": {"message_id": 2, "text": "hi"}}`, "message.chat"},
		{"chat id is a string", `{"update_id": 1, "message": {"chat": {"id": "x"}, "text": "hi"}}`, "message.chat.id"},
		{"text is a number", `{"update_id": 1, "message": {"chat": {"id": 1}, "text": 5}}`, "message.text"},
		{"edited message without chat", `{"update_id": 1, "edited_message": {"text": "hi"}}`, "edited_message.chat"},
		{"callback without from", `{"update_id": 1, "callback_query": {"id": "1", "data": "x"}}`, "callback_query.from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(nil).HandleHook(context.Background(), testChannel(""), hook(testSecret, []byte(tt.body)))
			channeltest.WantCode(t, err, switchboard.EInvalid)
			var e *switchboard.Error
			errors.As(err, &e)
			if len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
				t.Fatalf("fields = %+v, want %q", e.Fields, tt.field)
			}
		})
	}
}

func TestHandleHookIgnored(t *testing.T) {
	for _, body := range []string{
		`{"update_id": 7}`,
		`{"update_id": 7, "message": null}`,
		`{"update_id": 7, "poll": {"id": "1", "question": "?", "options": []}}`,
		`{"update_id": 7, "message_reaction": {"chat": {"id": 1}, "message_id": 3, "date": 1, "old_reaction": [], "new_reaction": []}}`,
		`{"update_id": 7, "business_message": {"chat": {"id": 1}, "text": "hi"}}`,
		`{"update_id": 7, "message": {"chat": {"id": -100}, "from": {"id": 5}, "pinned_message": {"message_id": 1}}}`,
	} {
		res, err := New(nil).HandleHook(context.Background(), testChannel(""), hook(testSecret, []byte(body)))
		if err != nil || len(res.Messages) != 0 {
			t.Errorf("%s: got %+v, %v; want no messages", body, res, err)
		}
	}
}
