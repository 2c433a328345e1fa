package auth

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// keys is a hand-written in-memory KeyStore.
type keys struct {
	mu      sync.Mutex
	byHash  map[string]*sb.APIKey
	lookups int
	touches int
}

func (k *keys) GetAPIKeyByHash(_ context.Context, hash []byte) (*sb.APIKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lookups++
	if key, ok := k.byHash[string(hash)]; ok {
		c := *key
		return &c, nil
	}
	return nil, sb.ErrNotFound("API key")
}

func (k *keys) TouchAPIKey(context.Context, string, time.Time) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.touches++
	return nil
}

func TestAuthenticate(t *testing.T) {
	secret, _ := NewKey()
	if !strings.HasPrefix(secret, "sbk_") || len(secret) != 4+43 {
		t.Fatalf("NewKey() = %q", secret)
	}
	key := NewAPIKey("ws_1", "ci", []string{sb.ScopeReadBots}, secret)
	store := &keys{byHash: map[string]*sb.APIKey{string(key.Hash): key}}
	a := New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	now := time.Unix(1700000000, 0)
	a.now = func() time.Time { return now }

	p, err := a.Authenticate(context.Background(), secret)
	if err != nil || p.WorkspaceID != "ws_1" || !p.Allows(sb.ScopeReadBots) || p.Allows(sb.ScopeWriteBots) {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	if _, err := a.Authenticate(context.Background(), secret); err != nil || store.lookups != 1 || store.touches != 1 {
		t.Fatalf("second call within the TTL must come from the cache: lookups %d touches %d", store.lookups, store.touches)
	}
	now = now.Add(CacheTTL)
	if _, err := a.Authenticate(context.Background(), secret); err != nil || store.lookups != 2 || store.touches != 1 {
		t.Fatalf("after the TTL: lookups %d touches %d", store.lookups, store.touches)
	}

	revoked := now
	store.byHash[string(key.Hash)].RevokedAt = &revoked
	a.Forget(key.ID)
	if _, err := a.Authenticate(context.Background(), secret); sb.ErrorCode(err) != sb.EUnauthorized {
		t.Fatalf("revoked key: %v", err)
	}
	for _, bad := range []string{"", "sbk_nope", "Bearer x", secret + "x"} {
		if _, err := a.Authenticate(context.Background(), bad); sb.ErrorCode(err) != sb.EUnauthorized {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}
