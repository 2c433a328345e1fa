// Package auth authenticates API requests and manages API keys, user
// passwords, and the OAuth 2.0 authorization server with its JWT access
// tokens and signing keys.
//
// An API key is "sbk_" followed by 43 characters (base64url of 32 random
// bytes). Only its SHA-256 is stored. Validated keys are cached in memory
// for a few seconds so that reads do not pay a database lookup each; a key
// revoked through this process is dropped from the cache at once, and
// through another process within the cache TTL.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// CacheTTL bounds how long a validated key is trusted without a lookup.
const CacheTTL = 5 * time.Second

// touchEvery bounds how often last_used_at is written for one key.
const touchEvery = time.Minute

// Principal is who is making a request.
type Principal struct {
	WorkspaceID string
	KeyID       string // the credential: an API key's id, or "oauth:" client and subject for an access token
	Scopes      []string
	ClientID    string // the OAuth client of an access token
	UserID      string // the user an access token acts for
}

// Allows reports whether the principal holds scope.
func (p *Principal) Allows(scope string) bool { return sb.ScopesAllow(p.Scopes, scope) }

// KeyStore is what the authenticator needs from the store.
type KeyStore interface {
	GetAPIKeyByHash(ctx context.Context, hash []byte) (*sb.APIKey, error)
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}

// Authenticator turns bearer tokens into principals.
type Authenticator struct {
	store  KeyStore
	logger *slog.Logger
	now    func() time.Time

	mu    sync.Mutex
	cache map[[32]byte]cached

	tokens *TokenVerifier // nil: API keys only
}

type cached struct {
	key       *sb.APIKey
	checked   time.Time
	touchedAt time.Time
}

// New returns an Authenticator reading keys from store, on the given clock
// (nil: the system's).
func New(store KeyStore, logger *slog.Logger, clock sb.Clock) *Authenticator {
	if clock == nil {
		clock = sb.SystemClock{}
	}
	return &Authenticator{store: store, logger: logger, now: clock.Now, cache: map[[32]byte]cached{}}
}

// NewKey returns a new secret API key value and its hash.
func NewKey() (secret string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	secret = sb.APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, Hash(secret)
}

// Hash returns the SHA-256 of a secret key value, as stored.
func Hash(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// DisplayPrefix is the part of a key shown to tell keys apart.
func DisplayPrefix(secret string) string {
	if len(secret) > 12 {
		return secret[:12]
	}
	return secret
}

// NewAPIKey builds a key record for a new secret; the store stamps its
// creation time.
func NewAPIKey(workspaceID, name string, scopes []string, secret string) *sb.APIKey {
	return &sb.APIKey{
		ID:          sb.NewID(sb.PrefixAPIKey),
		WorkspaceID: workspaceID,
		Name:        name,
		Prefix:      DisplayPrefix(secret),
		Scopes:      scopes,
		Hash:        Hash(secret),
	}
}

// Authenticate returns the principal of a bearer token, or an unauthorized
// error that does not say which part was wrong.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if a.tokens != nil && !strings.HasPrefix(token, sb.APIKeyPrefix) && strings.Count(token, ".") == 2 {
		return a.tokens.Verify(ctx, token)
	}
	if !strings.HasPrefix(token, sb.APIKeyPrefix) {
		return nil, sb.Errorf(sb.EUnauthorized, "The bearer token is not a valid API key.")
	}
	var h [32]byte
	copy(h[:], Hash(token))
	now := a.now()
	key, err := a.lookup(ctx, h, now)
	if err != nil {
		return nil, err
	}
	if key.RevokedAt != nil {
		return nil, sb.Errorf(sb.EUnauthorized, "The API key has been revoked.")
	}
	return &Principal{WorkspaceID: key.WorkspaceID, KeyID: key.ID, Scopes: key.Scopes}, nil
}

func (a *Authenticator) lookup(ctx context.Context, h [32]byte, now time.Time) (*sb.APIKey, error) {
	a.mu.Lock()
	c, ok := a.cache[h]
	a.mu.Unlock()
	if ok && now.Sub(c.checked) < CacheTTL {
		return c.key, nil
	}
	key, err := a.store.GetAPIKeyByHash(ctx, h[:])
	if sb.ErrorCode(err) == sb.ENotFound {
		return nil, sb.Errorf(sb.EUnauthorized, "The bearer token is not a valid API key.")
	} else if err != nil {
		return nil, err
	}
	touched := c.touchedAt
	if key.RevokedAt == nil && now.Sub(touched) >= touchEvery {
		touched = now
		if err := a.store.TouchAPIKey(ctx, key.ID, now.UTC()); err != nil {
			a.logger.Warn("recording API key use", "key_id", key.ID, "error", err)
		}
	}
	a.mu.Lock()
	if len(a.cache) > 10000 {
		clear(a.cache)
	}
	a.cache[h] = cached{key: key, checked: now, touchedAt: touched}
	a.mu.Unlock()
	return key, nil
}

// UseTokens makes the authenticator accept the JWT access tokens that v
// verifies, besides API keys.
func (a *Authenticator) UseTokens(v *TokenVerifier) { a.tokens = v }

// ForgetUser drops the cached access tokens of a user (deleted, or whose
// role changed).
func (a *Authenticator) ForgetUser(userID string) {
	if a.tokens != nil {
		a.tokens.ForgetUser(userID)
	}
}

// ForgetClient drops the cached access tokens of an OAuth client (deleted).
func (a *Authenticator) ForgetClient(clientID string) {
	if a.tokens != nil {
		a.tokens.ForgetClient(clientID)
	}
}

// Forget drops a key from the cache (after it was revoked).
func (a *Authenticator) Forget(keyID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for h, c := range a.cache {
		if c.key.ID == keyID {
			delete(a.cache, h)
		}
	}
}

// ValidateKey checks the name and scopes of a new API key.
func ValidateKey(name string, scopes []string) error {
	var v sb.Validation
	if name == "" || len(name) > 200 {
		v.Add("name", "is required, at most 200 characters")
	}
	if len(scopes) == 0 {
		v.Add("scopes", "needs at least one scope")
	}
	for i, sc := range scopes {
		if !sb.ValidScope(sc) {
			v.Addf("scopes["+strconv.Itoa(i)+"]", "%q is not a scope", sc)
		}
	}
	return v.Err()
}
