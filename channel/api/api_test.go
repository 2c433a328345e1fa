package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// testSecret is "whsec_" + base64 of 32 fixed bytes.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// Set UPDATE_GOLDEN=1 to rewrite the golden files from the current output.
var updateGolden = os.Getenv("UPDATE_GOLDEN") != ""

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

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := switchboard.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
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
			body := readFile(t, file)
			res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed(t, body, testNow.Add(-time.Second)))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Messages) != 1 || res.Response != nil {
				t.Fatalf("result = %+v", res)
			}
			m := res.Messages[0]
			g := goldenMessage{ExternalID: m.ExternalID, Kind: m.Kind, Text: m.Text, Thread: m.Thread, RawIsBody: bytes.Equal(m.Raw, body)}
			g.Contact.ExternalID, g.Contact.Name, g.Contact.Email = m.Contact.ExternalID, m.Contact.Name, m.Contact.Email
			compareGolden(t, strings.TrimSuffix(file, ".json")+".golden", g)
		})
	}
}

func compareGolden(t *testing.T, path string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	if updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want := readFile(t, path); !bytes.Equal(got, want) {
		t.Fatalf("%s differs; got:\n%s", path, got)
	}
}

func TestHandleHookRotation(t *testing.T) {
	old, _ := signature.Key(signature.NewSecret())
	body := readFile(t, "testdata/inbound/minimal.json")
	if _, err := New(nil).HandleHook(context.Background(), testChannel(""), signed(t, body, testNow, old, testKey(t))); err != nil {
		t.Fatalf("a request with one valid signature among several was refused: %v", err)
	}
}

func TestHandleHookUnauthorized(t *testing.T) {
	body := readFile(t, "testdata/inbound/minimal.json")
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
			res, err := New(nil).HandleHook(context.Background(), ch, tt.req)
			wantCode(t, err, switchboard.EUnauthorized)
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
			_, err := New(nil).HandleHook(context.Background(), testChannel(""), signed(t, []byte(tt.body), testNow))
			wantCode(t, err, switchboard.EInvalid)
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
