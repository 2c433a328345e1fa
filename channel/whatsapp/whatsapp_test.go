package whatsapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
	"github.com/switchboardhq/switchboard/channel/internal/meta/metatest"
)

const (
	testAppSecret     = "9f3c2b1a0e8d7c6b5a4f3e2d1c0b9a88"
	testVerifyToken   = "sb-verify-7Qx2LmPz"
	testAccessToken   = "EAAGm0PX4ZCpsBO7acmeTestAccessTokenZDZD"
	testPhoneNumberID = "109876543210987"
)

var testNow = time.Unix(1736933401, 0)

func testChannel(baseURL string) *switchboard.Channel {
	return &switchboard.Channel{
		ID:     "ch_test",
		Type:   switchboard.ChannelWhatsApp,
		Config: map[string]any{"api_base_url": baseURL, "phone_number_id": testPhoneNumberID},
		Secrets: map[string]string{
			"access_token": testAccessToken,
			"app_secret":   testAppSecret,
			"verify_token": testVerifyToken,
		},
	}
}

// signed is a notification as Meta sends it, signed with testAppSecret.
func signed(body []byte) *switchboard.HookRequest {
	return metatest.Notification(testAppSecret, body, testNow)
}

func TestSignatureVector(t *testing.T) {
	v := metatest.LoadVector(t)
	if got := Signature(v.AppSecret, []byte(v.Body)); got != v.Signature {
		t.Fatalf("Signature = %s, want %s", got, v.Signature)
	}
	if err := Verify(v.AppSecret, v.Signature, []byte(v.Body)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestHandleHookRejectsSignatures(t *testing.T) {
	metatest.Signatures(t, New(nil), testChannel, channeltest.ReadFile(t, "testdata/notifications/text.json"))
}

func TestChallenge(t *testing.T) { metatest.Challenges(t, New(nil), testChannel) }

func TestHandleHookGolden(t *testing.T) {
	channeltest.HookGolden(t, "testdata/notifications/*.json", func(t *testing.T, body []byte) *switchboard.HookResult {
		res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed(body))
		if err != nil {
			t.Fatal(err)
		}
		channeltest.WantRawAsReceived(t, res, body)
		return res
	})
}

func TestHandleHookInvalid(t *testing.T) {
	const ok = `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":%s}]}]}`
	value := func(v string) string { return strings.Replace(ok, "%s", v, 1) }
	tests := []struct {
		name, body, field string
	}{
		{"empty", ``, "body"},
		{"not JSON", `hub.mode=subscribe`, "body"},
		{"truncated", `{"object":"whatsapp_business_account","entry":[`, "body"},
		{"array", `[]`, "body"},
		{"trailing data", `{"object":"whatsapp_business_account"} {}`, "body"},
		{"null", `null`, "object"},
		{"no object", `{"entry":[]}`, "object"},
		{"object is a number", `{"object":1}`, "object"},
		{"entry is an object", `{"object":"whatsapp_business_account","entry":{}}`, "entry"},
		{"changes is a string", `{"object":"whatsapp_business_account","entry":[{"changes":"x"}]}`, "entry.changes"},
		{"value missing", `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages"}]}]}`, "entry[0].changes[0].value"},
		{"value null", value(`null`), "entry[0].changes[0].value"},
		{"value is a list", value(`[]`), "entry[0].changes[0].value"},
		{"messages is an object", value(`{"messages":{}}`), "entry[0].changes[0].value.messages"},
		{"message without id", value(`{"messages":[{"from":"1","type":"text","text":{"body":"x"}}]}`), "entry[0].changes[0].value.messages[0].id"},
		{"message without sender", value(`{"messages":[{"id":"wamid.1","type":"text","text":{"body":"x"}}]}`), "entry[0].changes[0].value.messages[0].from"},
		{"message null", value(`{"messages":[null]}`), "entry[0].changes[0].value.messages[0].id"},
		{"message is a string", value(`{"messages":["hi"]}`), "entry[0].changes[0].value.messages[0]"},
		{"text is a string", value(`{"messages":[{"id":"w","from":"1","type":"text","text":"hi"}]}`), "entry[0].changes[0].value.messages[0].text"},
		{"body is a number", value(`{"messages":[{"id":"w","from":"1","type":"text","text":{"body":5}}]}`), "entry[0].changes[0].value.messages[0].text.body"},
		{"from is a number", value(`{"messages":[{"id":"w","from":447700900123,"type":"text"}]}`), "entry[0].changes[0].value.messages[0].from"},
		{"second message bad", value(`{"messages":[{"id":"w","from":"1","type":"text"},{"from":"1"}]}`), "entry[0].changes[0].value.messages[1].id"},
		{"contacts is an object", value(`{"contacts":{},"messages":[]}`), "entry[0].changes[0].value.contacts"},
		{"status without id", value(`{"statuses":[{"status":"delivered","recipient_id":"1"}]}`), "entry[0].changes[0].value.statuses[0].id"},
		{"status error code is a string", value(`{"statuses":[{"id":"w","status":"failed","errors":[{"code":"131047"}]}]}`), "entry[0].changes[0].value.statuses.errors.code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed([]byte(tt.body)))
			channeltest.WantField(t, err, tt.field)
			if res != nil {
				t.Fatalf("result %+v with an error", res)
			}
		})
	}
}

func TestHandleHookNothingToStore(t *testing.T) {
	for _, body := range []string{
		`{"object":"whatsapp_business_account"}`,
		`{"object":"whatsapp_business_account","entry":[]}`,
		`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"account_update","value":{"messages":"not ours to read"}}]}]}`,
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"statuses":[{"id":"w","status":"sent"},{"id":"w","status":"deleted"},{"id":"w","status":"warning"}]}}]}]}`,
		`{"object":"instagram","entry":[{"changes":[{"field":"messages","value":null}]}]}`,
		`{"object":"page","entry":[{"changes":"not read"}]}`,
	} {
		res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed([]byte(body)))
		if err != nil || res.Response != nil || len(res.Messages) != 0 || len(res.Statuses) != 0 {
			t.Errorf("%s: got %+v, %v; want nothing", body, res, err)
		}
	}
}

func TestHandleHookPhoneNumberFilter(t *testing.T) {
	body := channeltest.ReadFile(t, "testdata/notifications/other_phone_number.json")
	// A channel that does not know its number accepts every number.
	ch := testChannel("")
	delete(ch.Config, "phone_number_id")
	res, err := New(nil).HandleHook(context.Background(), ch, signed(body))
	if err != nil || len(res.Messages) != 1 {
		t.Fatalf("got %+v, %v; want the message", res, err)
	}
	// So does a value without metadata.
	res, err = New(nil).HandleHook(context.Background(), testChannel(""), signed([]byte(
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"id":"w","from":"1","type":"text","text":{"body":"x"}}]}}]}]}`)))
	if err != nil || len(res.Messages) != 1 {
		t.Fatalf("got %+v, %v; want the message", res, err)
	}
}

func TestDescribe(t *testing.T) {
	for _, tt := range []struct {
		title, message, details string
		code                    int
		want                    string
	}{
		{"Re-engagement message", "Re-engagement message", "More than 24 hours.", 131047, "Re-engagement message: More than 24 hours. (code 131047)"},
		{"", "", "", 131026, "error 131026"},
		{"Title", "", "", 0, "Title"},
		{" A ", "B", "A", 1, "A: B (code 1)"},
		{"", "", "", 0, ""},
	} {
		if got := describe(tt.title, tt.message, tt.details, tt.code); got != tt.want {
			t.Errorf("describe(%q, %q, %q, %d) = %q, want %q", tt.title, tt.message, tt.details, tt.code, got, tt.want)
		}
	}
}
