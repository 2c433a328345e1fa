package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard"
)

const oauthClientCols = "id, workspace_id, name, redirect_uris, grant_types, scopes, confidential, secret_hash, created_at, updated_at"

func scanOAuthClient(s scanner) (*switchboard.OAuthClient, error) {
	c := &switchboard.OAuthClient{RedirectURIs: []string{}, GrantTypes: []string{}, Scopes: []string{}}
	var confidential int
	err := s.Scan(&c.ID, &c.WorkspaceID, &c.Name, jsonCol{&c.RedirectURIs}, jsonCol{&c.GrantTypes}, jsonCol{&c.Scopes},
		&confidential, &c.SecretHash, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	c.Confidential = confidential != 0
	return c, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// clientLists encodes the JSON lists of a client.
func clientLists(c *switchboard.OAuthClient) (uris, grants, scopes string, err error) {
	if uris, err = encodeJSON(c.RedirectURIs, "[]"); err != nil {
		return
	}
	if grants, err = encodeJSON(c.GrantTypes, "[]"); err != nil {
		return
	}
	scopes, err = encodeJSON(c.Scopes, "[]")
	return
}

// CreateOAuthClient stores a new OAuth client.
func (q *queries) CreateOAuthClient(ctx context.Context, c *switchboard.OAuthClient) error {
	if c.ID == "" {
		c.ID = switchboard.NewID(switchboard.PrefixOAuthClient)
	}
	c.CreatedAt = q.stamp(c.CreatedAt)
	c.UpdatedAt = c.CreatedAt
	uris, grants, scopes, err := clientLists(c)
	if err != nil {
		return err
	}
	return q.insert(ctx, "OAuth client",
		`INSERT INTO oauth_clients (`+oauthClientCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		c.ID, c.WorkspaceID, c.Name, uris, grants, scopes, boolInt(c.Confidential), c.SecretHash, q.t(c.CreatedAt), q.t(c.UpdatedAt))
}

// GetOAuthClient finds a client of a workspace.
func (q *queries) GetOAuthClient(ctx context.Context, workspaceID, id string) (*switchboard.OAuthClient, error) {
	return getOne(ctx, q, "OAuth client", scanOAuthClient,
		`SELECT `+oauthClientCols+` FROM oauth_clients WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// GetOAuthClientByID finds a client in any workspace.
func (q *queries) GetOAuthClientByID(ctx context.Context, id string) (*switchboard.OAuthClient, error) {
	return getOne(ctx, q, "OAuth client", scanOAuthClient,
		`SELECT `+oauthClientCols+` FROM oauth_clients WHERE id = ?`, id)
}

// ListOAuthClients lists the clients of a workspace, newest first.
func (q *queries) ListOAuthClients(ctx context.Context, workspaceID string, p switchboard.Page) ([]*switchboard.OAuthClient, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	return getMany(ctx, q, "OAuth client", scanOAuthClient, w.page(oauthClientCols, "oauth_clients", p), w.args...)
}

// UpdateOAuthClient saves the settings of a client (not its secret or
// confidentiality).
func (q *queries) UpdateOAuthClient(ctx context.Context, c *switchboard.OAuthClient) error {
	c.UpdatedAt = q.now()
	uris, grants, scopes, err := clientLists(c)
	if err != nil {
		return err
	}
	return q.change(ctx, "update", "OAuth client",
		`UPDATE oauth_clients SET name = ?, redirect_uris = ?, grant_types = ?, scopes = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		c.Name, uris, grants, scopes, q.t(c.UpdatedAt), c.WorkspaceID, c.ID)
}

// DeleteOAuthClient erases a client; its tokens go with it.
func (q *queries) DeleteOAuthClient(ctx context.Context, workspaceID, id string) error {
	return q.change(ctx, "delete", "OAuth client", `DELETE FROM oauth_clients WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

const oauthTokenCols = "kind, signature, request_id, client_id, workspace_id, user_id, active, request, created_at, expires_at"

func scanOAuthToken(s scanner) (*switchboard.OAuthToken, error) {
	t := new(switchboard.OAuthToken)
	var user *string
	var active int
	err := s.Scan(&t.Kind, &t.Signature, &t.RequestID, &t.ClientID, &t.WorkspaceID, &user, &active, &t.Request,
		timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt})
	if err != nil {
		return nil, err
	}
	if user != nil {
		t.UserID = *user
	}
	t.Active = active != 0
	return t, nil
}

// CreateOAuthToken stores the record of a token.
func (q *queries) CreateOAuthToken(ctx context.Context, t *switchboard.OAuthToken) error {
	t.CreatedAt = q.stamp(t.CreatedAt)
	t.ExpiresAt = norm(t.ExpiresAt)
	var user any
	if t.UserID != "" {
		user = t.UserID
	}
	return q.insert(ctx, "OAuth token",
		`INSERT INTO oauth_tokens (`+oauthTokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		t.Kind, t.Signature, t.RequestID, t.ClientID, t.WorkspaceID, user, boolInt(t.Active), t.Request,
		q.t(t.CreatedAt), q.t(t.ExpiresAt))
}

// GetOAuthToken finds a token that has not expired, active or not.
func (q *queries) GetOAuthToken(ctx context.Context, kind, signature string) (*switchboard.OAuthToken, error) {
	return getOne(ctx, q, "OAuth token", scanOAuthToken,
		`SELECT `+oauthTokenCols+` FROM oauth_tokens WHERE kind = ? AND signature = ? AND expires_at > ?`,
		kind, signature, q.bound(q.clock.Now()))
}

// DeleteOAuthToken erases the record of a token.
func (q *queries) DeleteOAuthToken(ctx context.Context, kind, signature string) error {
	_, err := q.changeN(ctx, "delete", "OAuth token", `DELETE FROM oauth_tokens WHERE kind = ? AND signature = ?`, kind, signature)
	return err
}

// DeactivateOAuthToken marks an active token inactive.
func (q *queries) DeactivateOAuthToken(ctx context.Context, kind, signature string) error {
	return q.change(ctx, "deactivate", "OAuth token",
		`UPDATE oauth_tokens SET active = 0 WHERE kind = ? AND signature = ? AND active = 1`, kind, signature)
}

// RevokeOAuthGrant marks the tokens of a grant inactive.
func (q *queries) RevokeOAuthGrant(ctx context.Context, kind, requestID string) error {
	var err error
	if kind == "" {
		_, err = q.changeN(ctx, "revoke", "OAuth token", `UPDATE oauth_tokens SET active = 0 WHERE request_id = ?`, requestID)
	} else {
		_, err = q.changeN(ctx, "revoke", "OAuth token", `UPDATE oauth_tokens SET active = 0 WHERE request_id = ? AND kind = ?`, requestID, kind)
	}
	return err
}

// DeleteOAuthTokensBefore purges the tokens that expired before t.
func (q *queries) DeleteOAuthTokensBefore(ctx context.Context, t time.Time) (int64, error) {
	return q.changeN(ctx, "purge", "OAuth token", `DELETE FROM oauth_tokens WHERE expires_at < ?`, q.bound(t))
}

const signingKeyCols = "id, algorithm, private_key, public_jwk, created_at, retired_at"

func (q *queries) scanSigningKey(s scanner) (*switchboard.SigningKey, error) {
	k := new(switchboard.SigningKey)
	var sealed []byte
	var jwk json.RawMessage
	if err := s.Scan(&k.ID, &k.Algorithm, &sealed, rawCol{&jwk}, timeCol{&k.CreatedAt}, nullTimeCol{&k.RetiredAt}); err != nil {
		return nil, err
	}
	k.PublicJWK = jwk
	if q.sealer == nil {
		return nil, errors.New("store: no sealer configured to decrypt signing keys")
	}
	plain, err := q.sealer.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("store: open signing key %s: %w", k.ID, err)
	}
	k.PrivateKey = plain
	return k, nil
}

// CreateSigningKey stores a new signing key, its private half sealed.
func (q *queries) CreateSigningKey(ctx context.Context, k *switchboard.SigningKey) error {
	if q.sealer == nil {
		return errors.New("store: no sealer configured to encrypt signing keys")
	}
	sealed, err := q.sealer.Seal(k.PrivateKey)
	if err != nil {
		return fmt.Errorf("store: seal signing key: %w", err)
	}
	jwk, err := encodeRaw(k.PublicJWK, "")
	if err != nil {
		return err
	}
	k.CreatedAt = q.stamp(k.CreatedAt)
	k.RetiredAt = normPtr(k.RetiredAt)
	return q.insert(ctx, "signing key",
		`INSERT INTO signing_keys (`+signingKeyCols+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		k.ID, k.Algorithm, sealed, jwk, q.t(k.CreatedAt), q.tp(k.RetiredAt))
}

// ListSigningKeys lists the keys not retired before t, newest first.
func (q *queries) ListSigningKeys(ctx context.Context, retiredAfter time.Time) ([]*switchboard.SigningKey, error) {
	return getMany(ctx, q, "signing key", q.scanSigningKey,
		`SELECT `+signingKeyCols+` FROM signing_keys WHERE retired_at IS NULL OR retired_at > ? ORDER BY created_at DESC, id DESC`,
		q.bound(retiredAfter))
}

// RetireSigningKeys retires every key but keep.
func (q *queries) RetireSigningKeys(ctx context.Context, keep string, at time.Time) error {
	_, err := q.changeN(ctx, "retire", "signing key",
		`UPDATE signing_keys SET retired_at = ? WHERE id <> ? AND retired_at IS NULL`, q.t(q.stamp(at)), keep)
	return err
}
