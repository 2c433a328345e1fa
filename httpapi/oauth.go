package httpapi

import (
	"context"
	"net/http"
	"strconv"

	sb "github.com/switchboardhq/switchboard"
)

// OAuth is the OAuth 2.0 authorization server (auth.OAuthServer): its
// endpoints speak the OAuth wire formats (form bodies, RFC 6749 §5.2 JSON
// errors), not the conventions of /api/v1.
type OAuth interface {
	Token(w http.ResponseWriter, r *http.Request)
	Revoke(w http.ResponseWriter, r *http.Request)
	Introspect(w http.ResponseWriter, r *http.Request)
	Metadata() map[string]any
	JWKS(ctx context.Context) []byte
}

// maxOAuthBody bounds the form of a token, revocation or introspection
// request.
const maxOAuthBody = 64 << 10

func (s *Server) registerIdentityRoutes() {
	s.api1("GET /api/v1/users", sb.ScopeAdmin, listPage(sb.PrefixUser, s.app.ListUsers, func(u *sb.User) string { return u.ID }))
	s.api1("POST /api/v1/users", sb.ScopeAdmin, create(decode, http.StatusCreated, s.app.CreateUser))
	s.api1("GET /api/v1/users/{id}", sb.ScopeAdmin, byID(kindUser, s.app.GetUser))
	s.api1("PATCH /api/v1/users/{id}", sb.ScopeAdmin, changeByID(kindUser, decode, http.StatusOK, s.app.UpdateUser))
	s.api1("DELETE /api/v1/users/{id}", sb.ScopeAdmin, deleteByID(kindUser, s.app.DeleteUser))

	s.api1("GET /api/v1/oauth-clients", sb.ScopeAdmin, listPage(sb.PrefixOAuthClient, s.app.ListOAuthClients, func(c *sb.OAuthClient) string { return c.ID }))
	s.api1("POST /api/v1/oauth-clients", sb.ScopeAdmin, create(decode, http.StatusCreated, s.app.CreateOAuthClient))
	s.api1("GET /api/v1/oauth-clients/{id}", sb.ScopeAdmin, byID(kindOAuthClient, s.app.GetOAuthClient))
	s.api1("PATCH /api/v1/oauth-clients/{id}", sb.ScopeAdmin, changeByID(kindOAuthClient, decode, http.StatusOK, s.app.UpdateOAuthClient))
	s.api1("DELETE /api/v1/oauth-clients/{id}", sb.ScopeAdmin, deleteByID(kindOAuthClient, s.app.DeleteOAuthClient))

	s.raw("GET /oauth/authorize", s.authorizePage())
	s.raw("POST /oauth/authorize", s.authorizePage())
	s.raw("POST /oauth/token", s.oauthForm(func(o OAuth) http.HandlerFunc { return o.Token }))
	s.raw("POST /oauth/revoke", s.oauthForm(func(o OAuth) http.HandlerFunc { return o.Revoke }))
	s.raw("POST /oauth/introspect", s.oauthForm(func(o OAuth) http.HandlerFunc { return o.Introspect }))
	s.handle("GET /.well-known/oauth-authorization-server", "", s.oauthMetadata)
	s.handle("GET /.well-known/jwks.json", "", s.jwks)
}

var (
	kindUser        = kind{sb.PrefixUser, "user"}
	kindOAuthClient = kind{sb.PrefixOAuthClient, "OAuth client"}
)

var errNoOAuth = sb.Errorf(sb.ENotFound, "This server runs no OAuth 2.0 authorization server.")

// authorizePage serves the authorization endpoint: the sign-in and consent
// pages of the dashboard.
func (s *Server) authorizePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.authorize == nil {
			s.fail(w, r, errNoOAuth)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxOAuthBody)
		s.authorize.ServeHTTP(w, r)
	})
}

// oauthForm serves a form-encoded endpoint of the authorization server,
// with the per-IP rate limit of unauthenticated requests and a bounded body.
func (s *Server) oauthForm(pick func(OAuth) http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.oauth == nil {
			s.fail(w, r, errNoOAuth)
			return
		}
		if r.ContentLength > maxOAuthBody {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			_, _ = w.Write([]byte(`{"error":"invalid_request","error_description":"The body is larger than ` + strconv.Itoa(maxOAuthBody) + ` bytes."}`))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxOAuthBody)
		pick(s.oauth)(w, r)
	})
}

func (s *Server) oauthMetadata(w http.ResponseWriter, r *http.Request) error {
	if s.oauth == nil {
		return errNoOAuth
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	return respond(w, http.StatusOK, s.oauth.Metadata())
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) error {
	if s.oauth == nil {
		return errNoOAuth
	}
	// Short: a client that meets an unknown kid fetches again anyway.
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("Content-Type", "application/jwk-set+json")
	_, err := w.Write(s.oauth.JWKS(r.Context()))
	return err
}

// ClientIP names the client of a request as the rate limits do: the peer,
// or the address a trusted proxy forwarded.
func (s *Server) ClientIP(r *http.Request) string { return limitKey(s.clientIP(r)) }
