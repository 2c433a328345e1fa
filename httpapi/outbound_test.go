package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// privateForms are spellings of loopback, private, link-local and metadata
// addresses, the legacy numeric ones and the localhost names included.
var privateForms = []string{
	"http://127.0.0.1:1", "http://169.254.169.254/latest/meta-data", "http://10.0.0.7/x", "http://192.168.1.1/x",
	"http://[::1]/x", "http://[::ffff:127.0.0.1]/x", "http://[fd00:ec2::254]/x", "http://0.0.0.0/x",
	"http://2130706433/x", "http://0x7f000001/x", "http://017700000001/x", "http://127.1/x", "http://0/x",
	"http://LOCALHOST./x", "http://foo.localhost/x", "http://127.0.0.1./x",
}

// TestOutboundURLsCheckedAtCreate: api_base_url (every channel type),
// callback_url (api channel) and a webhook bot's url are refused with 400
// naming the field when the address policy refuses them, on create and on
// update; with private addresses allowed the same URLs are accepted.
func TestOutboundURLsCheckedAtCreate(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	for _, u := range privateForms {
		t.Run(u, func(t *testing.T) {
			e.call("POST", "/api/v1/channels", e.admin, map[string]any{"type": "telegram", "name": "T",
				"config": map[string]any{"bot_token": "1:a", "api_base_url": u}}).problem(t, 400, sb.EInvalid, "config.api_base_url")
			e.call("POST", "/api/v1/channels", e.admin, map[string]any{"type": "slack", "name": "S",
				"config": map[string]any{"bot_token": "x", "signing_secret": "y", "api_base_url": u}}).problem(t, 400, sb.EInvalid, "config.api_base_url")
			e.call("POST", "/api/v1/channels", e.admin, map[string]any{"type": "api", "name": "A",
				"config": map[string]any{"callback_url": u}}).problem(t, 400, sb.EInvalid, "config.callback_url")
			e.call("POST", "/api/v1/bots", e.admin, map[string]any{"name": "W", "engine": "webhook",
				"config": map[string]any{"url": u}}).problem(t, 400, sb.EInvalid, "config.url")
		})
	}

	chID := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "api", "name": "A",
		"config": map[string]any{"callback_url": "https://1.2.3.4/cb"}}).str(t, "id")
	e.call("PATCH", "/api/v1/channels/"+chID, e.admin, map[string]any{"config": map[string]any{"callback_url": "http://169.254.169.254/"}}).
		problem(t, 400, sb.EInvalid, "config.callback_url")
	e.call("PATCH", "/api/v1/channels/"+chID, e.admin, map[string]any{"config": map[string]any{"api_base_url": "http://127.1:8080"}}).
		problem(t, 400, sb.EInvalid, "config.api_base_url")
	botID := e.must(201, "POST", "/api/v1/bots", e.admin, map[string]any{"name": "W", "engine": "webhook",
		"config": map[string]any{"url": "https://1.2.3.4/bot"}}).str(t, "id")
	e.call("PUT", "/api/v1/bots/"+botID+"/config", e.admin, map[string]any{"url": "http://foo.localhost/bot"}).
		problem(t, 400, sb.EInvalid, "config.url")
	if got := e.must(200, "GET", "/api/v1/channels/"+chID, e.admin, nil).obj(t)["config"].(map[string]any); got["callback_url"] != "https://1.2.3.4/cb" || got["api_base_url"] != nil {
		t.Fatalf("a refused update changed the channel: %v", got)
	}

	private := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db", platformsOnLoopback)
	for _, u := range []string{"http://127.0.0.1:1", "http://10.0.0.7/x", "http://foo.localhost/x"} {
		private.must(201, "POST", "/api/v1/channels", private.admin, map[string]any{"type": "telegram", "name": "T",
			"config": map[string]any{"bot_token": "1:a", "api_base_url": u}})
		private.must(201, "POST", "/api/v1/channels", private.admin, map[string]any{"type": "api", "name": "A",
			"config": map[string]any{"callback_url": u}})
		private.must(201, "POST", "/api/v1/bots", private.admin, map[string]any{"name": "W", "engine": "webhook",
			"config": map[string]any{"url": u}})
	}
}

// TestPlatformRedirectNotFollowed: a platform API answering 307 to an
// internal URL is not followed (the bot token never goes there), the
// message ends failed, and neither the internal answer nor the redirect's
// body reaches the message's error; a long platform error is cut.
func TestPlatformRedirectNotFollowed(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db", platformsOnLoopback)
	var internalHits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		w.Write([]byte(`{"ok":false,"error":"INTERNAL-ANSWER"}`))
	}))
	defer internal.Close()
	var long atomic.Bool
	slackAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if long.Load() {
			w.Write([]byte(`{"ok":false,"error":"` + strings.Repeat("e", 4000) + `"}`))
			return
		}
		w.Header().Set("Location", internal.URL+"/admin")
		w.WriteHeader(http.StatusTemporaryRedirect)
		w.Write([]byte(`{"ok":false,"error":"REDIRECT-BODY"}`))
	}))
	defer slackAPI.Close()
	chID := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "slack", "name": "S",
		"config": map[string]any{"bot_token": "xoxb-secret", "signing_secret": "s", "api_base_url": slackAPI.URL}}).str(t, "id")

	sendAndRead := func() map[string]any {
		m := e.must(202, "POST", "/api/v1/messages", e.admin, map[string]any{"channel_id": chID, "user_id": "U1", "text": "hi"}).obj(t)
		e.runJobs()
		return e.must(200, "GET", "/api/v1/conversations/"+m["conversation_id"].(string)+"/messages/"+m["id"].(string), e.admin, nil).obj(t)
	}
	got := sendAndRead()
	errText, _ := got["error"].(string)
	if got["status"] != "failed" || errText == "" || strings.Contains(errText, "INTERNAL") || strings.Contains(errText, "REDIRECT-BODY") {
		t.Fatalf("message after a redirect: %v", got)
	}
	if internalHits.Load() != 0 {
		t.Fatalf("the redirect was followed %d times", internalHits.Load())
	}

	long.Store(true)
	got = sendAndRead()
	if errText, _ := got["error"].(string); got["status"] != "failed" || len(errText) > sb.MaxSendErrorText+50 {
		t.Fatalf("message error is %d bytes: %v", len(errText), got["status"])
	}
}

// TestPlatformRefusedAtConnect: a channel whose api_base_url the policy
// refuses (stored before the policy changed) is refused again when called:
// registration answers 422 without "try again", and a send ends failed at
// once, naming the refusal, with nothing retried.
func TestPlatformRefusedAtConnect(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	ch := &sb.Channel{WorkspaceID: e.ws.ID, Type: sb.ChannelTelegram, Name: "t", Status: sb.ChannelConnected,
		Config:  map[string]any{"api_base_url": "http://2130706433:1"},
		Secrets: map[string]string{"bot_token": "1:T", "secret_token": "s"}}
	ch.ID = sb.NewID(sb.PrefixChannel)
	ch.CreatedAt, ch.UpdatedAt = time.Now().UTC(), time.Now().UTC()
	if err := e.db.CreateChannel(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	r := e.call("POST", "/api/v1/channels/"+ch.ID+"/register", e.admin, nil)
	r.problem(t, 422, sb.EUnprocessable, "")
	if !strings.Contains(string(r.body), "not allowed") || strings.Contains(string(r.body), "try again") {
		t.Fatalf("register: %s", r.body)
	}
	m := e.must(202, "POST", "/api/v1/messages", e.admin, map[string]any{"channel_id": ch.ID, "user_id": "1", "text": "hi"}).obj(t)
	e.runJobs()
	got := e.must(200, "GET", "/api/v1/conversations/"+m["conversation_id"].(string)+"/messages/"+m["id"].(string), e.admin, nil).obj(t)
	if errText, _ := got["error"].(string); got["status"] != "failed" || !strings.Contains(errText, "not allowed") {
		t.Fatalf("message: %v", got)
	}
}
