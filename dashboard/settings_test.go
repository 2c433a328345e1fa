package dashboard_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

// TestAPIKeysPage: a key is created with its scopes and shown once;
// a refused form names its fields; revoking asks first.
func TestAPIKeysPage(t *testing.T) {
	s := newAdminStack(t)
	ctx := context.Background()
	body := s.page(t, "/settings", http.StatusOK)
	if !strings.Contains(body, "No API key yet") || !strings.Contains(body, `value="write:webhooks"`) {
		t.Fatal("the empty keys page")
	}

	res, body := s.post(t, "/settings/api-keys", url.Values{"name": {""}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a key without name or scopes: %d", res.StatusCode)
	}
	checkConsolePage(t, "POST /settings/api-keys", res, body)
	fieldError(t, "no name", body, "name", "key-name")
	if !strings.Contains(body, `id="scopes-error"`) {
		t.Error("no message about the scopes")
	}

	res, body = s.post(t, "/settings/api-keys", url.Values{"name": {hostile}, "scopes": {"read:bots", "write:channels"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("create a key: %d", res.StatusCode)
	}
	checkConsolePage(t, "POST /settings/api-keys", res, body)
	m := regexpKey.FindStringSubmatch(html.UnescapeString(body))
	if m == nil {
		t.Fatal("the new key is not shown")
	}
	key := m[1]
	if strings.Contains(body, hostile) || !strings.Contains(body, hostileEscaped) {
		t.Error("the key's name is not escaped")
	}
	keys, _ := s.app.ListAPIKeys(ctx, s.ws, sb.Page{Limit: 10})
	if len(keys) != 1 || strings.Join(keys[0].Scopes, " ") != "read:bots write:channels" {
		t.Fatalf("keys: %+v", keys)
	}
	if b := s.page(t, "/settings", http.StatusOK); strings.Contains(b, key) || !strings.Contains(b, keys[0].Prefix+"…") {
		t.Fatal("the keys page shows the key again, or not its prefix")
	}

	path := "/settings/api-keys/" + keys[0].ID + "/revoke"
	confirmFirst(t, s, path, "refused (401)", keys[0].Prefix)
	if k, _ := s.app.GetAPIKey(ctx, s.ws, keys[0].ID); k.RevokedAt != nil {
		t.Fatal("revoked before the confirmation")
	}
	res, body = s.post(t, path, nil)
	if _, body = s.follow(t, res, body); !strings.Contains(body, "revoked") {
		t.Fatal("no notice after revoking")
	}
	if k, _ := s.app.GetAPIKey(ctx, s.ws, keys[0].ID); k.RevokedAt == nil {
		t.Fatal("not revoked")
	}
	s.page(t, "/settings/api-keys/key_nothing/revoke", http.StatusNotFound)
}

var regexpKey = regexp.MustCompile(`value="(` + sb.APIKeyPrefix + `[^"]+)"`)

// TestOAuthClientsPage: a confidential client's secret is shown once, a
// public one has none; redirect URIs and scopes are edited; a bad URI is
// named; delete asks first.
func TestOAuthClientsPage(t *testing.T) {
	s := newAdminStack(t)
	ctx := context.Background()
	s.page(t, "/settings/oauth-clients", http.StatusOK)

	res, body := s.post(t, "/settings/oauth-clients", url.Values{"name": {hostile}, "redirect_uris": {"http://example.com/cb"},
		"grant_types": {"authorization_code"}, "scopes": {"read:bots"}, "confidential": {"true"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a client with an http redirect: %d", res.StatusCode)
	}
	checkConsolePage(t, "POST /settings/oauth-clients", res, body)
	fieldError(t, "http redirect", body, "redirect_uris[0]", "redirect_uris")
	if strings.Contains(body, hostile) || !strings.Contains(body, "http://example.com/cb") {
		t.Error("the refused form does not escape or lost the URIs")
	}

	res, body = s.post(t, "/settings/oauth-clients", url.Values{"name": {hostile}, "redirect_uris": {"https://app.example.com/cb\n\nhttps://app.example.com/cb2"},
		"grant_types": {"authorization_code", "refresh_token"}, "scopes": {"read:bots", "read:channels"}, "confidential": {"true"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("create a client: %d", res.StatusCode)
	}
	checkConsolePage(t, "POST /settings/oauth-clients", res, body)
	clients, _ := s.app.ListOAuthClients(ctx, s.ws, sb.Page{Limit: 10})
	if len(clients) != 1 || len(clients[0].RedirectURIs) != 2 || !clients[0].Confidential {
		t.Fatalf("clients: %+v", clients)
	}
	secretRe := regexp.MustCompile(`id="new-client-secret" class="secret" type="text" readonly value="([^"]+)"`)
	m := secretRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the confidential client's secret is not shown")
	}
	secret := html.UnescapeString(m[1])
	id := clients[0].ID
	for _, p := range []string{"/settings/oauth-clients", "/settings/oauth-clients/" + id} {
		if b := s.page(t, p, http.StatusOK); strings.Contains(html.UnescapeString(b), secret) || strings.Contains(b, hostile) {
			t.Errorf("%s shows the secret again or does not escape", p)
		}
	}

	res, body = s.post(t, "/settings/oauth-clients", url.Values{"name": {"Mobile"}, "redirect_uris": {"https://m.example.com/cb"},
		"grant_types": {"authorization_code"}, "scopes": {"read:conversations"}})
	if res.StatusCode != http.StatusOK || strings.Contains(body, "new-client-secret") || !strings.Contains(body, "public client has no secret") {
		t.Fatalf("create a public client: %d", res.StatusCode)
	}

	// Edit the redirect URIs and scopes; a refused edit names the field.
	res, body = s.post(t, "/settings/oauth-clients/"+id, url.Values{"name": {"Web app"}, "redirect_uris": {"https://app.example.com/new"},
		"grant_types": {"authorization_code", "refresh_token"}, "scopes": {"read:bots", "write:bots"}, "confidential": {"true"}})
	s.follow(t, res, body)
	c, _ := s.app.GetOAuthClient(ctx, s.ws, id)
	if c.Name != "Web app" || strings.Join(c.RedirectURIs, " ") != "https://app.example.com/new" || strings.Join(c.Scopes, " ") != "read:bots write:bots" {
		t.Fatalf("after edit: %+v", c)
	}
	res, body = s.post(t, "/settings/oauth-clients/"+id, url.Values{"name": {"Web app"}, "grant_types": {"authorization_code"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="scopes-error"`) || !strings.Contains(body, `id="redirect_uris-error"`) {
		t.Fatalf("an edit without scopes or URIs: %d", res.StatusCode)
	}

	confirmFirst(t, s, "/settings/oauth-clients/"+id+"/delete", "Web app", "stops working at once")
	res, body = s.post(t, "/settings/oauth-clients/"+id+"/delete", nil)
	s.follow(t, res, body)
	if _, err := s.app.GetOAuthClient(ctx, s.ws, id); sb.ErrorCode(err) != sb.ENotFound {
		t.Fatal("not deleted")
	}
}

// TestUsersPage: users are created with a role and an initial password
// (refusals named), roles change, delete asks first, and the only admin
// can be neither demoted nor deleted.
func TestUsersPage(t *testing.T) {
	s := newAdminStack(t)
	ctx := context.Background()
	s.page(t, "/settings/users", http.StatusOK)
	ada, _ := s.db.GetUserByEmail(ctx, adminEmail)

	res, body := s.post(t, "/settings/users", url.Values{"email": {"not an email"}, "name": {hostile}, "role": {"agent"}, "password": {"short"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad user: %d", res.StatusCode)
	}
	checkConsolePage(t, "POST /settings/users", res, body)
	fieldError(t, "bad email", body, "email", "email")
	fieldError(t, "short password", body, "password", "password")
	if strings.Contains(body, hostile) || strings.Contains(body, `value="short"`) {
		t.Error("the refused form does not escape the name or echoes the password")
	}

	res, body = s.post(t, "/settings/users", url.Values{"email": {"grace@example.com"}, "name": {hostile}, "role": {"agent"},
		"password": {"another long password"}})
	_, body = s.follow(t, res, body)
	if !strings.Contains(body, "grace@example.com") || strings.Contains(body, hostile) || !strings.Contains(body, hostileEscaped) {
		t.Fatal("the new user is not listed, or not escaped")
	}
	if res, body := s.post(t, "/settings/users", url.Values{"email": {"grace@example.com"}, "role": {"agent"},
		"password": {"another long password"}}); res.StatusCode != http.StatusConflict || !strings.Contains(body, `id="email-error"`) {
		t.Fatalf("a taken email: %d", res.StatusCode)
	}
	grace, _ := s.db.GetUserByEmail(ctx, "grace@example.com")
	if _, err := s.app.SignIn(ctx, "grace@example.com", "another long password"); err != nil || grace.Role != sb.RoleAgent {
		t.Fatalf("the new agent cannot sign in: %v", err)
	}

	// The only admin: neither demoted nor deleted.
	res, body = s.post(t, "/settings/users/"+ada.ID+"/role", url.Values{"role": {"agent"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "only admin") {
		t.Fatalf("demoting the only admin: %d", res.StatusCode)
	}
	confirmFirst(t, s, "/settings/users/"+ada.ID+"/delete", "yourself")
	if res, body := s.post(t, "/settings/users/"+ada.ID+"/delete", nil); res.StatusCode != http.StatusConflict || !strings.Contains(body, "only admin") {
		t.Fatalf("deleting the only admin: %d", res.StatusCode)
	}
	if u, err := s.app.GetUser(ctx, s.ws, ada.ID); err != nil || u.Role != sb.RoleAdmin {
		t.Fatal("the only admin changed")
	}

	// Roles change; a bad role is refused.
	if res, _ := s.post(t, "/settings/users/"+grace.ID+"/role", url.Values{"role": {"owner"}}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad role: %d", res.StatusCode)
	}
	res, body = s.post(t, "/settings/users/"+grace.ID+"/role", url.Values{"role": {"admin"}})
	s.follow(t, res, body)
	if u, _ := s.app.GetUser(ctx, s.ws, grace.ID); u.Role != sb.RoleAdmin {
		t.Fatal("not promoted")
	}
	// With two admins, ada may step down: she lands in the inbox.
	res, _ = s.post(t, "/settings/users/"+ada.ID+"/role", url.Values{"role": {"agent"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/inbox" {
		t.Fatalf("stepping down: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	s.page(t, "/settings/users", http.StatusForbidden)

	s.signIn(t, "grace@example.com", "another long password")
	confirmFirst(t, s, "/settings/users/"+ada.ID+"/delete", adminEmail, "signed out everywhere")
	res, body = s.post(t, "/settings/users/"+ada.ID+"/delete", nil)
	s.follow(t, res, body)
	if _, err := s.app.GetUser(ctx, s.ws, ada.ID); sb.ErrorCode(err) != sb.ENotFound {
		t.Fatal("not deleted")
	}
}

// TestAdminPagesRefuseAgents: an agent gets 403 on every page of
// Channels, Webhooks and Settings, and its posts change nothing.
func TestAdminPagesRefuseAgents(t *testing.T) {
	s := newAdminStack(t)
	ctx := context.Background()
	ch, err := s.app.CreateChannel(ctx, s.ws, &app.CreateChannelParams{Type: "webchat", Name: "Site"})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := s.app.CreateWebhook(ctx, s.ws, &app.CreateWebhookParams{URL: "https://example.com/hook"})
	if err != nil {
		t.Fatal(err)
	}
	agent, err := s.app.CreateUser(ctx, s.ws, &app.CreateUserParams{Email: "grace@example.com", Role: sb.RoleAgent, Password: "another long password"})
	if err != nil {
		t.Fatal(err)
	}
	ada, _ := s.db.GetUserByEmail(ctx, adminEmail)
	s.signIn(t, "grace@example.com", "another long password")
	for _, path := range []string{"/channels", "/channels/new", "/channels/new?type=telegram", "/channels/" + ch.ID, "/channels/" + ch.ID + "/edit",
		"/channels/" + ch.ID + "/delete", "/webhooks", "/webhooks/new", "/webhooks/" + ep.ID, "/webhooks/" + ep.ID + "/rotate",
		"/settings", "/settings/oauth-clients", "/settings/users", "/settings/users/" + ada.ID + "/delete"} {
		res, body := s.do(t, "GET", path, nil)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Agents work in the inbox") {
			t.Errorf("an agent on %s: %d", path, res.StatusCode)
		}
	}
	for path, form := range map[string]url.Values{
		"/channels/" + ch.ID + "/delete":        nil,
		"/webhooks/" + ep.ID + "/delete":        nil,
		"/webhooks/" + ep.ID + "/rotate":        nil,
		"/settings/api-keys":                    {"name": {"mine"}, "scopes": {"admin"}},
		"/settings/users/" + agent.ID + "/role": {"role": {"admin"}},
		"/settings/users/" + ada.ID + "/delete": nil,
	} {
		if res, _ := s.post(t, path, form); res.StatusCode != http.StatusForbidden {
			t.Errorf("an agent's post to %s: %d", path, res.StatusCode)
		}
	}
	if _, err := s.app.GetChannel(ctx, s.ws, ch.ID); err != nil {
		t.Error("an agent deleted a channel")
	}
	if e, _ := s.app.GetWebhook(ctx, s.ws, ep.ID); e == nil || e.Secrets[0].Secret != ep.Secret {
		t.Error("an agent changed an endpoint")
	}
	if keys, _ := s.app.ListAPIKeys(ctx, s.ws, sb.Page{Limit: 10}); len(keys) != 0 {
		t.Error("an agent created an API key")
	}
	if u, _ := s.app.GetUser(ctx, s.ws, agent.ID); u.Role != sb.RoleAgent {
		t.Error("an agent made itself admin")
	}
}
