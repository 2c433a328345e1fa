package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

func turn(url, secret string) *sb.BotTurn {
	cfg, _ := json.Marshal(map[string]string{"url": url})
	return &sb.BotTurn{
		Bot:          &sb.Bot{ID: "bot_1", Engine: sb.EngineWebhook, Config: cfg, Secrets: map[string]string{"secret": secret}},
		Conversation: &sb.Conversation{ID: "conv_1", Status: sb.ConversationActive, Metadata: map[string]any{}},
		Contact:      &sb.Contact{ID: "ct_1", ExternalID: "u-1", Attributes: map[string]any{}},
		Message:      &sb.Message{ID: "msg_1", Text: "hi"},
		Attempt:      2,
	}
}

func replyErr(t *testing.T, err error) *sb.ReplyError {
	t.Helper()
	var re *sb.ReplyError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a *ReplyError", err)
	}
	return re
}

func TestAnswers(t *testing.T) {
	secret := signature.NewSecret()
	key, _ := signature.Key(secret)
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		header  http.Header
		replies []string
		handoff bool
		retry   bool // error, retryable
		final   bool // error, not retryable
		after   time.Duration
	}{
		{name: "replies", status: 200, body: `{"replies":[{"text":"a"},{"text":"b"}]}`, replies: []string{"a", "b"}},
		{name: "handoff", status: 200, body: `{"replies":[],"handoff":true}`, handoff: true},
		{name: "empty 200", status: 200, body: ""},
		{name: "202", status: 202, body: `{"queued":true}`},
		{name: "204", status: 204},
		{name: "bad shape", status: 200, body: `{"replies":{}}`, final: true},
		{name: "not json", status: 200, body: `<html>`, final: true},
		{name: "500", status: 500, body: "boom", retry: true},
		{name: "429 with Retry-After", status: 429, header: http.Header{"Retry-After": {"30"}}, retry: true, after: 30 * time.Second},
		{name: "404", status: 404, retry: true},
		{name: "redirect not followed", status: 302, header: http.Header{"Location": {"https://elsewhere.example/"}}, retry: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if err := signature.Verify(key, r.Header, body, time.Now(), signature.DefaultTolerance); err != nil {
					t.Errorf("signature: %v", err)
				}
				if r.Header.Get("X-Attempt") != "2" || r.Header.Get("webhook-id") != "msg_1" || r.Header.Get("User-Agent") != "Switchboard/v9" {
					t.Errorf("headers: %v", r.Header)
				}
				for k, v := range tc.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			e := New(egress.NewClient(egress.Policy{AllowPrivate: true}, time.Second), "v9")
			a, err := e.Reply(context.Background(), turn(srv.URL, secret))
			switch {
			case tc.retry || tc.final:
				re := replyErr(t, err)
				if re.Retryable != tc.retry || re.RetryAfter != tc.after {
					t.Fatalf("error %+v", re)
				}
			case err != nil:
				t.Fatal(err)
			case strings.Join(a.Replies, "|") != strings.Join(tc.replies, "|") || a.Handoff != tc.handoff:
				t.Fatalf("answer %+v", a)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	// The default client refuses loopback: final, naming the setting.
	_, err := New(nil, "v").Reply(context.Background(), turn(srv.URL, signature.NewSecret()))
	if re := replyErr(t, err); re.Retryable || !strings.Contains(re.Message, "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE") {
		t.Fatalf("loopback: %+v", re)
	}
	// No secret: nothing is sent unsigned.
	_, err = New(egress.NewClient(egress.Policy{AllowPrivate: true}, time.Second), "v").Reply(context.Background(), turn(srv.URL, ""))
	if re := replyErr(t, err); re.Retryable || !strings.Contains(re.Message, "secret") {
		t.Fatalf("no secret: %+v", re)
	}
	// Nobody listening: retryable.
	srv.Close()
	_, err = New(egress.NewClient(egress.Policy{AllowPrivate: true}, time.Second), "v").Reply(context.Background(), turn(srv.URL, signature.NewSecret()))
	if re := replyErr(t, err); !re.Retryable || strings.Contains(re.Message, srv.URL) {
		t.Fatalf("connection refused: %+v", re)
	}
}

// TestParseConfig: url must be an http(s) URL and secret a whsec_ secret;
// the secret is split out of the public configuration, and one is made
// (and shown once) when a bot is created without one.
func TestParseConfig(t *testing.T) {
	e := New(nil, "test")
	if e.Name() != sb.EngineWebhook {
		t.Fatalf("name %q", e.Name())
	}
	secret := signature.NewSecret()
	public, secrets, err := e.ParseConfig(json.RawMessage(`{"url":"https://bots.example.com/hook","secret":"` + secret + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(public) != `{"url":"https://bots.example.com/hook"}` || secrets["secret"] != secret {
		t.Fatalf("public %s, secrets %v", public, secrets)
	}
	for raw, field := range map[string]string{
		``:                  "config.url",
		`{"url":"ftp://x"}`: "config.url",
		`{"url":"https://x.example","secret":"no"}`: "config.secret",
		`{"url":"https://x.example","sekret":"x"}`:  "config.sekret",
	} {
		_, _, err := e.ParseConfig(json.RawMessage(raw))
		var se *sb.Error
		if !errors.As(err, &se) || se.Code != sb.EInvalid || se.Fields[0].Field != field {
			t.Errorf("%s: %v, want invalid %s", raw, err, field)
		}
	}
	made := map[string]string{}
	shown := e.GenerateSecrets(made)
	if _, err := signature.Key(made["secret"]); err != nil || shown["secret"] != made["secret"] {
		t.Fatalf("generated %v, shown %v", made, shown)
	}
	if shown := e.GenerateSecrets(map[string]string{"secret": secret}); len(shown) != 0 {
		t.Fatalf("a given secret was replaced: %v", shown)
	}
}

// TestLegacyFormsRefusedAtOnce: a url in a legacy numeric form or under
// localhost is refused at connect time as final, not retried as a DNS
// failure.
func TestLegacyFormsRefusedAtOnce(t *testing.T) {
	for _, u := range []string{"http://2130706433:1/b", "http://0x7f000001:1/b", "http://127.1:1/b", "http://0:1/b", "http://LOCALHOST.:1/b", "http://foo.localhost:1/b"} {
		_, err := New(nil, "v").Reply(context.Background(), turn(u, signature.NewSecret()))
		if re := replyErr(t, err); re.Retryable || !strings.Contains(re.Message, "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE") {
			t.Errorf("%s: %+v", u, re)
		}
	}
}

func TestOutboundURLs(t *testing.T) {
	e := New(nil, "v")
	if got := e.OutboundURLs([]byte(`{"url":"http://127.0.0.1/x"}`)); got["config.url"] != "http://127.0.0.1/x" || len(got) != 1 {
		t.Fatalf("OutboundURLs = %v", got)
	}
	for _, raw := range []string{`{}`, `{"url":"/relative"}`, `{"url":5}`, `nope`} {
		if got := e.OutboundURLs([]byte(raw)); len(got) != 0 {
			t.Errorf("OutboundURLs(%s) = %v", raw, got)
		}
	}
}
