package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"sync"
	"time"

	"github.com/ory/fosite"

	sb "github.com/switchboardhq/switchboard"
)

// OAuthStore is what the authorization server reads from the store.
type OAuthStore interface {
	SigningKeyStore
	GetOAuthClientByID(ctx context.Context, id string) (*sb.OAuthClient, error)
	GetOAuthToken(ctx context.Context, kind, signature string) (*sb.OAuthToken, error)
	GetUserByID(ctx context.Context, id string) (*sb.User, error)
}

// Writer runs a write: in the process's group committer when it has one.
type Writer func(ctx context.Context, fn func(q sb.Queries) error) error

// storage keeps fosite's state in the database: one oauth_tokens row per
// authorization code, PKCE challenge, access token and refresh token, keyed
// by the token's signature. It implements the storage interfaces of the
// handlers composed in NewOAuthServer.
type storage struct {
	store    OAuthStore
	write    Writer
	audience []string
	forget   func(requestID string) // drops cached access tokens of a grant
	now      func() time.Time

	// Clients read by the token endpoint are cached for CacheTTL, as API
	// keys are: a client changed or deleted through this process is
	// dropped at once, through another within CacheTTL.
	mu      sync.Mutex
	clients map[string]cachedClient
}

type cachedClient struct {
	c  *sb.OAuthClient
	at time.Time
}

// forgetClient drops a client from the cache.
func (s *storage) forgetClient(id string) {
	s.mu.Lock()
	delete(s.clients, id)
	s.mu.Unlock()
}

// client adapts an OAuthClient to fosite.
type client struct {
	c        *sb.OAuthClient
	audience []string
}

func (c *client) GetID() string                   { return c.c.ID }
func (c *client) GetHashedSecret() []byte         { return c.c.SecretHash }
func (c *client) GetRedirectURIs() []string       { return c.c.RedirectURIs }
func (c *client) GetGrantTypes() fosite.Arguments { return c.c.GrantTypes }
func (c *client) GetResponseTypes() fosite.Arguments {
	for _, g := range c.c.GrantTypes {
		if g == sb.GrantAuthorizationCode {
			return fosite.Arguments{"code"}
		}
	}
	return fosite.Arguments{}
}
func (c *client) GetScopes() fosite.Arguments   { return c.c.Scopes }
func (c *client) IsPublic() bool                { return !c.c.Confidential }
func (c *client) GetAudience() fosite.Arguments { return c.audience }

// workspace is the workspace of a fosite client.
func workspaceOf(c fosite.Client) string {
	if cl, ok := c.(*client); ok {
		return cl.c.WorkspaceID
	}
	return ""
}

// GetClient finds a client by id.
func (s *storage) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	now := s.now()
	s.mu.Lock()
	cc, ok := s.clients[id]
	s.mu.Unlock()
	if ok && now.Sub(cc.at) < CacheTTL {
		return &client{c: cc.c, audience: s.audience}, nil
	}
	c, err := s.store.GetOAuthClientByID(ctx, id)
	if err != nil {
		return nil, notFound(err)
	}
	s.mu.Lock()
	if s.clients == nil || len(s.clients) > 10000 {
		s.clients = map[string]cachedClient{}
	}
	s.clients[id] = cachedClient{c: c, at: now}
	s.mu.Unlock()
	return &client{c: c, audience: s.audience}, nil
}

// ClientAssertionJWTValid: client assertions (RFC 7523) are not accepted,
// so no assertion id was ever used.
func (s *storage) ClientAssertionJWTValid(context.Context, string) error { return nil }

// SetClientAssertionJWT: see ClientAssertionJWTValid.
func (s *storage) SetClientAssertionJWT(context.Context, string, time.Time) error { return nil }

// notFound maps a missing row to fosite's ErrNotFound.
func notFound(err error) error {
	if sb.ErrorCode(err) == sb.ENotFound {
		return fosite.ErrNotFound
	}
	return err
}

// storedRequest is a fosite request as kept in oauth_tokens.request.
type storedRequest struct {
	ID                string     `json:"id"`
	RequestedAt       time.Time  `json:"requested_at"`
	ClientID          string     `json:"client_id"`
	RequestedScope    []string   `json:"requested_scope"`
	GrantedScope      []string   `json:"granted_scope"`
	RequestedAudience []string   `json:"requested_audience"`
	GrantedAudience   []string   `json:"granted_audience"`
	Form              url.Values `json:"form"`
	Session           *Session   `json:"session"`
}

// secretFields are never stored with a request.
var secretFields = []string{"client_secret", "code", "refresh_token", "password", "code_verifier", "token"}

// create stores a token's record.
func (s *storage) create(ctx context.Context, kind, signature string, exp fosite.TokenType, r fosite.Requester) error {
	sess, _ := r.GetSession().(*Session)
	if sess == nil {
		return errors.New("auth: the OAuth session is not a *auth.Session")
	}
	form := url.Values{}
	for k, v := range r.GetRequestForm() {
		form[k] = append([]string(nil), v...)
	}
	for _, k := range secretFields {
		delete(form, k)
	}
	body, err := json.Marshal(storedRequest{
		ID: r.GetID(), RequestedAt: r.GetRequestedAt(), ClientID: r.GetClient().GetID(),
		RequestedScope: r.GetRequestedScopes(), GrantedScope: r.GetGrantedScopes(),
		RequestedAudience: r.GetRequestedAudience(), GrantedAudience: r.GetGrantedAudience(),
		Form: form, Session: sess,
	})
	if err != nil {
		return err
	}
	expires := sess.GetExpiresAt(exp)
	if expires.IsZero() {
		expires = time.Now().Add(100 * 365 * 24 * time.Hour)
	}
	t := &sb.OAuthToken{Kind: kind, Signature: signature, RequestID: r.GetID(), ClientID: r.GetClient().GetID(),
		WorkspaceID: sess.WorkspaceID, UserID: sess.UserID, Active: true, Request: body, ExpiresAt: expires}
	return s.write(ctx, func(q sb.Queries) error { return q.CreateOAuthToken(ctx, t) })
}

// get reads a token's record and rebuilds its request; inactive is
// returned with the request.
func (s *storage) get(ctx context.Context, kind, signature string, inactive error) (fosite.Requester, error) {
	t, err := s.store.GetOAuthToken(ctx, kind, signature)
	if err != nil {
		return nil, notFound(err)
	}
	var sr storedRequest
	if err := json.Unmarshal(t.Request, &sr); err != nil {
		return nil, err
	}
	c, err := s.GetClient(ctx, sr.ClientID)
	if err != nil {
		return nil, err
	}
	if sr.Session == nil {
		sr.Session = &Session{}
	}
	r := &fosite.Request{ID: sr.ID, RequestedAt: sr.RequestedAt, Client: c,
		RequestedScope: sr.RequestedScope, GrantedScope: sr.GrantedScope,
		RequestedAudience: sr.RequestedAudience, GrantedAudience: sr.GrantedAudience,
		Form: sr.Form, Session: sr.Session}
	if r.Form == nil {
		r.Form = url.Values{}
	}
	if !t.Active {
		return r, inactive
	}
	return r, nil
}

func (s *storage) del(ctx context.Context, kind, signature string) error {
	return s.write(ctx, func(q sb.Queries) error { return q.DeleteOAuthToken(ctx, kind, signature) })
}

func (s *storage) revoke(ctx context.Context, kind, requestID string) error {
	err := s.write(ctx, func(q sb.Queries) error { return q.RevokeOAuthGrant(ctx, kind, requestID) })
	if err == nil && s.forget != nil && (kind == "" || kind == sb.TokenAccess) {
		s.forget(requestID)
	}
	return err
}

// CreateAuthorizeCodeSession stores an authorization code.
func (s *storage) CreateAuthorizeCodeSession(ctx context.Context, sig string, r fosite.Requester) error {
	return s.create(ctx, sb.TokenAuthorizeCode, sig, fosite.AuthorizeCode, r)
}

// GetAuthorizeCodeSession reads a code; a used one is
// ErrInvalidatedAuthorizeCode, an expired or unknown one ErrNotFound.
func (s *storage) GetAuthorizeCodeSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	return s.get(ctx, sb.TokenAuthorizeCode, sig, fosite.ErrInvalidatedAuthorizeCode)
}

// InvalidateAuthorizeCodeSession marks a code used.
func (s *storage) InvalidateAuthorizeCodeSession(ctx context.Context, sig string) error {
	return notFound(s.write(ctx, func(q sb.Queries) error { return q.DeactivateOAuthToken(ctx, sb.TokenAuthorizeCode, sig) }))
}

// CreatePKCERequestSession stores the PKCE challenge of a code.
func (s *storage) CreatePKCERequestSession(ctx context.Context, sig string, r fosite.Requester) error {
	return s.create(ctx, sb.TokenPKCE, sig, fosite.AuthorizeCode, r)
}

// GetPKCERequestSession reads the PKCE challenge of a code.
func (s *storage) GetPKCERequestSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	return s.get(ctx, sb.TokenPKCE, sig, fosite.ErrNotFound)
}

// DeletePKCERequestSession erases the PKCE challenge of a code.
func (s *storage) DeletePKCERequestSession(ctx context.Context, sig string) error {
	return s.del(ctx, sb.TokenPKCE, sig)
}

// CreateAccessTokenSession stores the record of an access token: the
// per-token check of the API (TokenVerifier) reads it.
func (s *storage) CreateAccessTokenSession(ctx context.Context, sig string, r fosite.Requester) error {
	return s.create(ctx, sb.TokenAccess, sig, fosite.AccessToken, r)
}

// GetAccessTokenSession reads an access token's record; a revoked one is
// ErrInactiveToken.
func (s *storage) GetAccessTokenSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	return s.get(ctx, sb.TokenAccess, sig, fosite.ErrInactiveToken)
}

// DeleteAccessTokenSession erases an access token's record (it stops
// working).
func (s *storage) DeleteAccessTokenSession(ctx context.Context, sig string) error {
	return s.del(ctx, sb.TokenAccess, sig)
}

// CreateRefreshTokenSession stores a refresh token.
func (s *storage) CreateRefreshTokenSession(ctx context.Context, sig, _ string, r fosite.Requester) error {
	return s.create(ctx, sb.TokenRefresh, sig, fosite.RefreshToken, r)
}

// GetRefreshTokenSession reads a refresh token; a rotated or revoked one is
// ErrInactiveToken, which makes fosite revoke the whole grant (reuse
// detection).
func (s *storage) GetRefreshTokenSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	return s.get(ctx, sb.TokenRefresh, sig, fosite.ErrInactiveToken)
}

// DeleteRefreshTokenSession erases a refresh token.
func (s *storage) DeleteRefreshTokenSession(ctx context.Context, sig string) error {
	return s.del(ctx, sb.TokenRefresh, sig)
}

// RotateRefreshToken retires a refresh token that was just used, and the
// access tokens issued before it: the grant goes on with the new pair.
func (s *storage) RotateRefreshToken(ctx context.Context, requestID, sig string) error {
	if err := s.write(ctx, func(q sb.Queries) error { return q.DeactivateOAuthToken(ctx, sb.TokenRefresh, sig) }); err != nil {
		return notFound(err)
	}
	return s.revoke(ctx, sb.TokenAccess, requestID)
}

// RevokeRefreshToken revokes the refresh tokens of a grant.
func (s *storage) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return s.revoke(ctx, sb.TokenRefresh, requestID)
}

// RevokeRefreshTokenMaybeGracePeriod revokes at once: there is no grace
// period.
func (s *storage) RevokeRefreshTokenMaybeGracePeriod(ctx context.Context, requestID, _ string) error {
	return s.RevokeRefreshToken(ctx, requestID)
}

// RevokeAccessToken revokes the access tokens of a grant.
func (s *storage) RevokeAccessToken(ctx context.Context, requestID string) error {
	return s.revoke(ctx, sb.TokenAccess, requestID)
}
