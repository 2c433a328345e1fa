package switchboard

import (
	"context"
	"time"
)

// PrefixOAuthClient starts the id of an OAuth 2.0 client.
const PrefixOAuthClient = "cli"

// OAuth 2.0 grant types a client may use.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
)

// ValidGrantType reports whether g is a grant type Switchboard issues
// tokens for.
func ValidGrantType(g string) bool {
	return g == GrantAuthorizationCode || g == GrantClientCredentials || g == GrantRefreshToken
}

// OAuthClient is an application that obtains access tokens from
// Switchboard's authorization server. A confidential client authenticates
// with its secret, of which only the SHA-256 is stored; a public one (a
// browser or mobile app) uses the authorization code with PKCE only.
type OAuthClient struct {
	ID           string    `json:"id"`
	WorkspaceID  string    `json:"-"`
	Name         string    `json:"name"`
	RedirectURIs []string  `json:"redirect_uris"`
	GrantTypes   []string  `json:"grant_types"`
	Scopes       []string  `json:"scopes"`
	Confidential bool      `json:"confidential"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	SecretHash   []byte    `json:"-"`
}

// OAuth token kinds, as stored.
const (
	TokenAuthorizeCode = "authorize_code"
	TokenAccess        = "access_token"
	TokenRefresh       = "refresh_token"
	TokenPKCE          = "pkce"
)

// OAuthToken is the server-side record of an authorization code, an access
// token, a refresh token or a PKCE challenge, keyed by the signature of the
// token (never the token itself). RequestID names the grant: every token
// issued from one authorization, refreshes included, shares it, so that a
// grant is revoked as a whole. Request is the serialised request the token
// was issued for (client, scopes, subject, expiry).
type OAuthToken struct {
	Signature   string
	Kind        string
	RequestID   string
	ClientID    string
	WorkspaceID string
	UserID      string // "" for a client's own tokens
	Active      bool
	Request     []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// SigningKey is a key that signs JWT access tokens. The private key is
// sealed at rest; the public one is a JWK. The newest key not retired is
// current; a retired key stays published until the tokens it signed have
// expired.
type SigningKey struct {
	ID         string // the JWK "kid"
	Algorithm  string
	PrivateKey []byte // PKCS #8 DER, sealed by the store
	PublicJWK  []byte
	CreatedAt  time.Time
	RetiredAt  *time.Time
}

// OAuthQueries store OAuth clients, tokens and signing keys.
type OAuthQueries interface {
	CreateOAuthClient(ctx context.Context, c *OAuthClient) error
	GetOAuthClient(ctx context.Context, workspaceID, id string) (*OAuthClient, error)
	// GetOAuthClientByID finds a client in any workspace (for the token
	// endpoint, where the client authenticates itself).
	GetOAuthClientByID(ctx context.Context, id string) (*OAuthClient, error)
	ListOAuthClients(ctx context.Context, workspaceID string, p Page) ([]*OAuthClient, error)
	UpdateOAuthClient(ctx context.Context, c *OAuthClient) error
	// DeleteOAuthClient erases a client and every token issued to it.
	DeleteOAuthClient(ctx context.Context, workspaceID, id string) error

	CreateOAuthToken(ctx context.Context, t *OAuthToken) error
	// GetOAuthToken finds a token of a kind by signature, active or not;
	// an expired token is ENotFound.
	GetOAuthToken(ctx context.Context, kind, signature string) (*OAuthToken, error)
	DeleteOAuthToken(ctx context.Context, kind, signature string) error
	// DeactivateOAuthToken marks one token inactive (a used code, a
	// rotated refresh token); ENotFound if it was not active.
	DeactivateOAuthToken(ctx context.Context, kind, signature string) error
	// RevokeOAuthGrant marks every token of a kind of a grant inactive
	// (every kind if kind is "").
	RevokeOAuthGrant(ctx context.Context, kind, requestID string) error
	// DeleteOAuthTokensBefore purges tokens that expired before t.
	DeleteOAuthTokensBefore(ctx context.Context, t time.Time) (int64, error)

	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// ListSigningKeys lists the keys not retired before t, newest first.
	ListSigningKeys(ctx context.Context, retiredAfter time.Time) ([]*SigningKey, error)
	// RetireSigningKeys retires every key but keep, at t.
	RetireSigningKeys(ctx context.Context, keep string, at time.Time) error
}
