package twilio

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

const (
	testAccountSid = "AC5f3e8a1b2c4d6e8f0a1b2c3d4e5f6a7b"
	testAuthToken  = "f1e2d3c4b5a697887766554433221100"
	testFrom       = "+14155550147"
	testHookURL    = "https://sb.example.com/hooks/channels/ch_test"
)

var testNow = time.Unix(1736933401, 0)

func testChannel(baseURL string) *switchboard.Channel {
	return &switchboard.Channel{
		ID:      "ch_test",
		Type:    switchboard.ChannelTwilio,
		Config:  map[string]any{"api_base_url": baseURL, "account_sid": testAccountSid, "from": testFrom},
		Secrets: map[string]string{"auth_token": testAuthToken},
	}
}

// signed is a webhook POST as Twilio sends it to testHookURL, signed with
// testAuthToken.
func signed(t testing.TB, body []byte) *switchboard.HookRequest {
	t.Helper()
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	return post(testHookURL, Signature(testAuthToken, testHookURL, form), body)
}

func post(hookURL, signature string, body []byte) *switchboard.HookRequest {
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("I-Twilio-Idempotency-Token", "7c3f3c1e-5d5b-4a4e-9a7b-3c1d2e4f5a6b")
	if signature != "" {
		h.Set(HeaderSignature, signature)
	}
	return &switchboard.HookRequest{Method: http.MethodPost, URL: hookURL, Header: h, Body: body, Now: testNow}
}

type vectors struct {
	AuthToken string `json:"auth_token"`
	URL       string `json:"url"`
	Vectors   []struct {
		Name      string     `json:"name"`
		Params    url.Values `json:"params"`
		Signature string     `json:"signature"`
	} `json:"vectors"`
}

func loadVectors(t testing.TB) vectors {
	var v vectors
	if err := json.Unmarshal(channeltest.ReadFile(t, "testdata/signature_vectors.json"), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSignatureVectors(t *testing.T) {
	v := loadVectors(t)
	for _, vec := range v.Vectors {
		t.Run(vec.Name, func(t *testing.T) {
			if got := Signature(v.AuthToken, v.URL, vec.Params); got != vec.Signature {
				t.Fatalf("Signature = %s, want %s", got, vec.Signature)
			}
			if err := Verify(v.AuthToken, v.URL, vec.Signature, vec.Params); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			// The same request through HandleHook, as a form body in
			// arrival order.
			body := vec.Params.Encode()
			ch := testChannel("")
			ch.Secrets["auth_token"] = v.AuthToken
			_, err := New(nil).HandleHook(context.Background(), ch, post(v.URL, vec.Signature, []byte(body)))
			if code := switchboard.ErrorCode(err); code == switchboard.EUnauthorized {
				t.Fatalf("HandleHook refused the signature: %v", err)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	v := loadVectors(t)
	vec := v.Vectors[0]
	with := func(name, value string) url.Values {
		p := url.Values{}
		for k, vs := range vec.Params {
			p[k] = append([]string(nil), vs...)
		}
		if value == "" {
			p.Del(name)
		} else {
			p.Set(name, value)
		}
		return p
	}
	tests := []struct {
		name, token, url, header string
		params                   url.Values
	}{
		{"no auth token configured", "", v.URL, vec.Signature, vec.Params},
		{"wrong auth token", "12346", v.URL, vec.Signature, vec.Params},
		{"missing signature", v.AuthToken, v.URL, "", vec.Params},
		{"unknown URL", v.AuthToken, "", vec.Signature, vec.Params},
		{"value changed", v.AuthToken, v.URL, vec.Signature, with("Digits", "9999")},
		{"parameter added", v.AuthToken, v.URL, vec.Signature, with("Body", "hi")},
		{"parameter removed", v.AuthToken, v.URL, vec.Signature, with("Caller", "")},
		{"query changed", v.AuthToken, v.URL + "&extra=1", vec.Signature, vec.Params},
		{"http instead of https", v.AuthToken, strings.Replace(v.URL, "https:", "http:", 1), vec.Signature, vec.Params},
		{"another port", v.AuthToken, strings.Replace(v.URL, ".com/", ".com:8443/", 1), vec.Signature, vec.Params},
		{"host case changed", v.AuthToken, strings.Replace(v.URL, "mycompany", "MyCompany", 1), vec.Signature, vec.Params},
		{"signature truncated", v.AuthToken, v.URL, vec.Signature[:len(vec.Signature)-1], vec.Params},
		{"signature not base64", v.AuthToken, v.URL, "not a signature", vec.Params},
		{"signature of the URL only", v.AuthToken, v.URL, Signature(v.AuthToken, v.URL, nil), vec.Params},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			channeltest.WantCode(t, Verify(tt.token, tt.url, tt.header, tt.params), switchboard.EUnauthorized)
			ch := testChannel("")
			ch.Secrets["auth_token"] = tt.token
			res, err := New(nil).HandleHook(context.Background(), ch, post(tt.url, tt.header, []byte(tt.params.Encode())))
			channeltest.WantCode(t, err, switchboard.EUnauthorized)
			if res != nil {
				t.Fatalf("result %+v with an error", res)
			}
		})
	}
}

func TestVerifyDefaultPort(t *testing.T) {
	params := url.Values{"Body": {"hi"}, "MessageSid": {"SM1"}, "From": {"+1"}}
	for _, tt := range []struct{ signedURL, requestURL string }{
		{"https://sb.example.com:443/hooks/channels/ch_1", "https://sb.example.com/hooks/channels/ch_1"},
		{"https://sb.example.com/hooks/channels/ch_1", "https://sb.example.com:443/hooks/channels/ch_1"},
		{"http://sb.example.com:80/hooks/channels/ch_1?x=1", "http://sb.example.com/hooks/channels/ch_1?x=1"},
		{"https://[2001:db8::1]:443/hooks/channels/ch_1", "https://[2001:db8::1]/hooks/channels/ch_1"},
		{"https://user:pw@sb.example.com:443/h", "https://user:pw@sb.example.com/h"},
	} {
		if err := Verify(testAuthToken, tt.requestURL, Signature(testAuthToken, tt.signedURL, params), params); err != nil {
			t.Errorf("signed for %s, received at %s: %v", tt.signedURL, tt.requestURL, err)
		}
	}
	for _, tt := range []struct{ signedURL, requestURL string }{
		{"https://sb.example.com:80/h", "https://sb.example.com/h"},
		{"http://sb.example.com:443/h", "http://sb.example.com/h"},
		{"https://sb.example.com:8443/h", "https://sb.example.com/h"},
		{"https://sb.example.com/h", "https://sb.example.com:8443/h"},
	} {
		if err := Verify(testAuthToken, tt.requestURL, Signature(testAuthToken, tt.signedURL, params), params); err == nil {
			t.Errorf("signed for %s, accepted at %s", tt.signedURL, tt.requestURL)
		}
	}
}

func TestURLVariants(t *testing.T) {
	for in, want := range map[string][]string{
		"https://a.example/h?q=1":        {"https://a.example/h?q=1", "https://a.example:443/h?q=1"},
		"https://a.example:443":          {"https://a.example:443", "https://a.example"},
		"HTTP://a.example#x":             {"HTTP://a.example#x", "HTTP://a.example:80#x"},
		"https://a.example:8443/h":       {"https://a.example:8443/h"},
		"ftp://a.example/h":              {"ftp://a.example/h"},
		"a.example/h":                    {"a.example/h"},
		"https://[::1]/h":                {"https://[::1]/h", "https://[::1]:443/h"},
		"https://a.example/h?next=x:443": {"https://a.example/h?next=x:443", "https://a.example:443/h?next=x:443"},
	} {
		if got := urlVariants(in); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("urlVariants(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHandleHookUnparseableBodyIsUnauthorized(t *testing.T) {
	body := []byte("Body=100%&MessageSid=SM1")
	res, err := New(nil).HandleHook(context.Background(), testChannel(""), post(testHookURL, "anything", body))
	channeltest.WantCode(t, err, switchboard.EUnauthorized)
	if res != nil {
		t.Fatalf("result %+v with an error", res)
	}
}

func TestHandleHookGET(t *testing.T) {
	q := url.Values{"MessageSid": {"SM6a8c0e2f4b5d7913f6a8b0c2d4e5f7a9"}, "From": {"+12125550163"}, "Body": {"Hi via GET"}, "AccountSid": {testAccountSid}}
	hookURL := testHookURL + "?" + q.Encode()
	req := &switchboard.HookRequest{Method: http.MethodGet, URL: hookURL, Query: q, Header: http.Header{HeaderSignature: {Signature(testAuthToken, hookURL, nil)}}}
	res, err := New(nil).HandleHook(context.Background(), testChannel(""), req)
	if err != nil || len(res.Messages) != 1 || res.Messages[0].Text != "Hi via GET" {
		t.Fatalf("got %+v, %v", res, err)
	}
	req.Query = nil // read from the URL
	if res, err := New(nil).HandleHook(context.Background(), testChannel(""), req); err != nil || len(res.Messages) != 1 {
		t.Fatalf("from the URL: %+v, %v", res, err)
	}
	// A GET signed as if it had POST parameters is refused.
	req.Header.Set(HeaderSignature, Signature(testAuthToken, hookURL, q))
	_, err = New(nil).HandleHook(context.Background(), testChannel(""), req)
	channeltest.WantCode(t, err, switchboard.EUnauthorized)
}

func TestHandleHookGolden(t *testing.T) {
	channeltest.HookGolden(t, "testdata/webhooks/*.form", func(t *testing.T, body []byte) *switchboard.HookResult {
		res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed(t, body))
		if err != nil {
			t.Fatal(err)
		}
		return res
	})
}

func TestHandleHookInvalid(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"empty", ``, "MessageSid"},
		{"JSON body", `{"MessageSid":"SM1"}`, "MessageSid"},
		{"no MessageSid", `From=%2B12125550163&Body=hi`, "MessageSid"},
		{"empty MessageSid", `MessageSid=&From=%2B12125550163&Body=hi`, "MessageSid"},
		{"no From", `MessageSid=SM1&Body=hi`, "From"},
		{"NumMedia not a number", `MessageSid=SM1&From=%2B1&NumMedia=two`, "NumMedia"},
		{"NumMedia negative", `MessageSid=SM1&From=%2B1&NumMedia=-1`, "NumMedia"},
		{"status callback without sid", `MessageStatus=delivered&To=%2B1`, "MessageSid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed(t, []byte(tt.body)))
			channeltest.WantField(t, err, tt.field)
			if res != nil {
				t.Fatalf("result %+v with an error", res)
			}
		})
	}
}

func TestHandleHookOldSidNames(t *testing.T) {
	// Accounts from before MessageSid send SmsSid / SmsMessageSid only.
	res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed(t, []byte(`SmsSid=SM9&From=%2B1555&Body=hi`)))
	if err != nil || len(res.Messages) != 1 || res.Messages[0].ExternalID != "SM9" {
		t.Fatalf("got %+v, %v", res, err)
	}
}

func TestPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+14155550123":          "+14155550123",
		"whatsapp:+14155550123": "+14155550123",
		"messenger:1234567890":  "",
		"28466":                 "",
		"ACME":                  "",
		"+":                     "",
		"+1 415":                "",
		"whatsapp:":             "",
	} {
		if got := phone(in); got != want {
			t.Errorf("phone(%q) = %q, want %q", in, got, want)
		}
	}
}
