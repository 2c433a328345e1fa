package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

func testWorkspaces(t *testing.T, f *fixture) {
	if !switchboard.HasPrefix(f.ws.ID, switchboard.PrefixWorkspace) || f.ws.CreatedAt.IsZero() {
		t.Fatalf("CreateWorkspace did not fill ID and CreatedAt: %+v", f.ws)
	}
	got, err := f.s.GetWorkspace(f.ctx, f.ws.ID)
	must(t, err)
	same(t, got, f.ws)
	got, err = f.s.GetWorkspaceByName(f.ctx, "acme")
	must(t, err)
	same(t, got, f.ws)

	_, err = f.s.GetWorkspace(f.ctx, switchboard.NewID(switchboard.PrefixWorkspace))
	wantNotFound(t, err)
	_, err = f.s.GetWorkspaceByName(f.ctx, "nobody")
	wantNotFound(t, err)
	wantCode(t, f.s.CreateWorkspace(f.ctx, &switchboard.Workspace{Name: "acme"}), switchboard.EConflict)
	wantCode(t, f.s.CreateWorkspace(f.ctx, &switchboard.Workspace{ID: f.ws.ID, Name: "other"}), switchboard.EConflict)

	given := &switchboard.Workspace{ID: switchboard.NewID(switchboard.PrefixWorkspace), Name: "given",
		CreatedAt: time.Date(2024, 2, 29, 23, 59, 59, 999999000, time.UTC)}
	want := *given
	must(t, f.s.CreateWorkspace(f.ctx, given))
	got, err = f.s.GetWorkspace(f.ctx, given.ID)
	must(t, err)
	same(t, got, &want)
}

func newKey(f *fixture, t *testing.T, workspaceID, secret string) *switchboard.APIKey {
	t.Helper()
	sum := sha256.Sum256([]byte(secret))
	k := &switchboard.APIKey{
		WorkspaceID: workspaceID,
		Name:        "deploy",
		Prefix:      secret[:8],
		Scopes:      []string{switchboard.ScopeReadBots, switchboard.ScopeWriteMessages},
		Hash:        sum[:],
	}
	must(t, f.s.CreateAPIKey(f.ctx, k))
	return k
}

func testAPIKeys(t *testing.T, f *fixture) {
	k := newKey(f, t, f.ws.ID, "sbk_first_secret_value")
	if !switchboard.HasPrefix(k.ID, switchboard.PrefixAPIKey) || k.LastUsedAt != nil || k.RevokedAt != nil {
		t.Fatalf("CreateAPIKey: %+v", k)
	}
	got, err := f.s.GetAPIKeyByHash(f.ctx, k.Hash)
	must(t, err)
	same(t, got, k)
	got, err = f.s.GetAPIKey(f.ctx, f.ws.ID, k.ID)
	must(t, err)
	same(t, got, k)

	other := f.workspace(t, "other")
	_, err = f.s.GetAPIKey(f.ctx, other.ID, k.ID)
	wantNotFound(t, err)
	wantNotFound(t, f.s.RevokeAPIKey(f.ctx, other.ID, k.ID, time.Now()))
	wrong := sha256.Sum256([]byte("sbk_wrong"))
	_, err = f.s.GetAPIKeyByHash(f.ctx, wrong[:])
	wantNotFound(t, err)

	dup := &switchboard.APIKey{WorkspaceID: other.ID, Name: "dup", Prefix: "sbk_dup", Scopes: []string{"admin"}, Hash: k.Hash}
	wantCode(t, f.s.CreateAPIKey(f.ctx, dup), switchboard.EConflict)

	used := time.Date(2025, 1, 2, 3, 4, 5, 6789, time.FixedZone("CET", 3600))
	must(t, f.s.TouchAPIKey(f.ctx, k.ID, used))
	revoked := used.Add(time.Hour)
	must(t, f.s.RevokeAPIKey(f.ctx, f.ws.ID, k.ID, revoked))
	must(t, f.s.RevokeAPIKey(f.ctx, f.ws.ID, k.ID, revoked.Add(time.Hour))) // keeps the first time
	wantNotFound(t, f.s.TouchAPIKey(f.ctx, switchboard.NewID(switchboard.PrefixAPIKey), used))

	got, err = f.s.GetAPIKeyByHash(f.ctx, k.Hash) // revoked keys are still found
	must(t, err)
	k.LastUsedAt = ptr(used.UTC().Truncate(time.Microsecond))
	k.RevokedAt = ptr(revoked.UTC().Truncate(time.Microsecond))
	same(t, got, k)

	noScopes := &switchboard.APIKey{WorkspaceID: f.ws.ID, Name: "none", Prefix: "sbk_none", Hash: []byte{1, 2, 3}}
	must(t, f.s.CreateAPIKey(f.ctx, noScopes))
	got, err = f.s.GetAPIKey(f.ctx, f.ws.ID, noScopes.ID)
	must(t, err)
	if got.Scopes == nil || len(got.Scopes) != 0 {
		t.Fatalf("nil scopes read back as %#v, want empty", got.Scopes)
	}

	list, err := f.s.ListAPIKeys(f.ctx, f.ws.ID, switchboard.Page{Limit: 10})
	must(t, err)
	same(t, ids(list, keyID), []string{noScopes.ID, k.ID})
	list, err = f.s.ListAPIKeys(f.ctx, other.ID, switchboard.Page{Limit: 10})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("other workspace lists %d keys", len(list))
	}
}

func keyID(k *switchboard.APIKey) string { return k.ID }
