package storetest

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

func hashOf(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func (f *fixture) newUser(t *testing.T, workspaceID, email, role string) *switchboard.User {
	t.Helper()
	u := &switchboard.User{WorkspaceID: workspaceID, Email: email, Name: "Ana", Role: role, PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA"}
	must(t, f.s.CreateUser(f.ctx, u))
	return u
}

func (f *fixture) newOAuthClient(t *testing.T, workspaceID string) *switchboard.OAuthClient {
	t.Helper()
	c := &switchboard.OAuthClient{WorkspaceID: workspaceID, Name: "app", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{switchboard.GrantAuthorizationCode, switchboard.GrantRefreshToken},
		Scopes:     []string{switchboard.ScopeReadBots}, Confidential: true, SecretHash: hashOf("sbcs_secret")}
	must(t, f.s.CreateOAuthClient(f.ctx, c))
	return c
}

func testUsers(t *testing.T, f *fixture) {
	u := f.newUser(t, f.ws.ID, "Ana@Example.com", switchboard.RoleAdmin)
	if !switchboard.HasPrefix(u.ID, switchboard.PrefixUser) || u.Email != "ana@example.com" || u.LastLoginAt != nil {
		t.Fatalf("CreateUser: %+v", u)
	}
	got, err := f.s.GetUser(f.ctx, f.ws.ID, u.ID)
	must(t, err)
	same(t, got, u)
	got, err = f.s.GetUserByEmail(f.ctx, "ANA@example.COM")
	must(t, err)
	same(t, got, u)
	got, err = f.s.GetUserByID(f.ctx, u.ID)
	must(t, err)
	same(t, got, u)

	other := f.workspace(t, "other")
	_, err = f.s.GetUser(f.ctx, other.ID, u.ID)
	wantNotFound(t, err)
	wantCode(t, f.s.CreateUser(f.ctx, &switchboard.User{WorkspaceID: other.ID, Email: "ana@example.com", Role: switchboard.RoleAgent, PasswordHash: "x"}), switchboard.EConflict)

	agent := f.newUser(t, f.ws.ID, "bo@example.com", switchboard.RoleAgent)
	list, err := f.s.ListUsers(f.ctx, f.ws.ID, switchboard.Page{Limit: 10})
	must(t, err)
	same(t, ids(list, func(u *switchboard.User) string { return u.ID }), []string{agent.ID, u.ID})
	n, err := f.s.CountUsers(f.ctx)
	must(t, err)
	if n != 2 {
		t.Fatalf("CountUsers = %d, want 2", n)
	}

	agent.Role, agent.Name = switchboard.RoleAdmin, "Bo"
	must(t, f.s.UpdateUser(f.ctx, agent))
	got, err = f.s.GetUser(f.ctx, f.ws.ID, agent.ID)
	must(t, err)
	if got.Role != switchboard.RoleAdmin || got.Name != "Bo" {
		t.Fatalf("after UpdateUser: %+v", got)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	must(t, f.s.TouchUserLogin(f.ctx, agent.ID, at))
	got, err = f.s.GetUser(f.ctx, f.ws.ID, agent.ID)
	must(t, err)
	if got.LastLoginAt == nil || !got.LastLoginAt.Equal(at) {
		t.Fatalf("last_login_at = %v, want %v", got.LastLoginAt, at)
	}
	wantNotFound(t, f.s.DeleteUser(f.ctx, other.ID, agent.ID))
	must(t, f.s.DeleteUser(f.ctx, f.ws.ID, agent.ID))
	_, err = f.s.GetUserByID(f.ctx, agent.ID)
	wantNotFound(t, err)
}

func testDashboardSessions(t *testing.T, f *fixture) {
	u := f.newUser(t, f.ws.ID, "s@example.com", switchboard.RoleAgent)
	live := &switchboard.DashboardSession{Hash: hashOf("live"), UserID: u.ID, WorkspaceID: f.ws.ID, CSRFToken: "csrf", ExpiresAt: time.Now().Add(time.Hour)}
	must(t, f.s.CreateDashboardSession(f.ctx, live))
	expired := &switchboard.DashboardSession{Hash: hashOf("old"), UserID: u.ID, WorkspaceID: f.ws.ID, CSRFToken: "c", ExpiresAt: time.Now().Add(-time.Second)}
	must(t, f.s.CreateDashboardSession(f.ctx, expired))
	got, err := f.s.GetDashboardSession(f.ctx, live.Hash)
	must(t, err)
	same(t, got, live)
	_, err = f.s.GetDashboardSession(f.ctx, expired.Hash)
	wantNotFound(t, err)

	must(t, f.s.DeleteDashboardSession(f.ctx, live.Hash))
	_, err = f.s.GetDashboardSession(f.ctx, live.Hash)
	wantNotFound(t, err)

	// Deleting the user ends their sessions.
	again := &switchboard.DashboardSession{Hash: hashOf("again"), UserID: u.ID, WorkspaceID: f.ws.ID, CSRFToken: "c", ExpiresAt: time.Now().Add(time.Hour)}
	must(t, f.s.CreateDashboardSession(f.ctx, again))
	must(t, f.s.DeleteUser(f.ctx, f.ws.ID, u.ID))
	_, err = f.s.GetDashboardSession(f.ctx, again.Hash)
	wantNotFound(t, err)
}

func testSetupTokens(t *testing.T, f *fixture) {
	now := time.Now()
	must(t, f.s.CreateSetupToken(f.ctx, &switchboard.SetupToken{Hash: hashOf("t1"), ExpiresAt: now.Add(time.Hour)}))
	must(t, f.s.CreateSetupToken(f.ctx, &switchboard.SetupToken{Hash: hashOf("t2"), ExpiresAt: now.Add(-time.Second)}))
	must(t, f.s.UseSetupToken(f.ctx, hashOf("t1"), now))
	wantNotFound(t, f.s.UseSetupToken(f.ctx, hashOf("t1"), now)) // once
	wantNotFound(t, f.s.UseSetupToken(f.ctx, hashOf("t2"), now)) // expired
	wantNotFound(t, f.s.UseSetupToken(f.ctx, hashOf("t3"), now)) // unknown
}

func testOAuthClients(t *testing.T, f *fixture) {
	c := f.newOAuthClient(t, f.ws.ID)
	if !switchboard.HasPrefix(c.ID, switchboard.PrefixOAuthClient) {
		t.Fatalf("CreateOAuthClient: %+v", c)
	}
	got, err := f.s.GetOAuthClient(f.ctx, f.ws.ID, c.ID)
	must(t, err)
	same(t, got, c)
	got, err = f.s.GetOAuthClientByID(f.ctx, c.ID)
	must(t, err)
	same(t, got, c)
	other := f.workspace(t, "other")
	_, err = f.s.GetOAuthClient(f.ctx, other.ID, c.ID)
	wantNotFound(t, err)

	c.Name, c.Scopes = "renamed", []string{switchboard.ScopeAdmin}
	must(t, f.s.UpdateOAuthClient(f.ctx, c))
	got, err = f.s.GetOAuthClient(f.ctx, f.ws.ID, c.ID)
	must(t, err)
	if got.Name != "renamed" || len(got.Scopes) != 1 || got.Scopes[0] != switchboard.ScopeAdmin || !bytes.Equal(got.SecretHash, c.SecretHash) {
		t.Fatalf("after UpdateOAuthClient: %+v", got)
	}
	list, err := f.s.ListOAuthClients(f.ctx, f.ws.ID, switchboard.Page{Limit: 10})
	must(t, err)
	same(t, ids(list, func(c *switchboard.OAuthClient) string { return c.ID }), []string{c.ID})
	wantNotFound(t, f.s.DeleteOAuthClient(f.ctx, other.ID, c.ID))
	must(t, f.s.DeleteOAuthClient(f.ctx, f.ws.ID, c.ID))
	_, err = f.s.GetOAuthClientByID(f.ctx, c.ID)
	wantNotFound(t, err)
}

func testOAuthTokens(t *testing.T, f *fixture) {
	c := f.newOAuthClient(t, f.ws.ID)
	u := f.newUser(t, f.ws.ID, "t@example.com", switchboard.RoleAgent)
	exp := time.Now().Add(time.Hour)
	tok := func(kind, sig, req, user string, exp time.Time) *switchboard.OAuthToken {
		t.Helper()
		tk := &switchboard.OAuthToken{Kind: kind, Signature: sig, RequestID: req, ClientID: c.ID, WorkspaceID: f.ws.ID,
			UserID: user, Active: true, Request: []byte(`{"id":"` + req + `"}`), ExpiresAt: exp}
		must(t, f.s.CreateOAuthToken(f.ctx, tk))
		return tk
	}
	a1 := tok(switchboard.TokenAccess, "a1", "req1", u.ID, exp)
	tok(switchboard.TokenRefresh, "r1", "req1", u.ID, exp)
	tok(switchboard.TokenAccess, "a2", "req2", "", exp)
	tok(switchboard.TokenAccess, "old", "req3", "", time.Now().Add(-time.Second))
	wantCode(t, f.s.CreateOAuthToken(f.ctx, &switchboard.OAuthToken{Kind: switchboard.TokenAccess, Signature: "a1", RequestID: "x",
		ClientID: c.ID, WorkspaceID: f.ws.ID, Request: []byte("{}"), ExpiresAt: exp}), switchboard.EConflict)

	got, err := f.s.GetOAuthToken(f.ctx, switchboard.TokenAccess, "a1")
	must(t, err)
	same(t, got, a1)
	_, err = f.s.GetOAuthToken(f.ctx, switchboard.TokenRefresh, "a1") // kinds are apart
	wantNotFound(t, err)
	_, err = f.s.GetOAuthToken(f.ctx, switchboard.TokenAccess, "old") // expired
	wantNotFound(t, err)

	must(t, f.s.DeactivateOAuthToken(f.ctx, switchboard.TokenRefresh, "r1"))
	wantNotFound(t, f.s.DeactivateOAuthToken(f.ctx, switchboard.TokenRefresh, "r1")) // only once
	got, err = f.s.GetOAuthToken(f.ctx, switchboard.TokenRefresh, "r1")
	must(t, err)
	if got.Active {
		t.Fatal("a deactivated token is still active")
	}
	must(t, f.s.RevokeOAuthGrant(f.ctx, "", "req1"))
	got, err = f.s.GetOAuthToken(f.ctx, switchboard.TokenAccess, "a1")
	must(t, err)
	if got.Active {
		t.Fatal("a token of a revoked grant is still active")
	}
	got, err = f.s.GetOAuthToken(f.ctx, switchboard.TokenAccess, "a2")
	must(t, err)
	if !got.Active {
		t.Fatal("revoking one grant revoked another")
	}
	n, err := f.s.DeleteOAuthTokensBefore(f.ctx, time.Now())
	must(t, err)
	if n != 1 {
		t.Fatalf("purged %d tokens, want 1", n)
	}
	// Deleting the user erases their tokens; deleting the client, its own.
	must(t, f.s.DeleteUser(f.ctx, f.ws.ID, u.ID))
	_, err = f.s.GetOAuthToken(f.ctx, switchboard.TokenRefresh, "r1")
	wantNotFound(t, err)
	must(t, f.s.DeleteOAuthClient(f.ctx, f.ws.ID, c.ID))
	_, err = f.s.GetOAuthToken(f.ctx, switchboard.TokenAccess, "a2")
	wantNotFound(t, err)
}

func testSigningKeys(t *testing.T, f *fixture) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	k1 := &switchboard.SigningKey{ID: "sk_1", Algorithm: "ES256", PrivateKey: []byte("private one"), PublicJWK: []byte(`{"kid":"sk_1"}`), CreatedAt: now.Add(-time.Hour)}
	k2 := &switchboard.SigningKey{ID: "sk_2", Algorithm: "ES256", PrivateKey: []byte("private two"), PublicJWK: []byte(`{"kid":"sk_2"}`), CreatedAt: now}
	must(t, f.s.CreateSigningKey(f.ctx, k1))
	must(t, f.s.CreateSigningKey(f.ctx, k2))
	must(t, f.s.RetireSigningKeys(f.ctx, "sk_2", now))
	keys, err := f.s.ListSigningKeys(f.ctx, now.Add(-time.Minute))
	must(t, err)
	if len(keys) != 2 || keys[0].ID != "sk_2" || keys[0].RetiredAt != nil || keys[1].RetiredAt == nil || string(keys[1].PrivateKey) != "private one" {
		t.Fatalf("ListSigningKeys: %+v", keys)
	}
	keys, err = f.s.ListSigningKeys(f.ctx, now.Add(time.Minute)) // sk_1 retired before then
	must(t, err)
	if len(keys) != 1 || keys[0].ID != "sk_2" {
		t.Fatalf("ListSigningKeys after the retirement window: %+v", keys)
	}
}
