package auth

import (
	"context"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	sb "github.com/switchboardhq/switchboard"
)

// TokenStore is what the verifier reads: the record of each access token
// and the user it acts for.
type TokenStore interface {
	GetOAuthToken(ctx context.Context, kind, signature string) (*sb.OAuthToken, error)
	GetUserByID(ctx context.Context, id string) (*sb.User, error)
}

// clockSkew is the leeway allowed on exp, nbf and iat.
const clockSkew = time.Minute

// TokenVerifier turns JWT access tokens into principals.
//
// A token is accepted when its signature verifies with a published key
// (ES256 only: "none", HMAC and every other algorithm are refused before
// any key is looked at), its header says "at+jwt", its issuer and audience
// are this server's and it has not expired; and then, the per-token check,
// when its record in oauth_tokens is still active and the user it acts for
// still exists. The per-token check was chosen over a jti deny-list
// because fosite keeps a record of every access token anyway (revocation
// and introspection read it): revoking a token, its grant or its client,
// and deleting its user, all end in that record, in one place, across
// every process sharing the database, with nothing to replicate. Its cost
// is one indexed read per token every CacheTTL, the same as an API key:
// verified tokens are cached as API keys are, dropped at once from the
// cache of the process that revokes them, and re-checked by the others
// within CacheTTL.
//
// A token of a user never holds more than the user's role allows, as the
// role is now: the scopes are cut to the role's at every check.
type TokenVerifier struct {
	keys     *KeySet
	store    TokenStore
	now      func() time.Time
	issuer   string
	audience string

	// cache is keyed by the token itself: hashing a whole JWT would cost
	// more than the map lookup (entries are bounded, see Verify).
	mu    sync.Mutex
	cache map[string]cachedToken

	onForgetClient func(clientID string) // the token endpoint's client cache
}

type cachedToken struct {
	p         *Principal
	requestID string
	checked   time.Time
	expires   time.Time
}

func newTokenVerifier(keys *KeySet, store TokenStore, clock sb.Clock, publicURL string) *TokenVerifier {
	return &TokenVerifier{keys: keys, store: store, now: clock.Now, issuer: publicURL, audience: Audience(publicURL),
		cache: map[string]cachedToken{}}
}

// accessClaims are the claims of an access token.
type accessClaims struct {
	josejwt.Claims
	ClientID    string `json:"client_id"`
	Scope       string `json:"scope"`
	WorkspaceID string `json:"workspace_id"`
}

var errBadToken = sb.Errorf(sb.EUnauthorized, "The bearer token is not a valid access token.")

// algorithms are the only JWS algorithms accepted.
var algorithms = []jose.SignatureAlgorithm{jose.ES256}

// Verify returns the principal of an access token, or an unauthorized
// error that does not say what was wrong.
func (v *TokenVerifier) Verify(ctx context.Context, token string) (*Principal, error) {
	now := v.now()
	v.mu.Lock()
	c, ok := v.cache[token]
	v.mu.Unlock()
	if ok && now.Sub(c.checked) < CacheTTL && now.Before(c.expires.Add(clockSkew)) {
		return c.p, nil
	}
	claims, err := v.verifySignature(ctx, token, now)
	if err != nil {
		return nil, err
	}
	p, requestID, err := v.check(ctx, token, claims)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if len(v.cache) > 10000 {
		clear(v.cache)
	}
	v.cache[token] = cachedToken{p: p, requestID: requestID, checked: now, expires: claims.Expiry.Time()}
	v.mu.Unlock()
	return p, nil
}

// verifySignature checks the signature, header and standard claims.
func (v *TokenVerifier) verifySignature(ctx context.Context, token string, now time.Time) (*accessClaims, error) {
	tok, err := josejwt.ParseSigned(token, algorithms)
	if err != nil || len(tok.Headers) != 1 {
		return nil, errBadToken
	}
	hd := tok.Headers[0]
	if typ, _ := hd.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return nil, errBadToken
	}
	pub, ok := v.keys.Public(ctx, hd.KeyID)
	if !ok {
		return nil, errBadToken
	}
	var claims accessClaims
	if err := tok.Claims(pub, &claims); err != nil {
		return nil, errBadToken
	}
	if claims.Expiry == nil || claims.Subject == "" || claims.ID == "" || claims.ClientID == "" || claims.WorkspaceID == "" {
		return nil, errBadToken
	}
	expected := josejwt.Expected{Issuer: v.issuer, AnyAudience: josejwt.Audience{v.audience}, Time: now}
	if err := claims.ValidateWithLeeway(expected, clockSkew); err != nil {
		return nil, errBadToken
	}
	return &claims, nil
}

// check is the per-token check: the token's record is active, and its
// user exists; the scopes are cut to the user's role.
func (v *TokenVerifier) check(ctx context.Context, token string, claims *accessClaims) (*Principal, string, error) {
	sig := token[strings.LastIndexByte(token, '.')+1:]
	rec, err := v.store.GetOAuthToken(ctx, sb.TokenAccess, sig)
	if sb.ErrorCode(err) == sb.ENotFound {
		return nil, "", errBadToken
	} else if err != nil {
		return nil, "", err
	}
	if !rec.Active || rec.WorkspaceID != claims.WorkspaceID || rec.ClientID != claims.ClientID {
		return nil, "", errBadToken
	}
	scopes := strings.Fields(claims.Scope)
	if rec.UserID != "" {
		u, err := v.store.GetUserByID(ctx, rec.UserID)
		if sb.ErrorCode(err) == sb.ENotFound {
			return nil, "", errBadToken
		} else if err != nil {
			return nil, "", err
		}
		if u.WorkspaceID != claims.WorkspaceID {
			return nil, "", errBadToken
		}
		scopes = GrantableScopes(scopes, u)
	}
	return &Principal{WorkspaceID: claims.WorkspaceID, KeyID: "oauth:" + claims.ClientID + ":" + claims.Subject,
		Scopes: scopes, ClientID: claims.ClientID, UserID: rec.UserID}, rec.RequestID, nil
}

// forget drops the cached tokens that match.
func (v *TokenVerifier) forget(match func(c cachedToken) bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for h, c := range v.cache {
		if match(c) {
			delete(v.cache, h)
		}
	}
}

// ForgetGrant drops the cached tokens of a grant (revoked).
func (v *TokenVerifier) ForgetGrant(requestID string) {
	v.forget(func(c cachedToken) bool { return c.requestID == requestID })
}

// ForgetUser drops the cached tokens of a user (deleted or changed).
func (v *TokenVerifier) ForgetUser(userID string) {
	v.forget(func(c cachedToken) bool { return c.p.UserID == userID })
}

// ForgetClient drops the cached tokens of a client, and the client (changed
// or deleted).
func (v *TokenVerifier) ForgetClient(clientID string) {
	v.forget(func(c cachedToken) bool { return c.p.ClientID == clientID })
	if v.onForgetClient != nil {
		v.onForgetClient(clientID)
	}
}
