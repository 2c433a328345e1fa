package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/slack"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// hookPath is the path of a channel's inbound hook.
func hookPath(channelID string) string { return "/hooks/channels/" + channelID }

// runJobs runs the pipeline's due jobs (the bot turns and the sends).
func (e *env) runJobs() {
	e.t.Helper()
	if _, err := e.pipe.RunDue(e.t.Context()); err != nil {
		e.t.Fatal(err)
	}
}

// telegramSetup creates a builtin bot and a Telegram channel answered by it,
// talking to a fake Bot API; it returns the channel id and its generated
// secret token.
func (e *env) telegramSetup(t *testing.T, tg *telegramtest.Server) (string, string) {
	botID := e.must(201, "POST", "/api/v1/bots", e.admin, builtinBot).str(t, "id")
	ch := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{
		"type": "telegram", "name": "Support", "bot_id": botID,
		"config": map[string]any{"bot_token": "123:TEST", "api_base_url": tg.URL},
	}).obj(t)
	token, _ := ch["config"].(map[string]any)["secret_token"].(string)
	if token == "" {
		t.Fatalf("the create response shows no generated secret_token: %v", ch)
	}
	return ch["id"].(string), token
}

// TestTelegramHook drives a Telegram channel end to end over HTTP:
// registration, refused requests that store nothing, an update answered by
// the bot, a repeat dropped, and the events in order.
func TestTelegramHook(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL, platformsOnLoopback)
		tg := telegramtest.NewServer()
		defer tg.Close()
		chID, token := e.telegramSetup(t, tg)

		got := e.must(200, "POST", "/api/v1/channels/"+chID+"/register", e.admin, nil).obj(t)
		calls := tg.Calls("setWebhook")
		if len(calls) != 1 || calls[0].Body["url"] != "https://sb.example.com/hooks/channels/"+chID ||
			calls[0].Body["secret_token"] != token || got["status"] != "connected" {
			t.Fatalf("setWebhook calls %+v, channel %v", calls, got)
		}

		before := e.snapshot(t)
		update := telegramtest.Update(9001, 42, "Ada", "hello")
		for _, tc := range []struct {
			name   string
			path   string
			body   string
			header []string
			status int
			code   string
		}{
			{"no secret token", hookPath(chID), string(update), nil, 401, sb.EUnauthorized},
			{"wrong secret token", hookPath(chID), string(update), []string{telegram.HeaderSecretToken, token + "x"}, 401, sb.EUnauthorized},
			{"malformed", hookPath(chID), `{"update_id": 1, "message": `, []string{telegram.HeaderSecretToken, token}, 400, sb.EInvalid},
			{"no update_id", hookPath(chID), `{"message":{}}`, []string{telegram.HeaderSecretToken, token}, 400, sb.EInvalid},
			{"oversized", hookPath(chID), `{"update_id":1,"x":"` + strings.Repeat("a", 1<<20) + `"}`, []string{telegram.HeaderSecretToken, token}, 413, sb.EPayloadTooLarge},
			{"unknown channel", hookPath("ch_01ARZ3NDEKTSV4RRFFQ69G5FAV"), string(update), []string{telegram.HeaderSecretToken, token}, 404, sb.ENotFound},
			{"not a channel id", "/hooks/channels/nope", string(update), []string{telegram.HeaderSecretToken, token}, 404, sb.ENotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.call("POST", tc.path, "", tc.body, tc.header...).problem(t, tc.status, tc.code, "")
			})
		}
		e.runJobs()
		if after := e.snapshot(t); after != before {
			t.Fatalf("refused hooks stored something:\nbefore %s\nafter  %s", before, after)
		}

		r := e.must(200, "POST", hookPath(chID), "", string(update), telegram.HeaderSecretToken, token)
		if string(r.body) != "{}" {
			t.Fatalf("ack body %q", r.body)
		}
		e.must(200, "POST", hookPath(chID), "", string(update), telegram.HeaderSecretToken, token) // Telegram retries
		e.runJobs()
		sent := tg.Calls("sendMessage")
		if len(sent) != 1 || sent[0].ChatID() != "42" || sent[0].Text() != "Hello!" {
			t.Fatalf("sendMessage calls: %+v", sent)
		}
		evs := e.must(200, "GET", "/api/v1/events?limit=10", e.admin, nil).data(t)
		var types []string
		for i := len(evs) - 1; i >= 0; i-- {
			types = append(types, evs[i]["event"].(string))
		}
		want := "bot.trained bot.deployed integration.connected conversation.started message.received message.sent"
		if strings.Join(types, " ") != want {
			t.Fatalf("events %v, want %s", types, want)
		}
		convs := e.must(200, "GET", "/api/v1/conversations?channel_id="+chID, e.admin, nil).data(t)
		msgs := e.must(200, "GET", "/api/v1/conversations/"+convs[0]["id"].(string)+"/messages", e.admin, nil).data(t)
		if len(convs) != 1 || len(msgs) != 2 || msgs[0]["status"] != "sent" || msgs[1]["external_id"] != "9001" {
			t.Fatalf("conversations %v, messages %v", convs, msgs)
		}

		// A disconnected channel refuses its hook.
		e.must(200, "PATCH", "/api/v1/channels/"+chID, e.admin, `{"status":"disconnected"}`)
		e.call("POST", hookPath(chID), "", string(telegramtest.Update(9002, 42, "Ada", "hi")), telegram.HeaderSecretToken, token).
			problem(t, 409, sb.EConflict, "")
	})
}

// TestSlackHook: the url_verification handshake, signed events, replays
// outside the five-minute window, bad signatures, and Slack's own bot
// messages.
func TestSlackHook(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db", platformsOnLoopback)
	const signing = "8f742231b10e8888abcd99yyyzzz85a5"
	var mu sync.Mutex
	var posted []map[string]any
	slackAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		posted = append(posted, body)
		mu.Unlock()
		io.WriteString(w, `{"ok":true,"channel":"D06L2M7QK8Z","ts":"1736933401.000100","message":{"text":"x"}}`)
	}))
	defer slackAPI.Close()
	botID := e.must(201, "POST", "/api/v1/bots", e.admin, builtinBot).str(t, "id")
	chID := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "slack", "name": "Slack", "bot_id": botID,
		"config": map[string]any{"bot_token": "xoxb-test", "signing_secret": signing, "api_base_url": slackAPI.URL}}).str(t, "id")
	signed := func(body string, at time.Time) []string {
		ts := strconv.FormatInt(at.Unix(), 10)
		return []string{slack.HeaderTimestamp, ts, slack.HeaderSignature, slack.Signature(signing, ts, []byte(body))}
	}

	challenge := `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	r := e.must(200, "POST", hookPath(chID), "", challenge, signed(challenge, time.Now())...)
	if string(r.body) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("challenge answered %q (%s)", r.body, r.header.Get("Content-Type"))
	}

	event := `{"type":"event_callback","api_app_id":"A1","event_id":"Ev1","authorizations":[{"user_id":"UBOT","is_bot":true}],` +
		`"event":{"type":"message","user":"U42","text":"hello","ts":"1736933400.719859","channel":"D06L2M7QK8Z","channel_type":"im"}}`
	before := e.snapshot(t)
	e.call("POST", hookPath(chID), "", event, signed(event, time.Now().Add(-6*time.Minute))...).problem(t, 401, sb.EUnauthorized, "")
	e.call("POST", hookPath(chID), "", event, signed(event+" ", time.Now())...).problem(t, 401, sb.EUnauthorized, "")
	e.call("POST", hookPath(chID), "", event).problem(t, 401, sb.EUnauthorized, "")
	if after := e.snapshot(t); after != before {
		t.Fatal("refused Slack requests stored something")
	}
	e.must(200, "POST", hookPath(chID), "", event, signed(event, time.Now())...)
	e.must(200, "POST", hookPath(chID), "", event, signed(event, time.Now())...) // Slack retries with the same event_id
	own := strings.Replace(strings.Replace(event, `"user":"U42"`, `"user":"UBOT"`, 1), "Ev1", "Ev2", 1)
	e.must(200, "POST", hookPath(chID), "", own, signed(own, time.Now())...) // the app's own message: ignored
	e.runJobs()
	mu.Lock()
	defer mu.Unlock()
	if len(posted) != 1 || posted[0]["channel"] != "D06L2M7QK8Z" || posted[0]["text"] != "Hello!" {
		t.Fatalf("chat.postMessage calls: %v", posted)
	}
}

// TestAPIChannelHook: the api channel's Standard Webhooks signature, its
// replay window, strict bodies, and the signed callback with the reply.
func TestAPIChannelHook(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL, platformsOnLoopback)
		var mu sync.Mutex
		var callbacks [][]byte
		var secret string
		app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			key, _ := signature.Key(secret)
			if err := signature.Verify(key, r.Header, body, time.Now(), signature.DefaultTolerance); err != nil {
				t.Errorf("callback signature: %v", err)
			}
			mu.Lock()
			callbacks = append(callbacks, body)
			mu.Unlock()
		}))
		defer app.Close()
		botID := e.must(201, "POST", "/api/v1/bots", e.admin, builtinBot).str(t, "id")
		ch := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "api", "name": "App", "bot_id": botID,
			"config": map[string]any{"callback_url": app.URL}}).obj(t)
		chID := ch["id"].(string)
		secret = ch["config"].(map[string]any)["secret"].(string)
		key, _ := signature.Key(secret)
		signed := func(id, body string, at time.Time) []string {
			h := http.Header{}
			signature.SetHeaders(h, [][]byte{key}, id, at, []byte(body))
			return []string{"webhook-id", h.Get("webhook-id"), "webhook-timestamp", h.Get("webhook-timestamp"), "webhook-signature", h.Get("webhook-signature")}
		}
		body := `{"message_id":"m-1","user_id":"u-42","text":"hello","user":{"name":"Ada","email":"ada@example.com"}}`
		before := e.snapshot(t)
		e.call("POST", hookPath(chID), "", body, signed("wh1", body, time.Now().Add(-10*time.Minute))...).problem(t, 401, sb.EUnauthorized, "")
		e.call("POST", hookPath(chID), "", body).problem(t, 401, sb.EUnauthorized, "")
		bad := `{"message_id":"m-1","user_id":"u-42","txt":"hello"}`
		e.call("POST", hookPath(chID), "", bad, signed("wh1", bad, time.Now())...).problem(t, 400, sb.EInvalid, "txt")
		if after := e.snapshot(t); after != before {
			t.Fatal("refused requests stored something")
		}
		e.must(200, "POST", hookPath(chID), "", body, signed("wh1", body, time.Now())...)
		e.must(200, "POST", hookPath(chID), "", body, signed("wh2", body, time.Now())...) // same message_id
		e.runJobs()
		mu.Lock()
		defer mu.Unlock()
		if len(callbacks) != 1 || !bytes.Contains(callbacks[0], []byte(`"user_id":"u-42","text":"Hello!"`)) {
			t.Fatalf("callbacks: %s", callbacks)
		}
		contacts := e.must(200, "GET", "/api/v1/contacts?channel_id="+chID, e.admin, nil).data(t)
		if len(contacts) != 1 || contacts[0]["name"] != "Ada" || contacts[0]["email"] != "ada@example.com" {
			t.Fatalf("contacts: %v", contacts)
		}
	})
}

// TestRegisterRefusals: channel types that cannot be registered, a
// platform's refusal, and a platform out of reach.
func TestRegisterRefusals(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db", platformsOnLoopback)
	slackID := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "slack", "name": "S",
		"config": map[string]any{"bot_token": "x", "signing_secret": "y"}}).str(t, "id")
	e.call("POST", "/api/v1/channels/"+slackID+"/register", e.admin, nil).problem(t, 400, sb.EInvalid, "type")

	tg := telegramtest.NewServer()
	tg.SetReply(func(c telegramtest.Call, n int) telegramtest.Reply {
		return telegramtest.Reply{Status: 400, Body: `{"ok":false,"error_code":400,"description":"Bad Request: bad webhook: An HTTPS URL must be provided for webhook"}`}
	})
	chID, _ := e.telegramSetup(t, tg)
	r := e.call("POST", "/api/v1/channels/"+chID+"/register", e.admin, nil)
	r.problem(t, 400, sb.EInvalid, "")
	if !strings.Contains(string(r.body), "An HTTPS URL must be provided") {
		t.Fatalf("the platform's reason is not given: %s", r.body)
	}
	tg.Close()
	e.call("POST", "/api/v1/channels/"+chID+"/register", e.admin, nil).problem(t, 422, sb.EUnprocessable, "")
	evs := e.must(200, "GET", "/api/v1/events?type=integration.*", e.admin, nil).data(t)
	if len(evs) != 0 {
		t.Fatalf("failed registrations emitted %v", evs)
	}
}

// TestMessagesFromTheAPIAreSent: a message posted through the API is
// queued in the same transaction as its send, and sent.
func TestMessagesFromTheAPIAreSent(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL, platformsOnLoopback)
		tg := telegramtest.NewServer()
		defer tg.Close()
		chID, token := e.telegramSetup(t, tg)
		e.must(200, "POST", hookPath(chID), "", string(telegramtest.Update(1, 42, "Ada", "xyzzy")), telegram.HeaderSecretToken, token)
		e.runJobs()
		convID := e.must(200, "GET", "/api/v1/conversations?channel_id="+chID, e.admin, nil).data(t)[0]["id"].(string)
		e.must(200, "PUT", "/api/v1/conversations/"+convID, e.admin, `{"status":"handoff","assignee":"ann@example.com"}`)
		msg := e.must(202, "POST", "/api/v1/conversations/"+convID+"/messages", e.admin, `{"text":"Ann here.","sender":"agent"}`).obj(t)
		if msg["status"] != "queued" {
			t.Fatalf("posted message: %v", msg)
		}
		proactive := e.must(202, "POST", "/api/v1/messages", e.admin, map[string]any{"channel_id": chID, "user_id": "77", "text": "News!"}).obj(t)
		e.runJobs()
		var texts []string
		for _, c := range tg.Calls("sendMessage") {
			texts = append(texts, c.ChatID()+":"+c.Text())
		}
		if strings.Join(texts, "|") != "42:Sorry?|42:Ann here.|77:News!" {
			t.Fatalf("sent %v", texts)
		}
		got := e.must(200, "GET", "/api/v1/conversations/"+convID+"/messages/"+msg["id"].(string), e.admin, nil).obj(t)
		if got["status"] != "sent" || got["external_id"] == nil {
			t.Fatalf("message after the send: %v", got)
		}
		pconv := proactive["conversation_id"].(string)
		if e.must(200, "GET", "/api/v1/conversations/"+pconv+"/messages/"+proactive["id"].(string), e.admin, nil).str(t, "status") != "sent" {
			t.Fatal("the proactive message was not sent")
		}
	})
}

// TestWebhookBotSecret: a webhook bot's signing secret is generated on
// create and shown once; one given is kept and never shown.
func TestWebhookBotSecret(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	b := e.must(201, "POST", "/api/v1/bots", e.admin, `{"name":"w","engine":"webhook","config":{"url":"https://bots.example.com/hook"}}`).obj(t)
	secret, _ := b["config"].(map[string]any)["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("create response: %v", b)
	}
	got := e.must(200, "GET", "/api/v1/bots/"+b["id"].(string), e.admin, nil).obj(t)
	if _, shown := got["config"].(map[string]any)["secret"]; shown {
		t.Fatal("the secret is shown again")
	}
	mine := signature.NewSecret()
	b2 := e.must(201, "POST", "/api/v1/bots", e.admin, map[string]any{"name": "w", "engine": "webhook",
		"config": map[string]any{"url": "https://bots.example.com/hook", "secret": mine}}).obj(t)
	if strings.Contains(string(mustJSON(b2)), mine) {
		t.Fatal("a given secret is returned")
	}
	e.call("POST", "/api/v1/bots", e.admin, `{"name":"w","engine":"webhook","config":{"url":"https://x.example","secret":"nope"}}`).
		problem(t, 400, sb.EInvalid, "config.secret")
	e.must(200, "PUT", "/api/v1/bots/"+b["id"].(string)+"/config", e.admin, `{"url":"https://bots.example.com/v2"}`)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
