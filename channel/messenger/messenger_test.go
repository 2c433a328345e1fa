package messenger

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
	testAppSecret   = "4c7e1b9d2a6f8e3c5b0a9d8f7e6c5b4a"
	testVerifyToken = "sb-verify-Xk2pQ9wL"
	testPageToken   = "EAAJZCtestPageAccessTokenAcmeHelpZDZD"
)

var testNow = time.Unix(1736933401, 0)

func testChannel(baseURL string) *switchboard.Channel {
	return &switchboard.Channel{
		ID:     "ch_test",
		Type:   switchboard.ChannelMessenger,
		Config: map[string]any{"api_base_url": baseURL},
		Secrets: map[string]string{
			"page_access_token": testPageToken,
			"app_secret":        testAppSecret,
			"verify_token":      testVerifyToken,
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
	metatest.Signatures(t, New(nil), testChannel, channeltest.ReadFile(t, "testdata/events/text.json"))
}

func TestChallenge(t *testing.T) { metatest.Challenges(t, New(nil), testChannel) }

func TestHandleHookGolden(t *testing.T) {
	channeltest.HookGolden(t, "testdata/events/*.json", func(t *testing.T, body []byte) *switchboard.HookResult {
		res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed(body))
		if err != nil {
			t.Fatal(err)
		}
		channeltest.WantRawAsReceived(t, res, body)
		return res
	})
}

func TestHandleHookInvalid(t *testing.T) {
	const ok = `{"object":"page","entry":[{"id":"1","time":1,"messaging":[%s]}]}`
	events := func(v string) string { return strings.Replace(ok, "%s", v, 1) }
	tests := []struct {
		name, body, field string
	}{
		{"empty", ``, "body"},
		{"not JSON", `object=page`, "body"},
		{"truncated", `{"object":"page","entry":[{"messaging":[`, "body"},
		{"array", `[{"object":"page"}]`, "body"},
		{"trailing data", `{"object":"page"} x`, "body"},
		{"null", `null`, "object"},
		{"no object", `{"entry":[]}`, "object"},
		{"entry is an object", `{"object":"page","entry":{}}`, "entry"},
		{"messaging is an object", `{"object":"page","entry":[{"messaging":{}}]}`, "entry.messaging"},
		{"event is a string", events(`"hi"`), "entry[0].messaging[0]"},
		{"message without mid", events(`{"sender":{"id":"1"},"timestamp":1,"message":{"text":"hi"}}`), "entry[0].messaging[0].message.mid"},
		{"message without sender", events(`{"timestamp":1,"message":{"mid":"m_1","text":"hi"}}`), "entry[0].messaging[0].sender.id"},
		{"sender without id", events(`{"sender":{"user_ref":"x"},"timestamp":1,"message":{"mid":"m_1","text":"hi"}}`), "entry[0].messaging[0].sender.id"},
		{"sender id is a number", events(`{"sender":{"id":6543210987654321},"message":{"mid":"m_1"}}`), "entry[0].messaging[0].sender.id"},
		{"text is a number", events(`{"sender":{"id":"1"},"message":{"mid":"m_1","text":5}}`), "entry[0].messaging[0].message.text"},
		{"timestamp is a string", events(`{"sender":{"id":"1"},"timestamp":"1736933400123","message":{"mid":"m_1"}}`), "entry[0].messaging[0].timestamp"},
		{"attachments is an object", events(`{"sender":{"id":"1"},"message":{"mid":"m_1","attachments":{}}}`), "entry[0].messaging[0].message.attachments"},
		{"edit without mid", events(`{"sender":{"id":"1"},"message_edit":{"text":"x","num_edit":1}}`), "entry[0].messaging[0].message_edit.mid"},
		{"postback without sender", events(`{"timestamp":1,"postback":{"title":"Go","payload":"GO"}}`), "entry[0].messaging[0].sender.id"},
		{"delivery mids not a list", events(`{"sender":{"id":"1"},"delivery":{"mids":"m_1"}}`), "entry[0].messaging[0].delivery.mids"},
		{"second event bad", events(`{"sender":{"id":"1"},"message":{"mid":"m_1","text":"a"}},{"sender":{"id":"1"},"message":{"text":"b"}}`), "entry[0].messaging[1].message.mid"},
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
		`{"object":"page"}`,
		`{"object":"page","entry":[]}`,
		`{"object":"page","entry":[{"id":"1","time":1}]}`,
		`{"object":"page","entry":[{"id":"1","messaging":[{}]}]}`,
		`{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"1"},"game_play":{"game_id":"1"}}]}]}`,
		`{"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":{"item":"comment"}}]}]}`,
		`{"object":"user","entry":[{"messaging":"not read"}]}`,
	} {
		res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed([]byte(body)))
		if err != nil || res.Response != nil || len(res.Messages) != 0 || len(res.Statuses) != 0 {
			t.Errorf("%s: got %+v, %v; want nothing", body, res, err)
		}
	}
}
