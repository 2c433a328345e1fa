// Package metatest checks, through an adapter's HandleHook, what both Meta
// adapters (whatsapp, messenger) must do with webhooks: answer the
// subscription handshake only to the channel's verify_token, and read a
// notification only with its X-Hub-Signature-256 under the channel's
// app_secret. It also builds the requests Meta sends and reads Meta's
// signature vector (channel/internal/meta/testdata).
package metatest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
	"github.com/switchboardhq/switchboard/channel/internal/meta"
)

// Vector is a body with its signature under an app secret.
type Vector struct {
	AppSecret string `json:"app_secret"`
	Body      string `json:"body"`
	Signature string `json:"signature"`
}

// LoadVector reads the signature vector of channel/internal/meta/testdata.
func LoadVector(t testing.TB) Vector {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	var v Vector
	path := filepath.Join(filepath.Dir(here), "..", "testdata", "signature_vector.json")
	if err := json.Unmarshal(channeltest.ReadFile(t, path), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Notification is a POST as Meta sends it, body signed with appSecret,
// arriving at now.
func Notification(appSecret string, body []byte, now time.Time) *switchboard.HookRequest {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(meta.HeaderSignature, meta.Signature(appSecret, body))
	return &switchboard.HookRequest{Method: http.MethodPost, Header: h, Body: body, Now: now}
}

// Handshake is the GET Meta sends when the callback URL is saved.
func Handshake(q url.Values, now time.Time) *switchboard.HookRequest {
	return &switchboard.HookRequest{
		Method: http.MethodGet,
		URL:    "https://sb.example.com/hooks/channels/ch_test?" + q.Encode(),
		Header: http.Header{},
		Query:  q,
		Now:    now,
	}
}

// Signatures checks that a reads body, a notification, only with its
// signature under the app_secret of the channel newChannel returns, and
// gets past the signature of Meta's vector to refuse its body, which is no
// notification. Every refusal is unauthorized, without a result.
func Signatures(t *testing.T, a switchboard.ChannelAdapter, newChannel func(baseURL string) *switchboard.Channel, body []byte) {
	secret := newChannel("").Setting("app_secret")
	good := meta.Signature(secret, body)
	if _, err := a.HandleHook(context.Background(), newChannel(""), post(good, body)); err != nil {
		t.Fatalf("the right signature: %v", err)
	}
	upperHex := "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256="))
	if _, err := a.HandleHook(context.Background(), newChannel(""), post(upperHex, body)); err != nil {
		t.Fatalf("upper-case hex: %v", err)
	}
	v := LoadVector(t)
	ch := newChannel("")
	ch.Secrets["app_secret"] = v.AppSecret
	_, err := a.HandleHook(context.Background(), ch, post(v.Signature, []byte(v.Body)))
	channeltest.WantCode(t, err, switchboard.EInvalid)

	tampered := bytes.Clone(body)
	tampered[len(tampered)/2] ^= 1
	tests := []struct {
		name, secret, header string
		body                 []byte
	}{
		{"no app secret configured", "", good, body},
		{"missing header", secret, "", body},
		{"wrong secret", "another-secret", good, body},
		{"tampered body", secret, good, tampered},
		{"body with a trailing newline", secret, good, append(bytes.Clone(body), '\n')},
		{"no sha256= prefix", secret, strings.TrimPrefix(good, "sha256="), body},
		{"upper-case prefix", secret, "SHA256=" + strings.TrimPrefix(good, "sha256="), body},
		{"sha1= prefix", secret, "sha1=" + strings.TrimPrefix(good, "sha256="), body},
		{"not hex", secret, "sha256=zz" + good[9:], body},
		{"truncated", secret, good[:len(good)-2], body},
		{"empty digest", secret, "sha256=", body},
		{"signature of the empty body", secret, meta.Signature(secret, nil), body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := newChannel("")
			ch.Secrets["app_secret"] = tt.secret
			res, err := a.HandleHook(context.Background(), ch, post(tt.header, tt.body))
			channeltest.WantCode(t, err, switchboard.EUnauthorized)
			if res != nil {
				t.Fatalf("result %+v with an error", res)
			}
		})
	}
}

// post is a notification with the signature header, if any.
func post(signature string, body []byte) *switchboard.HookRequest {
	h := http.Header{}
	if signature != "" {
		h.Set(meta.HeaderSignature, signature)
	}
	return &switchboard.HookRequest{Method: http.MethodPost, Header: h, Body: body}
}

// Challenges checks that a answers the subscription handshake with the
// challenge, as text/plain, only when hub.verify_token is the verify_token
// of the channel newChannel returns and hub.mode is subscribe. The query
// is read from the URL when the request has no parsed one.
func Challenges(t *testing.T, a switchboard.ChannelAdapter, newChannel func(baseURL string) *switchboard.Channel) {
	token := newChannel("").Setting("verify_token")
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {token}, "hub.challenge": {"1158201444"}}
	res, err := a.HandleHook(context.Background(), newChannel(""), Handshake(q, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Response
	if r == nil || r.Status != 200 || r.ContentType != "text/plain; charset=utf-8" || string(r.Body) != "1158201444" ||
		len(res.Messages) != 0 || len(res.Statuses) != 0 {
		t.Fatalf("result = %+v", res)
	}
	req := Handshake(q, time.Now())
	req.Query = nil
	res, err = a.HandleHook(context.Background(), newChannel(""), req)
	if err != nil || string(res.Response.Body) != "1158201444" {
		t.Fatalf("from the URL: %+v, %v", res, err)
	}

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
		{"wrong token", token, full("subscribe", "nope", "42"), switchboard.EForbidden},
		{"token in another case", token, full("subscribe", strings.ToUpper(token), "42"), switchboard.EForbidden},
		{"token prefix", token, full("subscribe", token[:6], "42"), switchboard.EForbidden},
		{"token with suffix", token, full("subscribe", token+" ", "42"), switchboard.EForbidden},
		{"no verify_token configured", "", full("subscribe", token, "42"), switchboard.EForbidden},
		{"missing token", token, full("subscribe", "", "42"), switchboard.EInvalid},
		{"missing challenge", token, full("subscribe", token, ""), switchboard.EInvalid},
		{"missing mode", token, full("", token, "42"), switchboard.EInvalid},
		{"no parameters", token, url.Values{}, switchboard.EInvalid},
		{"mode unsubscribe", token, full("unsubscribe", token, "42"), switchboard.EInvalid},
		{"mode in capitals", token, full("SUBSCRIBE", token, "42"), switchboard.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := newChannel("")
			ch.Secrets["verify_token"] = tt.configured
			res, err := a.HandleHook(context.Background(), ch, Handshake(tt.q, time.Now()))
			channeltest.WantCode(t, err, tt.code)
			if res != nil {
				t.Fatalf("result %+v with an error", res)
			}
		})
	}
}
