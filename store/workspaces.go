package store

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard"
)

const workspaceCols = "id, name, created_at"

func scanWorkspace(s scanner) (*switchboard.Workspace, error) {
	w := new(switchboard.Workspace)
	if err := s.Scan(&w.ID, &w.Name, timeCol{&w.CreatedAt}); err != nil {
		return nil, err
	}
	return w, nil
}

// CreateWorkspace stores a new workspace; its name is unique.
func (q *queries) CreateWorkspace(ctx context.Context, w *switchboard.Workspace) error {
	if w.ID == "" {
		w.ID = switchboard.NewID(switchboard.PrefixWorkspace)
	}
	w.CreatedAt = q.stamp(w.CreatedAt)
	return q.insert(ctx, "workspace",
		`INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		w.ID, w.Name, q.t(w.CreatedAt))
}

// GetWorkspace finds a workspace by id.
func (q *queries) GetWorkspace(ctx context.Context, id string) (*switchboard.Workspace, error) {
	return getOne(ctx, q, "workspace", scanWorkspace,
		`SELECT `+workspaceCols+` FROM workspaces WHERE id = ?`, id)
}

// GetWorkspaceByName finds a workspace by name.
func (q *queries) GetWorkspaceByName(ctx context.Context, name string) (*switchboard.Workspace, error) {
	return getOne(ctx, q, "workspace", scanWorkspace,
		`SELECT `+workspaceCols+` FROM workspaces WHERE name = ?`, name)
}

const apiKeyCols = "id, workspace_id, name, prefix, scopes, created_at, last_used_at, revoked_at, hash"

func scanAPIKey(s scanner) (*switchboard.APIKey, error) {
	k := &switchboard.APIKey{Scopes: []string{}}
	err := s.Scan(&k.ID, &k.WorkspaceID, &k.Name, &k.Prefix, jsonCol{&k.Scopes}, timeCol{&k.CreatedAt},
		nullTimeCol{&k.LastUsedAt}, nullTimeCol{&k.RevokedAt}, &k.Hash)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// CreateAPIKey stores a new API key; its hash is unique.
func (q *queries) CreateAPIKey(ctx context.Context, k *switchboard.APIKey) error {
	if k.ID == "" {
		k.ID = switchboard.NewID(switchboard.PrefixAPIKey)
	}
	k.CreatedAt = q.stamp(k.CreatedAt)
	k.LastUsedAt, k.RevokedAt = normPtr(k.LastUsedAt), normPtr(k.RevokedAt)
	if k.Scopes == nil {
		k.Scopes = []string{}
	}
	scopes, err := encodeJSON(k.Scopes, "[]")
	if err != nil {
		return err
	}
	return q.insert(ctx, "api key",
		`INSERT INTO api_keys (`+apiKeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		k.ID, k.WorkspaceID, k.Name, k.Prefix, scopes, q.t(k.CreatedAt),
		q.tp(k.LastUsedAt), q.tp(k.RevokedAt), k.Hash)
}

// GetAPIKeyByHash finds a key by the SHA-256 of its secret, in any workspace,
// revoked or not.
func (q *queries) GetAPIKeyByHash(ctx context.Context, hash []byte) (*switchboard.APIKey, error) {
	return getOne(ctx, q, "api key", scanAPIKey,
		`SELECT `+apiKeyCols+` FROM api_keys WHERE hash = ?`, hash)
}

// GetAPIKey finds a key of a workspace.
func (q *queries) GetAPIKey(ctx context.Context, workspaceID, id string) (*switchboard.APIKey, error) {
	return getOne(ctx, q, "api key", scanAPIKey,
		`SELECT `+apiKeyCols+` FROM api_keys WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// ListAPIKeys lists the keys of a workspace, newest first.
func (q *queries) ListAPIKeys(ctx context.Context, workspaceID string, p switchboard.Page) ([]*switchboard.APIKey, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	return getMany(ctx, q, "api key", scanAPIKey, w.page(apiKeyCols, "api_keys", p), w.args...)
}

// RevokeAPIKey marks a key revoked at the given time; revoking it again keeps
// the first time.
func (q *queries) RevokeAPIKey(ctx context.Context, workspaceID, id string, at time.Time) error {
	return q.change(ctx, "revoke", "api key",
		`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE workspace_id = ? AND id = ?`,
		q.t(q.stamp(at)), workspaceID, id)
}

// TouchAPIKey records that a key was used at the given time.
func (q *queries) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return q.change(ctx, "touch", "api key",
		`UPDATE api_keys SET last_used_at = ? WHERE id = ?`, q.t(q.stamp(at)), id)
}
