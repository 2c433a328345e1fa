package messenger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
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
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderSignature, Signature(testAppSecret, body))
	return &switchboard.HookRequest{Method: http.MethodPost, Header: h, Body: body, Now: testNow}
}

// handshake is the GET Meta sends when the callback URL is saved.
func handshake(q url.Values) *switchboard.HookRequest {
	return &switchboard.HookRequest{
		Method: http.MethodGet,
		URL:    "https://sb.example.com/hooks/channels/ch_test?" + q.Encode(),
		Header: http.Header{},
		Query:  q,
		Now:    testNow,
	}
}

type vector struct {
	AppSecret string `json:"app_secret"`
	Body      string `json:"body"`
	Signature string `json:"signature"`
}

func loadVector(t testing.TB) vector {
	var v vector
	if err := json.Unmarshal(channeltest.ReadFile(t, "testdata/signature_vector.json"), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSignatureVector(t *testing.T) {
	v := loadVector(t)
	if got := Signature(v.AppSecret, []byte(v.Body)); got != v.Signature {
		t.Fatalf("Signature = %s, want %s", got, v.Signature)
	}
	if err := Verify(v.AppSecret, v.Signature, []byte(v.Body)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	ch := testChannel("")
	ch.Secrets["app_secret"] = v.AppSecret
	h := http.Header{HeaderSignature: {v.Signature}}
	_, err := New(nil).HandleHook(context.Background(), ch, &switchboard.HookRequest{Method: http.MethodPost, Header: h, Body: []byte(v.Body)})
	channeltest.WantCode(t, err, switchboard.EInvalid)
}

func TestHandleHookRejectsSignatures(t *testing.T) {
	body := channeltest.ReadFile(t, "testdata/events/text.json")
	good := Signature(testAppSecret, body)
	tests := []struct {
		name, secret, header string
		body                 []byte
	}{
		{"no app secret configured", "", good, body},
		{"missing header", testAppSecret, "", body},
		{"wrong secret", "another-secret", good, body},
		{"tampered body", testAppSecret, good, bytes.Replace(body, []byte("1042"), []byte("1043"), 1)},
		{"no sha256= prefix", testAppSecret, strings.TrimPrefix(good, "sha256="), body},
		{"sha1= prefix", testAppSecret, "sha1=" + strings.TrimPrefix(good, "sha256="), body},
		{"not hex", testAppSecret, "sha256=zz" + good[9:], body},
		{"truncated", testAppSecret, good[:len(good)-2], body},
		{"empty digest", testAppSecret, "sha256=", body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := testChannel("")
			ch.Secrets["app_secret"] = tt.secret
			h := http.Header{}
			if tt.header != "" {
				h.Set(HeaderSignature, tt.header)
			}
			res, err := New(nil).HandleHook(context.Background(), ch, &switchboard.HookRequest{Method: http.MethodPost, Header: h, Body: tt.body})
			channeltest.WantCode(t, err, switchboard.EUnauthorized)
			if res != nil {
				t.Fatalf("result %+v with an error", res)
			}
		})
	}
}

func TestChallenge(t *testing.T) {
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {testVerifyToken}, "hub.challenge": {"CHALLENGE_ACCEPTED_1736933400"}}
	res, err := New(nil).HandleHook(context.Background(), testChannel(""), handshake(q))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Response
	if r == nil || r.Status != 200 || r.ContentType != "text/plain; charset=utf-8" || string(r.Body) != "CHALLENGE_ACCEPTED_1736933400" {
		t.Fatalf("result = %+v", res)
	}
	req := handshake(q)
	req.Query = nil
	if res, err := New(nil).HandleHook(context.Background(), testChannel(""), req); err != nil || string(res.Response.Body) != "CHALLENGE_ACCEPTED_1736933400" {
		t.Fatalf("from the URL: %+v, %v", res, err)
	}
}

func TestChallengeRejects(t *testing.T) {
	tests := []struct {
		name, configured, query, code string
	}{
		{"wrong token", testVerifyToken, "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", switchboard.EForbidden},
		{"no verify_token configured", "", "hub.mode=subscribe&hub.verify_token=" + testVerifyToken + "&hub.challenge=1", switchboard.EForbidden},
		{"missing token", testVerifyToken, "hub.mode=subscribe&hub.challenge=1", switchboard.EInvalid},
		{"missing challenge", testVerifyToken, "hub.mode=subscribe&hub.verify_token=" + testVerifyToken, switchboard.EInvalid},
		{"missing mode", testVerifyToken, "hub.verify_token=" + testVerifyToken + "&hub.challenge=1", switchboard.EInvalid},
		{"mode is not subscribe", testVerifyToken, "hub.mode=SUBSCRIBE&hub.verify_token=" + testVerifyToken + "&hub.challenge=1", switchboard.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := testChannel("")
			ch.Secrets["verify_token"] = tt.configured
			q, _ := url.ParseQuery(tt.query)
			res, err := New(nil).HandleHook(context.Background(), ch, handshake(q))
			channeltest.WantCode(t, err, tt.code)
			if res != nil {
				t.Fatalf("result %+v with an error", res)
			}
		})
	}
}

// goldenMessage is what the golden files record of an inbound message.
type goldenMessage struct {
	ExternalID string                  `json:"external_id"`
	Kind       string                  `json:"kind"`
	Text       string                  `json:"text"`
	Thread     string                  `json:"thread"`
	Contact    switchboard.ContactInfo `json:"contact"`
	Raw        json.RawMessage         `json:"raw"`
}

type goldenResult struct {
	Messages []goldenMessage            `json:"messages"`
	Statuses []switchboard.StatusUpdate `json:"statuses"`
}

func TestHandleHookGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/events/*.json")
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	a := New(nil)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body := channeltest.ReadFile(t, file)
			res, err := a.HandleHook(context.Background(), testChannel(""), signed(body))
			if err != nil {
				t.Fatal(err)
			}
			if res.Response != nil {
				t.Fatalf("unexpected response %+v", res.Response)
			}
			got := goldenResult{Messages: []goldenMessage{}, Statuses: []switchboard.StatusUpdate{}}
			for _, m := range res.Messages {
				if !json.Valid(m.Raw) || !bytes.Contains(body, m.Raw) {
					t.Errorf("raw of %s is not the event as received", m.ExternalID)
				}
				got.Messages = append(got.Messages, goldenMessage{m.ExternalID, m.Kind, m.Text, m.Thread, m.Contact, m.Raw})
			}
			got.Statuses = append(got.Statuses, res.Statuses...)
			channeltest.CompareGolden(t, strings.TrimSuffix(file, ".json")+".golden", got)
		})
	}
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
			channeltest.WantCode(t, err, switchboard.EInvalid)
			var e *switchboard.Error
			errors.As(err, &e)
			if len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
				t.Fatalf("fields = %+v, want %q", e.Fields, tt.field)
			}
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
