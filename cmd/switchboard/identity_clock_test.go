package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/testclock"
)

// startInProcess runs Main in this process on a test clock.
func startInProcess(t *testing.T, clock *testclock.Clock) *Main {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Stdout: &bytes.Buffer{}, Logger: slog.New(slog.DiscardHandler), Clock: clock}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	go func() { _ = m.HTTP.Serve(m.Listener) }()
	t.Cleanup(func() {
		_ = m.HTTP.Close()
		m.Close()
	})
	return m
}

// TestOAuthExpiryOnTheClock proves, on a test clock, that an authorization
// code expires after AuthCodeTTL and an access token after its lifetime,
// and that sign-in attempts are throttled per account with a clear message
// until the bucket refills.
func TestOAuthExpiryOnTheClock(t *testing.T) {
	clock := testclock.New(time.Now())
	m := startInProcess(t, clock)
	ctx := context.Background()
	base := "http://" + m.Addr
	ws, err := m.DB.GetWorkspaceByName(ctx, sb.DefaultWorkspace)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.App.CreateUser(ctx, ws.ID, &app.CreateUserParams{Email: adminEmail, Role: sb.RoleAdmin, Password: adminPassword}); err != nil {
		t.Fatal(err)
	}
	web, err := m.App.CreateOAuthClient(ctx, ws.ID, &app.CreateOAuthClientParams{Name: "Web", RedirectURIs: []string{callback},
		GrantTypes: []string{sb.GrantAuthorizationCode}, Scopes: []string{sb.ScopeReadBots}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := m.App.CreateOAuthClient(ctx, ws.ID, &app.CreateOAuthClientParams{Name: "Svc",
		GrantTypes: []string{sb.GrantClientCredentials}, Scopes: []string{sb.ScopeReadBots}})
	if err != nil {
		t.Fatal(err)
	}

	// Throttling: five failures on one account, then a clear refusal even
	// with the right password, until a minute has passed.
	b := newBrowser(t)
	for range 5 {
		if r := b.signIn(base, adminEmail, "wrong password", "/"); r.status != 401 {
			t.Fatalf("failed sign-in: %d", r.status)
		}
	}
	r := b.signIn(base, adminEmail, adminPassword, "/")
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many failed sign-in attempts") || r.header.Get("Retry-After") == "" {
		t.Fatalf("sign-in over the limit: %d %s", r.status, r.body)
	}
	clock.Advance(time.Minute)
	if r := b.signIn(base, adminEmail, adminPassword, "/"); r.status != http.StatusSeeOther {
		t.Fatalf("sign-in after the wait: %d %s", r.status, r.body)
	}

	conf := &oauth2.Config{ClientID: web.ID, ClientSecret: web.ClientSecret, RedirectURL: callback, Scopes: []string{sb.ScopeReadBots},
		Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth/authorize", TokenURL: base + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()
	code := b.authorize(pkceURL(conf, "state-clock-12", verifier)).Query().Get("code")
	clock.Advance(6 * time.Minute)
	if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); oauthError(err) != "invalid_grant" {
		t.Fatalf("expired code: %v, want invalid_grant", err)
	}

	cc := &clientcredentials.Config{ClientID: svc.ID, ClientSecret: svc.ClientSecret, TokenURL: base + "/oauth/token", Scopes: []string{sb.ScopeReadBots}}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	call := func() int {
		req, _ := http.NewRequest("GET", base+"/api/v1/bots", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if s := call(); s != 200 {
		t.Fatalf("fresh token: %d", s)
	}
	clock.Advance(m.Config.AccessTokenTTL + 2*time.Minute)
	if s := call(); s != 401 {
		t.Fatalf("expired token: %d, want 401", s)
	}
}
