package api

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
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// testSecret is "whsec_" + base64 of 32 fixed bytes.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

var testNow = time.Unix(1736933400, 0)

func testChannel(callbackURL string) *switchboard.Channel {
	return &switchboard.Channel{
		ID:      "ch_test",
		Type:    switchboard.ChannelAPI,
		Config:  map[string]any{"callback_url": callbackURL},
		Secrets: map[string]string{"secret": testSecret},
	}
}

func testKey(t testing.TB) []byte {
	key, err := signature.Key(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// signed is a request signed with keys at ts, arriving at testNow.
func signed(t testing.TB, body []byte, ts time.Time, keys ...[]byte) *switchboard.HookRequest {
	if len(keys) == 0 {
		keys = [][]byte{testKey(t)}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	signature.SetHeaders(h, keys, "wh_2mX8Yc0n", ts, body)
	return &switchboard.HookRequest{Method: http.MethodPost, Header: h, Body: body, Now: testNow}
}

type goldenMessage struct {
	ExternalID string `json:"external_id"`
	Kind       string `json:"kind"`
	Text       string `json:"text"`
	Thread     string `json:"thread"`
	Contact    struct {
		ExternalID string `json:"external_id"`
		Name       string `json:"name"`
		Email      string `json:"email"`
	} `json:"contact"`
	RawIsBody bool `json:"raw_is_body"`
}

func TestHandleHookGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/inbound/*.json")
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body := channeltest.ReadFile(t, file)
			res, err := New(nil, "test").HandleHook(context.Background(), testChannel(""), signed(t, body, testNow.Add(-time.Second)))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Messages) != 1 || res.Response != nil {
				t.Fatalf("result = %+v", res)
			}
			m := res.Messages[0]
			g := goldenMessage{ExternalID: m.ExternalID, Kind: m.Kind, Text: m.Text, Thread: m.Thread, RawIsBody: bytes.Equal(m.Raw, body)}
			g.Contact.ExternalID, g.Contact.Name, g.Contact.Email = m.Contact.ExternalID, m.Contact.Name, m.Contact.Email
			channeltest.CompareGolden(t, strings.TrimSuffix(file, ".json")+".golden", g)
		})
	}
}

func TestHandleHookRotation(t *testing.T) {
	old, _ := signature.Key(signature.NewSecret())
	body := channeltest.ReadFile(t, "testdata/inbound/minimal.json")
	if _, err := New(nil, "test").HandleHook(context.Background(), testChannel(""), signed(t, body, testNow, old, testKey(t))); err != nil {
		t.Fatalf("a request with one valid signature among several was refused: %v", err)
	}
}

func TestHandleHookUnauthorized(t *testing.T) {
	body := channeltest.ReadFile(t, "testdata/inbound/minimal.json")
	other, _ := signature.Key(signature.NewSecret())
	tests := []struct {
		name   string
		secret string
		req    *switchboard.HookRequest
	}{
		{"no secret configured", "", signed(t, body, testNow)},
		{"secret not whsec", "not base64!", signed(t, body, testNow)},
		{"wrong key", testSecret, signed(t, body, testNow, other)},
		{"stale by 6 minutes", testSecret, signed(t, body, testNow.Add(-6*time.Minute))},
		{"future by 6 minutes", testSecret, signed(t, body, testNow.Add(6*time.Minute))},
		{"tampered body", testSecret, func() *switchboard.HookRequest {
			r := signed(t, body, testNow)
			r.Body = bytes.Replace(r.Body, []byte("hi"), []byte("yo"), 1)
			return r
		}()},
		{"changed id", testSecret, func() *switchboard.HookRequest {
			r := signed(t, body, testNow)
			r.Header.Set(signature.HeaderID, "wh_other")
			return r
		}()},
		{"no headers", testSecret, &switchboard.HookRequest{Header: http.Header{}, Body: body, Now: testNow}},
		{"v2 signature", testSecret, func() *switchboard.HookRequest {
			r := signed(t, body, testNow)
			r.Header.Set(signature.HeaderSignature, strings.Replace(r.Header.Get(signature.HeaderSignature), "v1,", "v2,", 1))
			return r
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := testChannel("")
			ch.Secrets["secret"] = tt.secret
			res, err := New(nil, "test").HandleHook(context.Background(), ch, tt.req)
			channeltest.WantCode(t, err, switchboard.EUnauthorized)
			if res != nil {
				t.Fatalf("result %+v with an error", res)
			}
		})
	}
}

func TestHandleHookInvalid(t *testing.T) {
	long := strings.Repeat("x", 256)
	tests := []struct {
		name, body string
		fields     []string
	}{
		{"empty", ``, []string{"body"}},
		{"not JSON", `message_id=1`, []string{"body"}},
		{"truncated", `{"message_id":"m1",`, []string{"body"}},
		{"array", `[]`, []string{"body"}},
		{"trailing data", `{"message_id":"m1","user_id":"u1"} {}`, []string{"body"}},
		{"unknown field", `{"message_id":"m1","user_id":"u1","thread":"t"}`, []string{"thread"}},
		{"unknown user field", `{"message_id":"m1","user_id":"u1","user":{"phone":"+1"}}`, []string{"user.phone"}},
		{"user_id a number", `{"message_id":"m1","user_id":42}`, []string{"user_id"}},
		{"text an object", `{"message_id":"m1","user_id":"u1","text":{}}`, []string{"text"}},
		{"email a number", `{"message_id":"m1","user_id":"u1","user":{"email":1}}`, []string{"user.email"}},
		{"user a string", `{"message_id":"m1","user_id":"u1","user":"ada"}`, []string{"user"}},
		{"both ids missing", `{"text":"hi"}`, []string{"message_id", "user_id"}},
		{"blank message_id", `{"message_id":"  ","user_id":"u1"}`, []string{"message_id"}},
		{"null user_id", `{"message_id":"m1","user_id":null}`, []string{"user_id"}},
		{"ids too long", `{"message_id":"` + long + `","user_id":"` + long + `"}`, []string{"message_id", "user_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(nil, "test").HandleHook(context.Background(), testChannel(""), signed(t, []byte(tt.body), testNow))
			channeltest.WantCode(t, err, switchboard.EInvalid)
			var e *switchboard.Error
			errors.As(err, &e)
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("fields = %+v, want %v", e.Fields, tt.fields)
			}
		})
	}
}
