package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

const (
	testSecret   = "e3b6d0a1c2f84b5e9d7a6c5b4a392817"
	testBotToken = "xoxb-6101511862-6673156213-TestTokenAcmeHelp"
)

// testNow is when the signed test requests arrive.
var testNow = time.Unix(1736934000, 0)

func testChannel(baseURL string) *switchboard.Channel {
	return &switchboard.Channel{
		ID:      "ch_test",
		Type:    switchboard.ChannelSlack,
		Config:  map[string]any{"api_base_url": baseURL},
		Secrets: map[string]string{"bot_token": testBotToken, "signing_secret": testSecret},
	}
}

// signed is a request as Slack sends it, signed with testSecret at ts.
func signed(body []byte, ts time.Time) *switchboard.HookRequest {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderTimestamp, stamp)
	h.Set(HeaderSignature, Signature(testSecret, stamp, body))
	return &switchboard.HookRequest{Method: http.MethodPost, Header: h, Body: body, Now: testNow}
}

type vector struct {
	SigningSecret string `json:"signing_secret"`
	Timestamp     string `json:"timestamp"`
	Body          string `json:"body"`
	Signature     string `json:"signature"`
}

func loadVector(t testing.TB) vector {
	var v vector
	if err := json.Unmarshal(channeltest.ReadFile(t, "testdata/signature_vector.json"), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v vector) header() http.Header {
	h := http.Header{}
	h.Set(HeaderTimestamp, v.Timestamp)
	h.Set(HeaderSignature, v.Signature)
	return h
}

func (v vector) time(offset time.Duration) time.Time {
	secs, _ := strconv.ParseInt(v.Timestamp, 10, 64)
	return time.Unix(secs, 0).Add(offset)
}

func TestSignatureVector(t *testing.T) {
	v := loadVector(t)
	if got := Signature(v.SigningSecret, v.Timestamp, []byte(v.Body)); got != v.Signature {
		t.Fatalf("Signature = %s, want %s", got, v.Signature)
	}
	if err := Verify(v.SigningSecret, v.header(), []byte(v.Body), v.time(time.Minute)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// The vector is a slash command (a form body): HandleHook gets past the
	// signature and refuses the body as not JSON.
	ch := testChannel("")
	ch.Secrets["signing_secret"] = v.SigningSecret
	req := &switchboard.HookRequest{Header: v.header(), Body: []byte(v.Body), Now: v.time(0)}
	_, err := New(nil).HandleHook(context.Background(), ch, req)
	channeltest.WantCode(t, err, switchboard.EInvalid)
}

func TestVerifyRejects(t *testing.T) {
	v := loadVector(t)
	body := []byte(v.Body)
	with := func(name, value string) http.Header {
		h := v.header()
		if value == "" {
			h.Del(name)
		} else {
			h.Set(name, value)
		}
		return h
	}
	tests := []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		now    time.Time
	}{
		{"no signing secret configured", "", v.header(), body, v.time(0)},
		{"wrong secret", testSecret, v.header(), body, v.time(0)},
		{"tampered body", v.SigningSecret, v.header(), append(bytes.Clone(body), '&'), v.time(0)},
		{"missing signature", v.SigningSecret, with(HeaderSignature, ""), body, v.time(0)},
		{"missing timestamp", v.SigningSecret, with(HeaderTimestamp, ""), body, v.time(0)},
		{"timestamp not a number", v.SigningSecret, with(HeaderTimestamp, "1531420618.5"), body, v.time(0)},
		{"timestamp changed", v.SigningSecret, with(HeaderTimestamp, "1531420619"), body, v.time(0)},
		{"stale by 301 s", v.SigningSecret, v.header(), body, v.time(301 * time.Second)},
		{"future by 301 s", v.SigningSecret, v.header(), body, v.time(-301 * time.Second)},
		{"no v0= prefix", v.SigningSecret, with(HeaderSignature, strings.TrimPrefix(v.Signature, "v0=")), body, v.time(0)},
		{"v1= prefix", v.SigningSecret, with(HeaderSignature, "v1="+strings.TrimPrefix(v.Signature, "v0=")), body, v.time(0)},
		{"not hex", v.SigningSecret, with(HeaderSignature, "v0=zz"+v.Signature[5:]), body, v.time(0)},
		{"truncated", v.SigningSecret, with(HeaderSignature, v.Signature[:len(v.Signature)-2]), body, v.time(0)},
		{"empty signature", v.SigningSecret, with(HeaderSignature, "v0="), body, v.time(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			channeltest.WantCode(t, Verify(tt.secret, tt.header, tt.body, tt.now), switchboard.EUnauthorized)
			ch := testChannel("")
			ch.Secrets["signing_secret"] = tt.secret
			req := &switchboard.HookRequest{Header: tt.header, Body: tt.body, Now: tt.now}
			res, err := New(nil).HandleHook(context.Background(), ch, req)
			channeltest.WantCode(t, err, switchboard.EUnauthorized)
			if res != nil {
				t.Fatalf("result %+v with an error", res)
			}
		})
	}
}

func TestVerifyWindowEdges(t *testing.T) {
	v := loadVector(t)
	for _, off := range []time.Duration{-300 * time.Second, 0, 300 * time.Second} {
		if err := Verify(v.SigningSecret, v.header(), []byte(v.Body), v.time(off)); err != nil {
			t.Errorf("offset %v: %v", off, err)
		}
	}
}

type goldenMessage struct {
	ExternalID string                  `json:"external_id"`
	Kind       string                  `json:"kind"`
	Text       string                  `json:"text"`
	Thread     string                  `json:"thread"`
	Contact    switchboard.ContactInfo `json:"contact"`
	RawIsBody  bool                    `json:"raw_is_body"`
}

type goldenResult struct {
	Response *channeltest.GoldenResponse `json:"response"`
	Messages []goldenMessage             `json:"messages"`
}

func TestHandleHookGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/events/*.json")
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body := channeltest.ReadFile(t, file)
			res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed(body, testNow.Add(-2*time.Second)))
			if err != nil {
				t.Fatal(err)
			}
			got := goldenResult{Messages: []goldenMessage{}}
			if r := res.Response; r != nil {
				got.Response = &channeltest.GoldenResponse{Status: r.Status, ContentType: r.ContentType, Body: string(r.Body)}
			}
			for _, m := range res.Messages {
				got.Messages = append(got.Messages, goldenMessage{m.ExternalID, m.Kind, m.Text, m.Thread, m.Contact, bytes.Equal(m.Raw, body)})
			}
			channeltest.CompareGolden(t, strings.TrimSuffix(file, ".json")+".golden", got)
		})
	}
}

func TestURLVerification(t *testing.T) {
	res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed(channeltest.ReadFile(t, "testdata/events/url_verification.json"), testNow))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Response
	if r == nil || r.Status != 200 || !strings.HasPrefix(r.ContentType, "text/plain") ||
		string(r.Body) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" || len(res.Messages) != 0 {
		t.Fatalf("result = %+v", res)
	}
}

func TestHandleHookInvalid(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"empty", ``, "body"},
		{"not JSON", `payload=%7B%7D`, "body"},
		{"truncated", `{"type":"event_callback","event":{`, "body"},
		{"array", `[]`, "body"},
		{"type is a number", `{"type": 1}`, "type"},
		{"challenge missing", `{"type":"url_verification","token":"x"}`, "challenge"},
		{"no event_id", `{"type":"event_callback","event":{"type":"message","user":"U1","channel":"D1","ts":"1.2","text":"hi"}}`, "event_id"},
		{"no event", `{"type":"event_callback","event_id":"Ev1"}`, "event"},
		{"event is a string", `{"type":"event_callback","event_id":"Ev1","event":"message"}`, "event"},
		{"text is a number", `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","text":5}}`, "event.text"},
		{"no channel", `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","user":"U1","ts":"1.2","text":"hi"}}`, "event.channel"},
		{"authorizations not a list", `{"type":"event_callback","event_id":"Ev1","authorizations":{}}`, "authorizations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(nil).HandleHook(context.Background(), testChannel(""), signed([]byte(tt.body), testNow))
			channeltest.WantField(t, err, tt.field)
		})
	}
}

func TestHandleHookIgnoresBots(t *testing.T) {
	base := `{"type":"event_callback","event_id":"Ev1","api_app_id":"A1",
		"authorizations":[{"user_id":"UBOT","is_bot":true},{"user_id":"UHUMAN","is_bot":false}],
		"event":{"type":"message","channel":"C1","ts":"1.2","text":"hi",%s}}`
	for _, fields := range []string{
		`"user":"UBOT"`,
		`"user":"U9","bot_id":"B1"`,
		`"subtype":"bot_message","bot_id":"B2"`,
		`"subtype":"bot_message","user":"U9"`,
		`"user":"U9","app_id":"A1"`,
	} {
		body := []byte(strings.Replace(base, "%s", fields, 1))
		res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed(body, testNow))
		if err != nil || len(res.Messages) != 0 {
			t.Errorf("%s: got %+v, %v; want no messages", fields, res, err)
		}
	}
	// A human who is the installing user is not a bot.
	body := []byte(strings.Replace(base, "%s", `"user":"UHUMAN"`, 1))
	res, err := New(nil).HandleHook(context.Background(), testChannel(""), signed(body, testNow))
	if err != nil || len(res.Messages) != 1 {
		t.Errorf("human message: got %+v, %v", res, err)
	}
}

func TestPlainText(t *testing.T) {
	bots := []string{"UBOT"}
	for in, want := range map[string]string{
		"<@UBOT> hello":                "hello",
		"  <@UBOT>   hello  ":          "hello",
		"hello <@UBOT>":                "hello <@UBOT>",
		"<@UOTHER> hello":              "<@UOTHER> hello",
		"a &lt; b &amp;&amp; c &gt; d": "a < b && c > d",
		"&amp;lt;":                     "&lt;",
	} {
		if got := plainText(in, bots); got != want {
			t.Errorf("plainText(%q) = %q, want %q", in, got, want)
		}
	}
}
