package auth

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/groupcommit"
	"github.com/switchboardhq/switchboard/internal/testclock"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

const issuer = "https://sb.example.com"

// sealer is AES-GCM's stand-in for tests: a reversible transform is
// enough here (the store's tests prove sealing).
type sealer struct{}

func (sealer) Seal(p []byte) ([]byte, error) { return append([]byte("sealed:"), p...), nil }
func (sealer) Open(s []byte) ([]byte, error) { return s[len("sealed:"):], nil }

// fixture is an authorization server on a real SQLite store.
type fixture struct {
	db     *store.DB
	clock  *testclock.Clock
	srv    *OAuthServer
	ws     *sb.Workspace
	client *sb.OAuthClient
	secret string
}

func newFixture(t testing.TB, group bool) *fixture {
	t.Helper()
	clock := testclock.New(time.Now())
	db := pgtest.OpenWith(t, "sqlite://"+filepath.Join(t.TempDir(), "sb.db"), store.Options{Sealer: sealer{}, Clock: clock})
	ctx := context.Background()
	f := &fixture{db: db, clock: clock, ws: &sb.Workspace{Name: "acme"}}
	if err := db.CreateWorkspace(ctx, f.ws); err != nil {
		t.Fatal(err)
	}
	var write Writer
	if group {
		c := groupcommit.New(db, groupcommit.Options{})
		t.Cleanup(c.Close)
		write = c.Do
	}
	srv, err := NewOAuthServer(ctx, OAuthConfig{PublicURL: issuer, MasterKey: []byte("0123456789abcdef0123456789abcdef")},
		OAuthDeps{Store: db, Write: write, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	secret, hash := NewClientSecret()
	f.secret = secret
	f.client = &sb.OAuthClient{WorkspaceID: f.ws.ID, Name: "svc", GrantTypes: []string{sb.GrantClientCredentials},
		Scopes: []string{sb.ScopeReadBots, sb.ScopeWriteBots}, Confidential: true, SecretHash: hash, RedirectURIs: []string{}}
	if err := db.CreateOAuthClient(ctx, f.client); err != nil {
		t.Fatal(err)
	}
	return f
}

// token runs the client credentials grant through the token endpoint.
func (f *fixture) token(t testing.TB, scope string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.client.ID, f.secret)
	w := httptest.NewRecorder()
	f.srv.Token(w, req)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m
}

func (f *fixture) accessToken(t testing.TB) string {
	t.Helper()
	code, m := f.token(t, "read:bots")
	if code != 200 {
		t.Fatalf("token endpoint: %d %v", code, m)
	}
	return m["access_token"].(string)
}

// sign makes a JWT with the server's current key and the given claims.
func (f *fixture) sign(t *testing.T, claims map[string]any, typ string) string {
	t.Helper()
	kid, key, err := f.srv.keys.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", kid)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := josejwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifierRefusesWhatItDidNotIssue(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	good := f.accessToken(t)
	p, err := f.srv.Verifier().Verify(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if p.WorkspaceID != f.ws.ID || p.ClientID != f.client.ID || len(p.Scopes) != 1 || p.Scopes[0] != sb.ScopeReadBots {
		t.Fatalf("principal: %+v", p)
	}

	var claims map[string]any
	tok, _ := josejwt.ParseSigned(good, []jose.SignatureAlgorithm{jose.ES256})
	_ = tok.UnsafeClaimsWithoutVerification(&claims)
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range claims {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	now := f.clock.Now()
	cases := map[string]string{
		"wrong aud":       f.sign(t, with("aud", []string{"https://other.example.com/api/v1"}), "at+jwt"),
		"wrong iss":       f.sign(t, with("iss", "https://evil.example.com"), "at+jwt"),
		"expired":         f.sign(t, with("exp", now.Add(-2*time.Minute).Unix()), "at+jwt"),
		"not yet valid":   f.sign(t, with("nbf", now.Add(time.Hour).Unix()), "at+jwt"),
		"no exp":          f.sign(t, with("exp", nil), "at+jwt"),
		"typ JWT":         f.sign(t, claims, "JWT"),
		"no record":       f.sign(t, claims, "at+jwt"), // same claims, another signature: never issued
		"other workspace": f.sign(t, with("workspace_id", "ws_01ARZ3NDEKTSV4RRFFQ69G5FAV"), "at+jwt"),
	}
	for name, tok := range cases {
		if _, err := f.srv.Verifier().Verify(ctx, tok); sb.ErrorCode(err) != sb.EUnauthorized {
			t.Errorf("%s: %v, want unauthorized", name, err)
		}
	}

	// The access token lives AccessTokenTTL on the server's clock.
	f.clock.Advance(DefaultAccessTokenTTL + 2*time.Minute)
	if _, err := f.srv.Verifier().Verify(ctx, good); sb.ErrorCode(err) != sb.EUnauthorized {
		t.Fatalf("expired token: %v", err)
	}
}

func TestRotationKeepsOldKeysPublished(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	before := f.accessToken(t)
	oldKid, _, _ := f.srv.keys.Current(ctx)
	k, err := RotateSigningKey(ctx, f.db, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(keyReload) // a running server notices within keyReload
	after := f.accessToken(t)
	for name, tok := range map[string]string{"before": before, "after": after} {
		if _, err := f.srv.Verifier().Verify(ctx, tok); err != nil {
			t.Fatalf("token signed %s the rotation: %v", name, err)
		}
	}
	parsed, _ := josejwt.ParseSigned(after, []jose.SignatureAlgorithm{jose.ES256})
	if parsed.Headers[0].KeyID != k.ID {
		t.Fatalf("new tokens are signed by %s, want %s", parsed.Headers[0].KeyID, k.ID)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(f.srv.JWKS(ctx), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Key(oldKid)) != 1 || len(set.Key(k.ID)) != 1 {
		t.Fatalf("JWKS %s lacks the old or the new key", f.srv.JWKS(ctx))
	}
	if _, ok := set.Key(k.ID)[0].Key.(*ecdsa.PublicKey); !ok {
		t.Fatal("the JWKS publishes something other than an EC public key")
	}
	// Once the old key's tokens have all expired, it is no longer published.
	f.clock.Advance(DefaultAccessTokenTTL + 2*time.Minute)
	f.srv.keys.refresh(ctx, true)
	if err := json.Unmarshal(f.srv.JWKS(ctx), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Keys[0].KeyID != k.ID {
		t.Fatalf("JWKS after the old tokens expired: %s", f.srv.JWKS(ctx))
	}
}

func TestTokenEndpointRefusals(t *testing.T) {
	f := newFixture(t, false)
	if code, m := f.token(t, "admin"); code != 400 || m["error"] != "invalid_scope" {
		t.Fatalf("scope beyond the client's: %d %v", code, m)
	}
	f.secret += "x"
	if code, m := f.token(t, "read:bots"); code != 401 || m["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", code, m)
	}
	n, err := f.db.DeleteOAuthTokensBefore(context.Background(), f.clock.Now().Add(24*time.Hour))
	if err != nil || n != 0 {
		t.Fatalf("refused requests stored %d tokens (%v)", n, err)
	}
}
