package app

import (
	"context"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/auth"
)

// CreateAPIKeyParams name a new API key and its scopes.
type CreateAPIKeyParams struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// APIKeyWithSecret is a new key with its secret: the only time the secret
// is shown.
type APIKeyWithSecret struct {
	*sb.APIKey
	Key string `json:"key"`
}

// ListAPIKeys returns a page of the workspace's keys, revoked ones too.
func (s *Service) ListAPIKeys(ctx context.Context, ws string, p sb.Page) ([]*sb.APIKey, error) {
	return s.store.ListAPIKeys(ctx, ws, p)
}

// GetAPIKey returns one key (without its secret).
func (s *Service) GetAPIKey(ctx context.Context, ws, id string) (*sb.APIKey, error) {
	return s.store.GetAPIKey(ctx, ws, id)
}

// CreateAPIKey creates a key; its secret is returned this once and stored
// only as a hash.
func (s *Service) CreateAPIKey(ctx context.Context, ws string, req *CreateAPIKeyParams) (*APIKeyWithSecret, error) {
	if err := auth.ValidateKey(req.Name, req.Scopes); err != nil {
		return nil, err
	}
	secret, _ := auth.NewKey()
	key := auth.NewAPIKey(ws, req.Name, req.Scopes, secret)
	if err := s.write(ctx, func(q sb.Queries) error { return q.CreateAPIKey(ctx, key) }); err != nil {
		return nil, err
	}
	return &APIKeyWithSecret{APIKey: key, Key: secret}, nil
}

// RevokeAPIKey revokes a key; it stops working at once.
func (s *Service) RevokeAPIKey(ctx context.Context, ws, id string) error {
	err := s.write(ctx, func(q sb.Queries) error { return q.RevokeAPIKey(ctx, ws, id, s.now()) })
	if err != nil {
		return err
	}
	if s.keys != nil {
		s.keys.Forget(id)
	}
	return nil
}
