package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "correct horse battery staple"
	callback      = "http://127.0.0.1:9/callback" // never fetched: the browser client stops at the redirect
)

var setupLine = regexp.MustCompile(`(http://\S+/setup\?token=\S+)`)
var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so that each step of a sign-in can be looked at.
type browser struct {
	t    *testing.T
	http *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
	fields url.Values // the hidden inputs of its forms
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	p := &page{status: res.StatusCode, header: res.Header, body: string(body), fields: url.Values{}}
	for _, m := range hiddenInput.FindAllStringSubmatch(p.body, -1) {
		p.fields.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return p
}

func (b *browser) get(u string) *page {
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) *page {
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (p *page) location(t *testing.T) *url.URL {
	t.Helper()
	u, err := url.Parse(p.header.Get("Location"))
	if err != nil || p.header.Get("Location") == "" {
		t.Fatalf("status %d, no redirect: %s", p.status, p.body)
	}
	return u
}

// signIn signs the browser in through the sign-in page.
func (b *browser) signIn(base, email, password, next string) *page {
	b.t.Helper()
	form := b.get(base + "/signin?next=" + url.QueryEscape(next))
	return b.post(base+"/signin", url.Values{"csrf_token": {form.fields.Get("csrf_token")}, "next": {form.fields.Get("next")},
		"email": {email}, "password": {password}})
}

// authorize runs the authorization endpoint in a signed-in browser up to
// the redirect to the client, consenting, and returns that redirect.
func (b *browser) authorize(authURL string) *url.URL {
	b.t.Helper()
	consent := b.get(authURL)
	if consent.status != 200 || !strings.Contains(consent.body, "Allow") {
		b.t.Fatalf("consent page: %d %s", consent.status, consent.body)
	}
	form := consent.fields
	form.Set("decision", "allow")
	return b.post(strings.Split(authURL, "?")[0], form).location(b.t)
}

// oauthError is the RFC 6749 error code of a failed token request.
func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// jwks fetches the published keys.
func jwks(t *testing.T, base string) *jose.JSONWebKeySet {
	t.Helper()
	res, err := http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return &set
}

type accessClaims struct {
	josejwt.Claims
	ClientID    string `json:"client_id"`
	Scope       string `json:"scope"`
	WorkspaceID string `json:"workspace_id"`
}

// verifyJWT checks an access token against the JWKS as any resource
// server would: ES256, typ at+jwt, a key of the set, issuer and audience.
func verifyJWT(t *testing.T, base, token string) (accessClaims, string) {
	t.Helper()
	tok, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("parsing the access token: %v", err)
	}
	h := tok.Headers[0]
	if h.ExtraHeaders[jose.HeaderType] != "at+jwt" {
		t.Errorf("typ = %v, want at+jwt", h.ExtraHeaders[jose.HeaderType])
	}
	keys := jwks(t, base).Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q is not in the JWKS", h.KeyID)
	}
	var c accessClaims
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("the access token does not verify with the JWKS: %v", err)
	}
	if err := c.Validate(josejwt.Expected{Issuer: base, AnyAudience: josejwt.Audience{base + "/api/v1"}, Time: time.Now()}); err != nil {
		t.Fatalf("claims: %v", err)
	}
	if c.ID == "" || c.IssuedAt == nil || c.Expiry == nil || c.ClientID == "" || c.Subject == "" {
		t.Fatalf("missing claims: %+v", c)
	}
	return c, h.KeyID
}

func (p *process) status(t *testing.T, method, path, token string) int {
	t.Helper()
	code, _ := p.call(t, method, path, token, "")
	return code
}

func (p *process) mustCall(t *testing.T, want int, method, path, key, body string) map[string]any {
	t.Helper()
	code, m := p.call(t, method, path, key, body)
	if code != want {
		t.Fatalf("%s %s: %d, want %d: %v", method, path, code, want, m)
	}
	return m
}

// setupAdmin follows the setup link printed at the first start.
func setupAdmin(t *testing.T, p *process) *browser {
	t.Helper()
	m := setupLine.FindStringSubmatch(p.stdout.String())
	if m == nil {
		t.Fatalf("no setup link printed:\n%s", p.stdout.String())
	}
	b := newBrowser(t)
	form := b.get(m[1])
	if form.status != 200 || form.header.Get("X-Frame-Options") != "DENY" || !strings.Contains(form.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("setup page: %d %v", form.status, form.header)
	}
	submit := func(b *browser, form *page) *page {
		return b.post(p.base+"/setup", url.Values{"csrf_token": {form.fields.Get("csrf_token")}, "token": {form.fields.Get("token")},
			"email": {adminEmail}, "name": {"Ada"}, "password": {adminPassword}})
	}
	// Without the CSRF cookie (another browser posting the same form): refused.
	if got := submit(newBrowser(t), form); got.status != http.StatusForbidden {
		t.Fatalf("setup without the CSRF cookie: %d", got.status)
	}
	done := submit(b, form)
	if done.status != http.StatusSeeOther || done.header.Get("Location") != "/" {
		t.Fatalf("setup: %d %s", done.status, done.body)
	}
	for _, c := range done.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "sb_session=") && (!strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax")) {
			t.Errorf("session cookie %q is not HttpOnly SameSite=Lax", c)
		}
	}
	// The link works once.
	other := newBrowser(t)
	if again := submit(other, other.get(m[1])); again.status != http.StatusForbidden {
		t.Fatalf("setup link used twice: %d", again.status)
	}
	return b
}

func pkceURL(conf *oauth2.Config, state, verifier string) string {
	return conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
}

// TestOAuthEndToEnd runs the authorization server through the real binary
// with golang.org/x/oauth2 as the client: setup of the first admin,
// sign-in, consent, code with PKCE, token, API calls, refresh with
// rotation and reuse detection, client credentials, revocation and
// introspection, and the refusals of bad requests.
func TestOAuthEndToEnd(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	p := serve(t, "SWITCHBOARD_DATA_DIR="+dataDir)
	ctx := context.Background()
	setupAdmin(t, p)

	app := p.mustCall(t, 201, "POST", "/api/v1/oauth-clients", p.key, `{"name":"Helpdesk","redirect_uris":["`+callback+`"],
		"grant_types":["authorization_code","refresh_token"],"scopes":["read:bots","read:conversations","admin"]}`)
	conf := &oauth2.Config{ClientID: app["id"].(string), ClientSecret: app["client_secret"].(string), RedirectURL: callback,
		Scopes:   []string{"read:bots", "read:conversations"},
		Endpoint: oauth2.Endpoint{AuthURL: p.base + "/oauth/authorize", TokenURL: p.base + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}

	// Sign-in: a wrong password and an unknown email get the same answer.
	b := newBrowser(t)
	wrong := b.signIn(p.base, adminEmail, "not the password", "/")
	unknown := b.signIn(p.base, "nobody@example.com", "not the password", "/")
	if wrong.status != 401 || unknown.status != 401 || !strings.Contains(wrong.body, "The email or the password is wrong.") ||
		!strings.Contains(unknown.body, "The email or the password is wrong.") {
		t.Fatalf("failed sign-ins: %d %d", wrong.status, unknown.status)
	}

	// Authorization code with PKCE: signed out, the browser goes to sign in
	// first and comes back to the consent page.
	verifier := oauth2.GenerateVerifier()
	authURL := pkceURL(conf, "state-one-1234", verifier)
	first := b.get(authURL)
	signin := first.location(t)
	if first.status != http.StatusSeeOther || signin.Path != "/signin" {
		t.Fatalf("signed out: %d to %s", first.status, signin)
	}
	back := b.signIn(p.base, adminEmail, adminPassword, signin.Query().Get("next"))
	if back.status != http.StatusSeeOther || !strings.HasPrefix(back.header.Get("Location"), "/oauth/authorize?") {
		t.Fatalf("sign-in: %d %s", back.status, back.header.Get("Location"))
	}
	redirect := b.authorize(authURL)
	if redirect.String()[:len(callback)] != callback || redirect.Query().Get("state") != "state-one-1234" || redirect.Query().Get("code") == "" {
		t.Fatalf("redirect to the client: %s", redirect)
	}
	code := redirect.Query().Get("code")
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	claims, kid := verifyJWT(t, p.base, tok.AccessToken)
	if claims.Scope != "read:bots read:conversations" || claims.ClientID != conf.ClientID || !strings.HasPrefix(claims.Subject, "usr_") {
		t.Fatalf("claims: %+v", claims)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	if s := p.status(t, "GET", "/api/v1/bots", tok.AccessToken); s != 200 {
		t.Fatalf("API call with the access token: %d", s)
	}
	if s := p.status(t, "GET", "/api/v1/users", tok.AccessToken); s != 403 {
		t.Fatalf("API call beyond the token's scopes: %d, want 403", s)
	}

	// Refresh: a new pair; the old refresh token stops working, and using
	// it again revokes the whole grant, the new tokens included.
	tok2, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok2.RefreshToken == tok.RefreshToken || tok2.AccessToken == tok.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
	if s := p.status(t, "GET", "/api/v1/bots", tok2.AccessToken); s != 200 {
		t.Fatalf("API call after refresh: %d", s)
	}
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if oauthError(err) != "invalid_grant" {
		t.Fatalf("reused refresh token: %v, want invalid_grant", err)
	}
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token()
	if oauthError(err) != "invalid_grant" {
		t.Fatalf("refresh token of a revoked family: %v, want invalid_grant", err)
	}
	if s := p.status(t, "GET", "/api/v1/bots", tok2.AccessToken); s != 401 {
		t.Fatalf("access token of a revoked family: %d, want 401", s)
	}

	// A code works once; replaying it is invalid_grant and revokes what it
	// issued.
	verifier = oauth2.GenerateVerifier()
	code = b.authorize(pkceURL(conf, "state-two-1234", verifier)).Query().Get("code")
	tok3, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); oauthError(err) != "invalid_grant" {
		t.Fatalf("replayed code: %v, want invalid_grant", err)
	}
	if s := p.status(t, "GET", "/api/v1/bots", tok3.AccessToken); s != 401 {
		t.Fatalf("token of a replayed code: %d, want 401", s)
	}
	// A wrong verifier: invalid_grant, nothing issued.
	code = b.authorize(pkceURL(conf, "state-three-12", oauth2.GenerateVerifier())).Query().Get("code")
	if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); oauthError(err) != "invalid_grant" {
		t.Fatalf("wrong code_verifier: %v, want invalid_grant", err)
	}

	// Bad authorization requests.
	q := func(mod func(url.Values)) string {
		u, _ := url.Parse(pkceURL(conf, "state-bad-1234", oauth2.GenerateVerifier()))
		v := u.Query()
		mod(v)
		u.RawQuery = v.Encode()
		return u.String()
	}
	wrongURI := b.get(q(func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:9/callback/other") }))
	if wrongURI.status != 400 || wrongURI.header.Get("Location") != "" || !strings.Contains(wrongURI.body, `"error":"invalid_request"`) {
		t.Fatalf("wrong redirect_uri: %d %q %s", wrongURI.status, wrongURI.header.Get("Location"), wrongURI.body)
	}
	portURI := b.get(q(func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:10/callback") }))
	if portURI.status != 400 || portURI.header.Get("Location") != "" {
		t.Fatalf("redirect_uri on another port: %d %q", portURI.status, portURI.header.Get("Location"))
	}
	for name, mod := range map[string]func(url.Values){
		"missing PKCE": func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") },
		"plain PKCE": func(v url.Values) {
			v.Set("code_challenge_method", "plain")
			v.Set("code_challenge", strings.Repeat("a", 43))
		},
		"scope beyond": func(v url.Values) { v.Set("scope", "read:bots write:webhooks") },
	} {
		res := b.get(q(mod))
		loc := res.location(t)
		want := "invalid_request"
		if name == "scope beyond" {
			want = "invalid_scope"
		}
		if res.status != http.StatusSeeOther || loc.Query().Get("error") != want || loc.Query().Get("code") != "" ||
			loc.Query().Get("state") != "state-bad-1234" {
			t.Errorf("%s: %d %s, want a redirect with error=%s", name, res.status, loc, want)
		}
	}

	// Client credentials.
	svc := p.mustCall(t, 201, "POST", "/api/v1/oauth-clients", p.key, `{"name":"Sync","grant_types":["client_credentials"],"scopes":["read:bots"]}`)
	cc := &clientcredentials.Config{ClientID: svc["id"].(string), ClientSecret: svc["client_secret"].(string), TokenURL: p.base + "/oauth/token",
		Scopes: []string{"read:bots"}, AuthStyle: oauth2.AuthStyleInHeader}
	ctok, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := verifyJWT(t, p.base, ctok.AccessToken); c.Subject != cc.ClientID || c.Scope != "read:bots" {
		t.Fatalf("client credentials claims: %+v", c)
	}
	if s := p.status(t, "GET", "/api/v1/bots", ctok.AccessToken); s != 200 {
		t.Fatalf("API call with a client's token: %d", s)
	}
	bad := *cc
	bad.ClientSecret += "x"
	if _, err := bad.Token(ctx); oauthError(err) != "invalid_client" {
		t.Fatalf("wrong client secret: %v, want invalid_client", err)
	}
	beyond := *cc
	beyond.Scopes = []string{"read:bots", "write:bots"}
	if _, err := beyond.Token(ctx); oauthError(err) != "invalid_scope" {
		t.Fatalf("scope beyond the client's: %v, want invalid_scope", err)
	}

	// Tampered tokens are refused.
	parts := strings.Split(ctok.AccessToken, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	elevated := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"scope":"read:bots"`, `"scope":"admin"`, 1)))
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"` + kid + `","typ":"at+jwt"}`))
	hs := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"` + kid + `","typ":"at+jwt"}`))
	pub, _ := json.Marshal(jwks(t, p.base).Key(kid)[0])
	mac := hmac.New(sha256.New, pub)
	mac.Write([]byte(hs + "." + parts[1]))
	for name, forged := range map[string]string{
		"changed payload":            parts[0] + "." + elevated + "." + parts[2],
		"alg none":                   none + "." + parts[1] + ".",
		"HS256 keyed with the JWKS":  hs + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)),
		"signature of another token": parts[0] + "." + parts[1] + "." + strings.Split(tok3.AccessToken, ".")[2],
	} {
		if s := p.status(t, "GET", "/api/v1/bots", forged); s != 401 {
			t.Errorf("%s: %d, want 401", name, s)
		}
	}

	// Introspection, revocation.
	introspect := func(token string) map[string]any {
		req, _ := http.NewRequest("POST", p.base+"/oauth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(cc.ClientID, cc.ClientSecret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return m
	}
	if m := introspect(ctok.AccessToken); m["active"] != true || m["client_id"] != cc.ClientID || m["scope"] != "read:bots" {
		t.Fatalf("introspection of a live token: %v", m)
	}
	req, _ := http.NewRequest("POST", p.base+"/oauth/revoke", strings.NewReader(url.Values{"token": {ctok.AccessToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(cc.ClientID, cc.ClientSecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("revocation: %d", res.StatusCode)
	}
	if s := p.status(t, "GET", "/api/v1/bots", ctok.AccessToken); s != 401 {
		t.Fatalf("revoked token: %d, want 401", s)
	}
	if m := introspect(ctok.AccessToken); m["active"] != false {
		t.Fatalf("introspection of a revoked token: %v", m)
	}

	// An agent's token never holds more than an agent may, and stops
	// working when the agent is deleted.
	agent := p.mustCall(t, 201, "POST", "/api/v1/users", p.key, `{"email":"agent@example.com","role":"agent","password":"agent password 1"}`)
	ab := newBrowser(t)
	if r := ab.signIn(p.base, "agent@example.com", "agent password 1", "/"); r.status != http.StatusSeeOther {
		t.Fatalf("agent sign-in: %d", r.status)
	}
	verifier = oauth2.GenerateVerifier()
	conf.Scopes = []string{"read:bots", "read:conversations", "admin"}
	atok, err := conf.Exchange(ctx, ab.authorize(pkceURL(conf, "state-agent-12", verifier)).Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := verifyJWT(t, p.base, atok.AccessToken); c.Scope != "read:conversations" {
		t.Fatalf("an agent's token holds %q, want only read:conversations", c.Scope)
	}
	if s := p.status(t, "GET", "/api/v1/conversations", atok.AccessToken); s != 200 {
		t.Fatalf("agent reading conversations: %d", s)
	}
	if s := p.status(t, "GET", "/api/v1/bots", atok.AccessToken); s != 403 {
		t.Fatalf("agent reading bots: %d, want 403", s)
	}
	p.mustCall(t, 204, "DELETE", "/api/v1/users/"+agent["id"].(string), p.key, "")
	if s := p.status(t, "GET", "/api/v1/conversations", atok.AccessToken); s != 401 {
		t.Fatalf("token of a deleted user: %d, want 401", s)
	}
	if r := ab.get(p.base + "/signin"); r.status != 200 {
		t.Fatalf("the deleted user's session still signs in: %d", r.status)
	}

	// Workspaces: a client of another workspace sees nothing of this one.
	bot := p.mustCall(t, 201, "POST", "/api/v1/bots", p.key, `{"name":"b","engine":"builtin"}`)
	otherKey := createKeyIn(t, dataDir, "other")
	osvc := p.mustCall(t, 201, "POST", "/api/v1/oauth-clients", otherKey, `{"name":"Other","grant_types":["client_credentials"],"scopes":["read:bots"]}`)
	ocfg := &clientcredentials.Config{ClientID: osvc["id"].(string), ClientSecret: osvc["client_secret"].(string), TokenURL: p.base + "/oauth/token", Scopes: []string{"read:bots"}}
	otok, err := ocfg.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := p.status(t, "GET", "/api/v1/bots/"+bot["id"].(string), otok.AccessToken); s != 404 {
		t.Fatalf("a bot of another workspace: %d, want 404", s)
	}
	if s := p.status(t, "GET", "/api/v1/bots/"+bot["id"].(string), p.key); s != 200 {
		t.Fatalf("the bot in its own workspace: %d", s)
	}

	// Key rotation: tokens signed before still verify, with the old key
	// still published; new tokens carry the new key.
	live, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.stop(t)
	out, err := exec.Command(binary, "keys", "rotate", "--data-dir", dataDir).Output()
	if err != nil || !strings.HasPrefix(string(out), "sk_") {
		t.Fatalf("keys rotate: %v %s", err, out)
	}
	newKid := strings.TrimSpace(string(out))
	p = serve(t, "SWITCHBOARD_DATA_DIR="+dataDir, "SWITCHBOARD_ADDR="+strings.TrimPrefix(p.base, "http://"))
	if n := len(jwks(t, p.base).Keys); n != 2 {
		t.Fatalf("JWKS after rotation has %d keys, want 2", n)
	}
	if _, k := verifyJWT(t, p.base, live.AccessToken); k != kid {
		t.Fatalf("old token's kid %s, want %s", k, kid)
	}
	if s := p.status(t, "GET", "/api/v1/bots", live.AccessToken); s != 200 {
		t.Fatalf("a token signed before the rotation: %d", s)
	}
	fresh, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, k := verifyJWT(t, p.base, fresh.AccessToken); k != newKid {
		t.Fatalf("new token's kid %s, want the rotated key %s", k, newKid)
	}
	if s := p.status(t, "GET", "/api/v1/bots", fresh.AccessToken); s != 200 {
		t.Fatalf("a token of the new key: %d", s)
	}
}

// createKeyIn runs `switchboard apikey create` for an admin key of a
// workspace (created if missing).
func createKeyIn(t *testing.T, dataDir, workspace string) string {
	t.Helper()
	out, err := exec.Command(binary, "apikey", "create", "--name", "admin", "--scopes", "admin", "--workspace", workspace, "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("apikey create: %v", err)
	}
	return strings.TrimSpace(string(out))
}
