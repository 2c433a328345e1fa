package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/token/jwt"

	sb "github.com/switchboardhq/switchboard"
)

// DefaultAccessTokenTTL is how long an access token lives unless
// configured otherwise.
const DefaultAccessTokenTTL = 15 * time.Minute

// Lifetimes of the other OAuth credentials.
const (
	RefreshTokenTTL = 30 * 24 * time.Hour
	AuthCodeTTL     = 5 * time.Minute
)

// OAuthConfig is what the authorization server needs to know of the
// configuration.
type OAuthConfig struct {
	// PublicURL is the issuer: the base URL of this server as clients
	// reach it.
	PublicURL string
	// AccessTokenTTL is the lifetime of access tokens (0: the default).
	AccessTokenTTL time.Duration
	// MasterKey is the secret key of the install; the key that signs
	// authorization codes and refresh tokens (HMAC) is derived from it, so
	// that every process sharing the database accepts them.
	MasterKey []byte
}

// OAuthDeps are the collaborators of the authorization server.
type OAuthDeps struct {
	Store  OAuthStore
	Write  Writer // nil: the store's own writes
	Clock  sb.Clock
	Logger *slog.Logger
}

// OAuthServer is Switchboard's OAuth 2.0 authorization server, built on
// fosite: the authorization code grant with PKCE (S256 only), client
// credentials, and refresh tokens rotated at every use, whose reuse revokes
// the whole grant; revocation (RFC 7009) and introspection (RFC 7662).
// Access tokens are JWTs in the RFC 9068 profile signed with the key set's
// current key.
type OAuthServer struct {
	provider fosite.OAuth2Provider
	storage  *storage
	keys     *KeySet
	verifier *TokenVerifier
	cfg      OAuthConfig
	log      *slog.Logger
}

// Audience is the "aud" of every access token: the REST API.
func Audience(publicURL string) string { return publicURL + "/api/v1" }

// NewOAuthServer builds the server, loading (or creating) the signing keys.
func NewOAuthServer(ctx context.Context, cfg OAuthConfig, d OAuthDeps) (*OAuthServer, error) {
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if d.Clock == nil {
		d.Clock = sb.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.MasterKey) == 0 {
		return nil, errors.New("auth: the OAuth server needs the master key")
	}
	write := d.Write
	if write == nil {
		tx, ok := d.Store.(interface {
			Tx(ctx context.Context, fn func(q sb.Queries) error) error
		})
		if !ok {
			return nil, errors.New("auth: the OAuth server needs a writer")
		}
		write = tx.Tx
	}
	keys, err := NewKeySet(ctx, d.Store, d.Clock, cfg.AccessTokenTTL)
	if err != nil {
		return nil, err
	}
	audience := Audience(cfg.PublicURL)
	mac := hmac.New(sha256.New, cfg.MasterKey)
	mac.Write([]byte("switchboard oauth2 hmac"))
	fc := &fosite.Config{
		AccessTokenLifespan:            cfg.AccessTokenTTL,
		RefreshTokenLifespan:           RefreshTokenTTL,
		AuthorizeCodeLifespan:          AuthCodeTTL,
		GlobalSecret:                   mac.Sum(nil),
		EnforcePKCE:                    true,
		EnablePKCEPlainChallengeMethod: false,
		ScopeStrategy:                  fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:       fosite.DefaultAudienceMatchingStrategy,
		AccessTokenIssuer:              cfg.PublicURL,
		IDTokenIssuer:                  cfg.PublicURL,
		JWTScopeClaimKey:               jwt.JWTScopeFieldString,
		RefreshTokenScopes:             []string{}, // every code exchange gets a refresh token
		TokenURL:                       cfg.PublicURL + "/oauth/token",
		ClientSecretsHasher:            sha256Hasher{},
		MinParameterEntropy:            fosite.MinParameterEntropy,
	}
	st := &storage{store: d.Store, write: write, audience: []string{audience}, now: d.Clock.Now}
	s := &OAuthServer{storage: st, keys: keys, cfg: cfg, log: d.Logger}
	s.verifier = newTokenVerifier(keys, d.Store, d.Clock, cfg.PublicURL)
	st.forget = s.verifier.ForgetGrant
	s.verifier.onForgetClient = st.forgetClient
	hmacStrategy := compose.NewOAuth2HMACStrategy(fc)
	strategy := &oauth2.DefaultJWTStrategy{Signer: &signer{keys: keys}, HMACSHAStrategy: hmacStrategy, Config: fc}
	s.provider = compose.Compose(fc, st, strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2PKCEFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2TokenIntrospectionFactory,
	)
	return s, nil
}

// Verifier returns the verifier of the access tokens this server issues.
func (s *OAuthServer) Verifier() *TokenVerifier { return s.verifier }

// JWKS returns the published signing keys.
func (s *OAuthServer) JWKS(ctx context.Context) []byte { return s.keys.JWKS(ctx) }

// AccessTokenTTL is the lifetime of access tokens.
func (s *OAuthServer) AccessTokenTTL() time.Duration { return s.cfg.AccessTokenTTL }

// Metadata is the authorization server's metadata (RFC 8414).
func (s *OAuthServer) Metadata() map[string]any {
	base := s.cfg.PublicURL
	return map[string]any{
		"issuer":                                        base,
		"authorization_endpoint":                        base + "/oauth/authorize",
		"token_endpoint":                                base + "/oauth/token",
		"revocation_endpoint":                           base + "/oauth/revoke",
		"introspection_endpoint":                        base + "/oauth/introspect",
		"jwks_uri":                                      base + "/.well-known/jwks.json",
		"scopes_supported":                              sb.AllScopes,
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query"},
		"grant_types_supported":                         []string{sb.GrantAuthorizationCode, sb.GrantClientCredentials, sb.GrantRefreshToken},
		"token_endpoint_auth_methods_supported":         []string{"client_secret_basic", "client_secret_post", "none"},
		"revocation_endpoint_auth_methods_supported":    []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":              []string{"S256"},
		"access_token_signing_alg_values_supported":     []string{SigningAlgorithm},
	}
}

// Token answers POST /oauth/token: the client authenticates, the grant is
// checked, and an access token (with a refresh token for the code and
// refresh grants) is issued; errors are RFC 6749 §5.2 JSON.
func (s *OAuthServer) Token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := s.provider.NewAccessRequest(ctx, r, &Session{})
	if errors.Is(err, fosite.ErrInactiveToken) || errors.Is(err, fosite.ErrTokenExpired) {
		// A reused (hence now revoked) or expired grant is invalid_grant
		// in RFC 6749 §5.2, not fosite's token_inactive.
		err = fosite.ErrInvalidGrant.WithHint("The grant has expired, was used already, or was revoked.").WithWrap(err)
	}
	if err != nil {
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	if ar.GetGrantTypes().ExactOne(sb.GrantClientCredentials) {
		sess := ar.GetSession().(*Session)
		sess.Subject, sess.ClientID, sess.WorkspaceID = ar.GetClient().GetID(), ar.GetClient().GetID(), workspaceOf(ar.GetClient())
		for _, sc := range ar.GetRequestedScopes() {
			ar.GrantScope(sc)
		}
		for _, a := range s.storage.audience {
			ar.GrantAudience(a)
		}
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		s.logServerError("token", err)
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	s.provider.WriteAccessResponse(ctx, w, ar, resp)
}

// Revoke answers POST /oauth/revoke (RFC 7009): revoking a token revokes
// its grant's tokens of that kind (a refresh token, the grant's access
// tokens too). An unknown token is answered 200, as the RFC asks.
func (s *OAuthServer) Revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	err := s.provider.NewRevocationRequest(ctx, r)
	s.provider.WriteRevocationResponse(ctx, w, err)
}

// Introspect answers POST /oauth/introspect (RFC 7662) for an
// authenticated client.
func (s *OAuthServer) Introspect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ir, err := s.provider.NewIntrospectionRequest(ctx, r, &Session{})
	if err != nil {
		s.provider.WriteIntrospectionError(ctx, w, err)
		return
	}
	s.provider.WriteIntrospectionResponse(ctx, w, ir)
}

// Authorization is a checked authorization request, waiting for the
// user's consent.
type Authorization struct {
	ar     fosite.AuthorizeRequester
	Client *sb.OAuthClient
	// RedirectURI is where the answer goes (its origin must be allowed as
	// a form action on the consent page).
	RedirectURI string
}

// Scopes are the scopes asked for.
func (a *Authorization) Scopes() []string {
	if a == nil || a.ar == nil {
		return nil
	}
	return a.ar.GetRequestedScopes()
}

// ParseAuthorization parses and checks GET or POST /oauth/authorize: the
// client, its exact redirect URI, the response type, PKCE with S256, the
// scopes. On error, answer with Deny: a redirect to the client with the
// error when its redirect URI is valid, JSON otherwise.
func (s *OAuthServer) ParseAuthorization(r *http.Request) (*Authorization, error) {
	ar, err := s.provider.NewAuthorizeRequest(r.Context(), r)
	if err != nil {
		return &Authorization{ar: ar}, err
	}
	c, _ := ar.GetClient().(*client)
	if c == nil {
		return &Authorization{ar: ar}, fosite.ErrInvalidClient
	}
	// fosite accepts any port on a loopback redirect URI (RFC 8252); the
	// match here is exact, and a refusal is never sent to the URI given.
	if uri := r.Form.Get("redirect_uri"); uri != "" && !slices.Contains(c.c.RedirectURIs, uri) {
		return &Authorization{ar: fosite.NewAuthorizeRequest()}, fosite.ErrInvalidRequest.WithHint("The redirect_uri is not one of the client's registered redirect URIs.")
	}
	// fosite checks PKCE only when the code is issued, after consent;
	// refuse a request without S256 before asking the user anything.
	if ar.GetRequestForm().Get("code_challenge") == "" || ar.GetRequestForm().Get("code_challenge_method") != "S256" {
		return &Authorization{ar: ar}, fosite.ErrInvalidRequest.WithHint("PKCE is required: send code_challenge with code_challenge_method=S256.")
	}
	a := &Authorization{ar: ar, Client: c.c}
	if u := ar.GetRedirectURI(); u != nil {
		a.RedirectURI = u.String()
	}
	return a, nil
}

// Deny answers an authorization request with an error (ErrAccessDenied
// for a refused consent).
func (s *OAuthServer) Deny(w http.ResponseWriter, r *http.Request, a *Authorization, err error) {
	ar := fosite.AuthorizeRequester(fosite.NewAuthorizeRequest())
	if a != nil && a.ar != nil {
		ar = a.ar
	}
	s.provider.WriteAuthorizeError(r.Context(), w, ar, err)
}

// ErrAccessDenied is the error of a refused consent.
var ErrAccessDenied error = fosite.ErrAccessDenied

// Approve issues an authorization code to the client for the user, with
// the scopes granted (those asked that the user's role allows), and
// redirects to the client with it and the state.
func (s *OAuthServer) Approve(w http.ResponseWriter, r *http.Request, a *Authorization, u *sb.User) {
	ctx := r.Context()
	ar := a.ar
	granted := GrantableScopes(ar.GetRequestedScopes(), u)
	if len(granted) == 0 || a.Client == nil || a.Client.WorkspaceID != u.WorkspaceID {
		s.Deny(w, r, a, fosite.ErrAccessDenied.WithHint("The user may grant none of the scopes asked for."))
		return
	}
	for _, sc := range granted {
		ar.GrantScope(sc)
	}
	for _, aud := range s.storage.audience {
		ar.GrantAudience(aud)
	}
	sess := &Session{Subject: u.ID, UserID: u.ID, ClientID: a.Client.ID, WorkspaceID: u.WorkspaceID}
	resp, err := s.provider.NewAuthorizeResponse(ctx, ar, sess)
	if err != nil {
		s.logServerError("authorize", err)
		s.Deny(w, r, a, err)
		return
	}
	s.provider.WriteAuthorizeResponse(ctx, w, ar, resp)
}

// GrantableScopes are the scopes of asked that the user's role allows.
func GrantableScopes(asked []string, u *sb.User) []string {
	var out []string
	for _, sc := range asked {
		if sb.ScopesAllow(u.Scopes(), sc) {
			out = append(out, sc)
		}
	}
	return out
}

func (s *OAuthServer) logServerError(op string, err error) {
	var rfc *fosite.RFC6749Error
	if errors.As(err, &rfc) && rfc.CodeField < 500 {
		return
	}
	s.log.Error("oauth "+op, "error", err)
}

// Session is the fosite session of a grant: who the tokens act for, in
// which workspace, and when each kind of token expires. It is stored with
// the grant's tokens.
type Session struct {
	Subject     string                         `json:"sub"`
	ClientID    string                         `json:"client_id"`
	WorkspaceID string                         `json:"workspace_id"`
	UserID      string                         `json:"user_id,omitempty"`
	Expires     map[fosite.TokenType]time.Time `json:"expires,omitempty"`
}

var _ oauth2.JWTSessionContainer = (*Session)(nil)

// SetExpiresAt sets when tokens of a kind expire.
func (s *Session) SetExpiresAt(k fosite.TokenType, t time.Time) {
	if s.Expires == nil {
		s.Expires = map[fosite.TokenType]time.Time{}
	}
	s.Expires[k] = t
}

// GetExpiresAt says when tokens of a kind expire.
func (s *Session) GetExpiresAt(k fosite.TokenType) time.Time { return s.Expires[k] }

// GetUsername is the subject.
func (s *Session) GetUsername() string { return s.Subject }

// GetSubject is the user's id, or the client's for its own tokens.
func (s *Session) GetSubject() string { return s.Subject }

// Clone returns a deep copy.
func (s *Session) Clone() fosite.Session {
	c := *s
	c.Expires = maps.Clone(s.Expires)
	return &c
}

// GetJWTClaims are the claims of an access token beyond those fosite sets
// (iss, aud, exp, iat, jti, scope): sub, client_id and workspace_id.
func (s *Session) GetJWTClaims() jwt.JWTClaimsContainer {
	return &jwt.JWTClaims{Subject: s.Subject, Extra: map[string]any{"client_id": s.ClientID, "workspace_id": s.WorkspaceID}}
}

// GetJWTHeader makes access tokens "at+jwt" (RFC 9068).
func (s *Session) GetJWTHeader() *jwt.Headers {
	return &jwt.Headers{Extra: map[string]any{"typ": "at+jwt"}}
}

// signer signs access tokens with the key set's current key, naming it in
// "kid", and decodes them with the key they name.
type signer struct {
	keys *KeySet
	jwt.DefaultSigner
}

type headerWithKid struct {
	jwt.Mapper
	kid string
}

func (h headerWithKid) ToMap() map[string]any {
	m := h.Mapper.ToMap()
	m["kid"] = h.kid
	return m
}

// Generate signs claims with the current key.
func (s *signer) Generate(ctx context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	kid, key, err := s.keys.Current(ctx)
	if err != nil {
		return "", "", err
	}
	d := jwt.DefaultSigner{GetPrivateKey: func(context.Context) (any, error) { return key, nil }}
	return d.Generate(ctx, claims, headerWithKid{header, kid})
}

// Decode parses and verifies a token with the published key it names.
func (s *signer) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	return jwt.ParseWithClaims(token, jwt.MapClaims{}, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		pub, ok := s.keys.Public(ctx, kid)
		if !ok {
			return nil, errors.New("unknown signing key")
		}
		return pub, nil
	})
}

// Validate verifies a token and returns its signature.
func (s *signer) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.Decode(ctx, token); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

// sha256Hasher checks client secrets against their SHA-256 (see
// NewClientSecret for why a fast hash is right for them).
type sha256Hasher struct{}

func (sha256Hasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	return sum[:], nil
}

func (sha256Hasher) Compare(_ context.Context, hash, data []byte) error {
	sum := sha256.Sum256(data)
	if len(hash) != len(sum) || subtle.ConstantTimeCompare(hash, sum[:]) != 1 {
		return errors.New("the client secret does not match")
	}
	return nil
}
