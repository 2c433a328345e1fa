package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
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
	if err := Verify(v.AppSecret, strings.ToUpper(v.Signature[:7])+strings.ToUpper(v.Signature[7:]), []byte(v.Body)); err == nil {
		t.Fatal("an upper-case prefix was accepted")
	}
	if err := Verify(v.AppSecret, "sha256="+strings.ToUpper(v.Signature[7:]), []byte(v.Body)); err != nil {
		t.Fatalf("upper-case hex: %v", err)
	}
	// Through HandleHook: the vector's body is signed right but is no
	// notification.
	ch := testChannel("")
	ch.Secrets["app_secret"] = v.AppSecret
	h := http.Header{HeaderSignature: {v.Signature}}
	_, err := New(nil).HandleHook(context.Background(), ch, &switchboard.HookRequest{Method: http.MethodPost, Header: h, Body: []byte(v.Body)})
	channeltest.WantCode(t, err, switchboard.EInvalid)
}

func TestHandleHookRejectsSignatures(t *testing.T) {
	body := channeltest.ReadFile(t, "testdata/notifications/text.json")
	good := Signature(testAppSecret, body)
	tests := []struct {
		name, secret, header string
		body                 []byte
	}{
		{"no app secret configured", "", good, body},
		{"missing header", testAppSecret, "", body},
		{"wrong secret", "another-secret", good, body},
		{"tampered body", testAppSecret, good, bytes.Replace(body, []byte("1042"), []byte("1043"), 1)},
		{"body with a trailing newline", testAppSecret, good, append(bytes.Clone(body), '\n')},
		{"no sha256= prefix", testAppSecret, strings.TrimPrefix(good, "sha256="), body},
		{"sha1= prefix", testAppSecret, "sha1=" + strings.TrimPrefix(good, "sha256="), body},
		{"not hex", testAppSecret, "sha256=zz" + good[9:], body},
		{"truncated", testAppSecret, good[:len(good)-2], body},
		{"empty digest", testAppSecret, "sha256=", body},
		{"signature of the empty body", testAppSecret, Signature(testAppSecret, nil), body},
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
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {testVerifyToken}, "hub.challenge": {"1158201444"}}
	res, err := New(nil).HandleHook(context.Background(), testChannel(""), handshake(q))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Response
	if r == nil || r.Status != 200 || r.ContentType != "text/plain; charset=utf-8" || string(r.Body) != "1158201444" ||
		len(res.Messages) != 0 || len(res.Statuses) != 0 {
		t.Fatalf("result = %+v", res)
	}
	// Without a parsed Query, the URL's query string is read.
	req := handshake(q)
	req.Query = nil
	res, err = New(nil).HandleHook(context.Background(), testChannel(""), req)
	if err != nil || string(res.Response.Body) != "1158201444" {
		t.Fatalf("from the URL: %+v, %v", res, err)
	}
}

func TestChallengeRejects(t *testing.T) {
	full := func(mode, token, challenge string) url.Values {
		q := url.Values{}
		for k, v := range map[string]string{"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge} {
			if v != "" {
				q.Set(k, v)
			}
		}
		return q
	}
	tests := []struct {
		name       string
		configured string
		q          url.Values
		code       string
	}{
		{"wrong token", testVerifyToken, full("subscribe", "sb-verify-7Qx2LmPZ", "42"), switchboard.EForbidden},
		{"token prefix", testVerifyToken, full("subscribe", testVerifyToken[:6], "42"), switchboard.EForbidden},
		{"token with suffix", testVerifyToken, full("subscribe", testVerifyToken+" ", "42"), switchboard.EForbidden},
		{"no verify_token configured", "", full("subscribe", testVerifyToken, "42"), switchboard.EForbidden},
		{"missing token", testVerifyToken, full("subscribe", "", "42"), switchboard.EInvalid},
		{"missing challenge", testVerifyToken, full("subscribe", testVerifyToken, ""), switchboard.EInvalid},
		{"missing mode", testVerifyToken, full("", testVerifyToken, "42"), switchboard.EInvalid},
		{"no parameters", testVerifyToken, url.Values{}, switchboard.EInvalid},
		{"mode unsubscribe", testVerifyToken, full("unsubscribe", testVerifyToken, "42"), switchboard.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := testChannel("")
			ch.Secrets["verify_token"] = tt.configured
			res, err := New(nil).HandleHook(context.Background(), ch, handshake(tt.q))
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
	files, _ := filepath.Glob("testdata/notifications/*.json")
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
					t.Errorf("raw of %s is not the message as received", m.ExternalID)
				}
				got.Messages = append(got.Messages, goldenMessage{m.ExternalID, m.Kind, m.Text, m.Thread, m.Contact, m.Raw})
			}
			got.Statuses = append(got.Statuses, res.Statuses...)
			channeltest.CompareGolden(t, strings.TrimSuffix(file, ".json")+".golden", got)
		})
	}
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
