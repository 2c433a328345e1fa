package dashboard_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

// TestChannelsPages: each type's form has exactly its settings, secrets
// as password inputs; a refused form names the field as the API does;
// the inbound URL is shown after create, with the secret Switchboard made
// (once: never on a later page); registration with a fake Telegram; edit
// keeps secrets left empty; disconnect and delete ask first and say what
// stops.
func TestChannelsPages(t *testing.T) {
	s := newAdminStack(t)
	ctx := context.Background()

	body := s.page(t, "/channels", http.StatusOK)
	if !strings.Contains(body, "No channel yet") || !strings.Contains(body, `href="/channels/new"`) {
		t.Fatal("the empty channels page")
	}
	body = s.page(t, "/channels/new", http.StatusOK)
	for _, typ := range []string{"telegram", "slack", "whatsapp", "messenger", "twilio", "webchat", "api"} {
		if !strings.Contains(body, `href="/channels/new?type=`+typ+`"`) {
			t.Errorf("the type list lacks %s", typ)
		}
	}
	s.page(t, "/channels/new?type=carrier-pigeon", http.StatusBadRequest)
	if res, body := s.post(t, "/channels", url.Values{"type": {"carrier-pigeon"}, "name": {"Coop"}}); res.StatusCode != http.StatusBadRequest ||
		!strings.Contains(body, "no channel type carrier-pigeon") {
		t.Fatalf("creating a channel of no type: %d", res.StatusCode)
	}

	// A form per type, made from its spec.
	body = s.page(t, "/channels/new?type=whatsapp", http.StatusOK)
	for _, secret := range []string{"access_token", "app_secret", "verify_token"} {
		if !strings.Contains(body, `<input id="config-`+secret+`" name="config.`+secret+`" type="password"`) {
			t.Errorf("whatsapp's %s is not a password input", secret)
		}
	}
	for _, want := range []string{`name="config.phone_number_id" type="text"`, `name="config.api_base_url" type="url"`,
		`<select id="config-send_guarantee" name="config.send_guarantee"`, `<textarea id="config-allowed_ips" name="config.allowed_ips"`} {
		if !strings.Contains(body, want) {
			t.Errorf("whatsapp's form lacks %s", want)
		}
	}
	if strings.Contains(body, "config.bot_token") {
		t.Error("whatsapp's form has telegram's setting")
	}
	body = s.page(t, "/channels/new?type=webchat", http.StatusOK)
	if strings.Contains(body, "session_secret") || !strings.Contains(body, `name="config.allowed_origins"`) {
		t.Error("the web chat form shows its internal secret, or lacks its origins")
	}

	// Refused: the fields named as the API names them; typed values kept,
	// secrets never echoed.
	res, body := s.post(t, "/channels", url.Values{"type": {"twilio"}, "name": {hostile}, "config.account_sid": {"AC123"},
		"config.auth_token": {"tw-secret-value"}, "config.allowed_ips": {"not-a-cidr"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a twilio channel without from: %d", res.StatusCode)
	}
	checkConsolePage(t, "POST /channels", res, body)
	fieldError(t, "missing from", body, "config.from", "config-from")
	fieldError(t, "bad allowed_ips", body, "config.allowed_ips", "config-allowed_ips")
	if !strings.Contains(body, `value="AC123"`) || strings.Contains(body, "tw-secret-value") || strings.Contains(body, hostile) {
		t.Error("the refused form lost a value, echoed a secret or did not escape the name")
	}

	// The api channel: Switchboard makes its secret, shown once.
	res, body = s.post(t, "/channels", url.Values{"type": {"api"}, "name": {hostile}, "config.callback_url": {"https://example.com/cb"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("create an api channel: %d\n%s", res.StatusCode, body)
	}
	checkConsolePage(t, "POST /channels", res, body)
	id := idIn("ch").FindStringSubmatch(body)[1]
	ch, err := s.app.GetChannel(ctx, s.ws, id)
	if err != nil {
		t.Fatal(err)
	}
	secret := ch.Secrets["secret"]
	if !strings.HasPrefix(secret, "whsec_") || !strings.Contains(html.UnescapeString(body), `value="`+secret+`"`) {
		t.Fatal("the generated secret is not shown after create")
	}
	if !strings.Contains(body, `<input id="webhook-url" type="text" readonly value="`+publicURL+`/hooks/channels/`+id+`"`) {
		t.Fatal("the inbound URL is not shown after create")
	}
	if strings.Contains(body, hostile) || !strings.Contains(body, hostileEscaped) {
		t.Error("the channel's name is not escaped")
	}
	for _, path := range []string{"/channels", "/channels/" + id, "/channels/" + id + "/edit"} {
		if b := s.page(t, path, http.StatusOK); strings.Contains(html.UnescapeString(b), secret) {
			t.Errorf("%s shows the secret again", path)
		}
	}
	if _, body := s.do(t, "GET", "/channels", nil); strings.Contains(body, hostile) || !strings.Contains(body, "api") {
		t.Error("the list does not escape the name or show the type")
	}
	// The api channel's platform is the customer: no registration.
	if res, body := s.post(t, "/channels/"+id+"/register", nil); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "cannot be registered") {
		t.Fatalf("registering an api channel: %d", res.StatusCode)
	}

	// Telegram: registered with one click on a fake Bot API.
	tg := newFakeTelegram(t)
	res, body = s.post(t, "/channels", url.Values{"type": {"telegram"}, "name": {"Support"}, "config.bot_token": {"123:tg-token"},
		"config.api_base_url": {tg.URL}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Register with telegram") {
		t.Fatalf("create a telegram channel: %d\n%s", res.StatusCode, body)
	}
	tgID := idIn("ch").FindStringSubmatch(body)[1]
	if strings.Contains(body, "123:tg-token") {
		t.Error("the bot token is shown")
	}
	res, body = s.post(t, "/channels/"+tgID+"/register", nil)
	_, body = s.follow(t, res, body)
	if !strings.Contains(body, `class="notice"`) || !strings.Contains(body, publicURL+"/hooks/channels/"+tgID) {
		t.Fatal("no notice after registration")
	}
	if got := tg.last(); got["url"] != publicURL+"/hooks/channels/"+tgID || got["secret_token"] == "" {
		t.Fatalf("setWebhook got %v", got)
	}
	tg.refuse("Bad Request: bad webhook: HTTPS url must be provided " + hostile)
	res, body = s.post(t, "/channels/"+tgID+"/register", nil)
	if res.StatusCode < 400 || !strings.Contains(body, "bad webhook") || strings.Contains(body, hostile) {
		t.Fatalf("a refused registration: %d\n%s", res.StatusCode, body)
	}

	// Edit: a secret left empty is kept, an emptied setting removed.
	before, _ := s.app.GetChannel(ctx, s.ws, tgID)
	res, body = s.post(t, "/channels/"+tgID+"/edit", url.Values{"name": {"Support desk"}, "config.bot_token": {""},
		"config.api_base_url": {tg.URL}, "config.allowed_ips": {"203.0.113.0/24\n198.51.100.0/24"}})
	s.follow(t, res, body)
	after, _ := s.app.GetChannel(ctx, s.ws, tgID)
	if after.Name != "Support desk" || after.Secrets["bot_token"] != before.Secrets["bot_token"] || len(after.Config["allowed_ips"].([]any)) != 2 {
		t.Fatalf("after edit: %+v %v", after.Channel, after.Config)
	}
	res, body = s.post(t, "/channels/"+tgID+"/edit", url.Values{"name": {""}, "config.api_base_url": {"ftp://nope"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad edit: %d", res.StatusCode)
	}
	fieldError(t, "bad edit", body, "name", "name")

	// Disconnect, connect, delete: confirmation first.
	confirmFirst(t, s, "/channels/"+tgID+"/disconnect", "refused", "Nothing is sent")
	if c, _ := s.app.GetChannel(ctx, s.ws, tgID); c.Status != sb.ChannelConnected {
		t.Fatal("disconnected before the confirmation")
	}
	res, body = s.post(t, "/channels/"+tgID+"/disconnect", nil)
	_, body = s.follow(t, res, body)
	if c, _ := s.app.GetChannel(ctx, s.ws, tgID); c.Status != sb.ChannelDisconnected || !strings.Contains(body, "disconnected") {
		t.Fatal("not disconnected")
	}
	res, body = s.post(t, "/channels/"+tgID+"/connect", nil)
	s.follow(t, res, body)
	if c, _ := s.app.GetChannel(ctx, s.ws, tgID); c.Status != sb.ChannelConnected {
		t.Fatal("not connected again")
	}
	confirmFirst(t, s, "/channels/"+tgID+"/delete", "contacts, conversations and messages are erased", publicURL+"/hooks/channels/"+tgID)
	res, body = s.post(t, "/channels/"+tgID+"/delete", nil)
	if to, _ := s.follow(t, res, body); to != "/channels" {
		t.Fatalf("after delete: %s", to)
	}
	s.page(t, "/channels/"+tgID, http.StatusNotFound)
	if _, err := s.app.GetChannel(ctx, s.ws, tgID); sb.ErrorCode(err) != sb.ENotFound {
		t.Fatal("not deleted")
	}
}

// fakeTelegram answers setWebhook as the Bot API does, and records its
// parameters.
type fakeTelegram struct {
	*httptest.Server
	mu      sync.Mutex
	got     []map[string]any
	refusal string
}

func newFakeTelegram(t *testing.T) *fakeTelegram {
	f := &fakeTelegram{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		f.mu.Lock()
		f.got = append(f.got, m)
		refusal := f.refusal
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !strings.HasSuffix(r.URL.Path, "/bot123:tg-token/setWebhook") {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
			return
		}
		if refusal != "" {
			w.WriteHeader(http.StatusBadRequest)
			d, _ := json.Marshal(refusal)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":400,"description":`+string(d)+`}`)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true,"result":true,"description":"Webhook was set"}`)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeTelegram) last() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.got) == 0 {
		return nil
	}
	return f.got[len(f.got)-1]
}

func (f *fakeTelegram) refuse(description string) {
	f.mu.Lock()
	f.refusal = description
	f.mu.Unlock()
}
