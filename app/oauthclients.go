package app

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/auth"
)

// CreateOAuthClientParams describe a new OAuth client.
type CreateOAuthClientParams struct {
	Name         string   `json:"name"`
	RedirectURIs []string `json:"redirect_uris"`
	GrantTypes   []string `json:"grant_types"`
	Scopes       []string `json:"scopes"`
	Confidential *bool    `json:"confidential"`
}

// UpdateOAuthClientParams change a client; absent fields stay.
type UpdateOAuthClientParams struct {
	Name         sb.Optional[string]   `json:"name"`
	RedirectURIs sb.Optional[[]string] `json:"redirect_uris"`
	GrantTypes   sb.Optional[[]string] `json:"grant_types"`
	Scopes       sb.Optional[[]string] `json:"scopes"`
}

// OAuthClientWithSecret is a new confidential client with its secret: the
// only time the secret is shown.
type OAuthClientWithSecret struct {
	*sb.OAuthClient
	ClientSecret string `json:"client_secret,omitempty"`
}

// validateOAuthClient checks a client's settings as a whole.
func validateOAuthClient(c *sb.OAuthClient) error {
	var v sb.Validation
	if c.Name == "" || len(c.Name) > 200 {
		v.Add("name", "is required, at most 200 characters")
	}
	if len(c.GrantTypes) == 0 {
		v.Add("grant_types", "needs at least one of authorization_code, client_credentials, refresh_token")
	}
	code := false
	for i, g := range c.GrantTypes {
		switch {
		case !sb.ValidGrantType(g):
			v.Addf("grant_types["+strconv.Itoa(i)+"]", "%q is not authorization_code, client_credentials or refresh_token", g)
		case g == sb.GrantAuthorizationCode:
			code = true
		case g == sb.GrantClientCredentials && !c.Confidential:
			v.Add("grant_types["+strconv.Itoa(i)+"]", "client_credentials needs a confidential client")
		}
	}
	if code && len(c.RedirectURIs) == 0 {
		v.Add("redirect_uris", "needs at least one URI for the authorization_code grant")
	}
	for i, u := range c.RedirectURIs {
		field := "redirect_uris[" + strconv.Itoa(i) + "]"
		p, err := url.Parse(u)
		switch {
		case err != nil || p.Scheme == "" || strings.Contains(u, "#") || len(u) > 2000:
			v.Add(field, "must be an absolute URI without a fragment")
		case (p.Scheme == "http" || p.Scheme == "https") && p.Host == "":
			v.Add(field, "must name a host")
		case p.Scheme == "http" && !isLoopback(p.Hostname()):
			v.Add(field, "must use https (http only on localhost or a loopback address)")
		}
	}
	if len(c.Scopes) == 0 {
		v.Add("scopes", "needs at least one scope")
	}
	for i, sc := range c.Scopes {
		if !sb.ValidScope(sc) {
			v.Addf("scopes["+strconv.Itoa(i)+"]", "%q is not a scope", sc)
		}
	}
	return v.Err()
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// ListOAuthClients returns a page of the workspace's OAuth clients.
func (s *Service) ListOAuthClients(ctx context.Context, ws string, p sb.Page) ([]*sb.OAuthClient, error) {
	return s.store.ListOAuthClients(ctx, ws, p)
}

// GetOAuthClient returns one client (without its secret).
func (s *Service) GetOAuthClient(ctx context.Context, ws, id string) (*sb.OAuthClient, error) {
	return s.store.GetOAuthClient(ctx, ws, id)
}

// CreateOAuthClient registers a client. A confidential client (the
// default) gets a secret, returned this once and stored as a SHA-256.
func (s *Service) CreateOAuthClient(ctx context.Context, ws string, req *CreateOAuthClientParams) (*OAuthClientWithSecret, error) {
	c := &sb.OAuthClient{ID: sb.NewID(sb.PrefixOAuthClient), WorkspaceID: ws, Name: req.Name,
		RedirectURIs: orEmptyList(req.RedirectURIs), GrantTypes: orEmptyList(req.GrantTypes), Scopes: orEmptyList(req.Scopes),
		Confidential: req.Confidential == nil || *req.Confidential, CreatedAt: s.now()}
	if err := validateOAuthClient(c); err != nil {
		return nil, err
	}
	out := &OAuthClientWithSecret{OAuthClient: c}
	if c.Confidential {
		out.ClientSecret, c.SecretHash = auth.NewClientSecret()
	}
	return out, s.write(ctx, func(q sb.Queries) error { return q.CreateOAuthClient(ctx, c) })
}

// UpdateOAuthClient changes a client's name, redirect URIs, grant types
// or scopes. Tokens already issued keep their scopes until they expire.
func (s *Service) UpdateOAuthClient(ctx context.Context, ws, id string, req *UpdateOAuthClientParams) (*sb.OAuthClient, error) {
	defer s.forgetClient(id)
	return writeResult(ctx, s, func(q sb.Queries) (*sb.OAuthClient, error) {
		c, err := q.GetOAuthClient(ctx, ws, id)
		if err != nil {
			return nil, err
		}
		if req.Name.Set {
			c.Name = req.Name.Value
		}
		if req.RedirectURIs.Set {
			c.RedirectURIs = orEmptyList(req.RedirectURIs.Value)
		}
		if req.GrantTypes.Set {
			c.GrantTypes = orEmptyList(req.GrantTypes.Value)
		}
		if req.Scopes.Set {
			c.Scopes = orEmptyList(req.Scopes.Value)
		}
		if err := validateOAuthClient(c); err != nil {
			return nil, err
		}
		return c, q.UpdateOAuthClient(ctx, c)
	})
}

// DeleteOAuthClient deletes a client: every token issued to it stops
// working at once.
func (s *Service) DeleteOAuthClient(ctx context.Context, ws, id string) error {
	if err := s.write(ctx, func(q sb.Queries) error { return q.DeleteOAuthClient(ctx, ws, id) }); err != nil {
		return err
	}
	s.forgetClient(id)
	return nil
}

func (s *Service) forgetClient(id string) {
	if c, ok := s.keys.(IdentityCache); ok {
		c.ForgetClient(id)
	}
}

func orEmptyList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
