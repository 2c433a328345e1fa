package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	sb "github.com/switchboardhq/switchboard"
)

// SigningAlgorithm is the JWS algorithm of access tokens: ECDSA P-256,
// whose signatures cost tens of microseconds (RS256 signs a hundred times
// slower).
const SigningAlgorithm = "ES256"

// keyReload bounds how long a key rotated by another process (switchboard
// keys rotate) goes unnoticed; a token signed with a key this process does
// not know makes it reload at once.
const keyReload = 30 * time.Second

// SigningKeyStore is what the key set needs from the store.
type SigningKeyStore interface {
	CreateSigningKey(ctx context.Context, k *sb.SigningKey) error
	ListSigningKeys(ctx context.Context, retiredAfter time.Time) ([]*sb.SigningKey, error)
	RetireSigningKeys(ctx context.Context, keep string, at time.Time) error
}

// signingKey is a parsed key.
type signingKey struct {
	id   string
	priv *ecdsa.PrivateKey
	jwk  json.RawMessage
}

// KeySet holds the keys that sign access tokens: the current one, and the
// retired ones whose tokens may still be valid (published in the JWKS and
// accepted by the verifier).
type KeySet struct {
	store SigningKeyStore
	clock sb.Clock
	ttl   time.Duration // access-token lifetime: how long a retired key stays published

	mu      sync.RWMutex
	current *signingKey
	byID    map[string]*signingKey
	jwks    []byte
	loaded  time.Time
	reload  sync.Mutex
}

// NewSigningKey generates an ES256 key pair as stored.
func NewSigningKey() (*sb.SigningKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	id := sb.NewID("sk")
	jwk, err := jose.JSONWebKey{Key: &priv.PublicKey, KeyID: id, Algorithm: SigningAlgorithm, Use: "sig"}.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return &sb.SigningKey{ID: id, Algorithm: SigningAlgorithm, PrivateKey: der, PublicJWK: jwk}, nil
}

// RotateSigningKey adds a new key and makes it current: the others are
// retired now, and stay published until the tokens they signed expire.
func RotateSigningKey(ctx context.Context, store SigningKeyStore, clock sb.Clock) (*sb.SigningKey, error) {
	k, err := NewSigningKey()
	if err != nil {
		return nil, err
	}
	k.CreatedAt = clock.Now()
	if err := store.CreateSigningKey(ctx, k); err != nil {
		return nil, err
	}
	return k, store.RetireSigningKeys(ctx, k.ID, clock.Now())
}

// NewKeySet loads the signing keys, creating the first one if there is
// none. ttl is the lifetime of access tokens.
func NewKeySet(ctx context.Context, store SigningKeyStore, clock sb.Clock, ttl time.Duration) (*KeySet, error) {
	if clock == nil {
		clock = sb.SystemClock{}
	}
	ks := &KeySet{store: store, clock: clock, ttl: ttl}
	if err := ks.load(ctx); err != nil {
		return nil, err
	}
	if ks.current == nil {
		if _, err := RotateSigningKey(ctx, store, clock); err != nil {
			return nil, fmt.Errorf("creating the first signing key: %w", err)
		}
		if err := ks.load(ctx); err != nil {
			return nil, err
		}
	}
	return ks, nil
}

// load reads the published keys from the store.
func (ks *KeySet) load(ctx context.Context) error {
	now := ks.clock.Now()
	stored, err := ks.store.ListSigningKeys(ctx, now.Add(-ks.ttl-time.Minute))
	if err != nil {
		return err
	}
	byID := make(map[string]*signingKey, len(stored))
	var current *signingKey
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	set.Keys = []json.RawMessage{}
	for _, s := range stored {
		parsed, err := x509.ParsePKCS8PrivateKey(s.PrivateKey)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", s.ID, err)
		}
		priv, ok := parsed.(*ecdsa.PrivateKey)
		if !ok || s.Algorithm != SigningAlgorithm {
			return fmt.Errorf("signing key %s: not an %s key", s.ID, SigningAlgorithm)
		}
		k := &signingKey{id: s.ID, priv: priv, jwk: s.PublicJWK}
		byID[s.ID] = k
		set.Keys = append(set.Keys, s.PublicJWK)
		if current == nil && s.RetiredAt == nil {
			current = k // newest first
		}
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		return err
	}
	ks.mu.Lock()
	ks.current, ks.byID, ks.jwks, ks.loaded = current, byID, jwks, now
	ks.mu.Unlock()
	return nil
}

// refresh reloads the keys if they were loaded more than keyReload ago, or
// if force (an unknown key id was seen; at most once a second).
func (ks *KeySet) refresh(ctx context.Context, force bool) {
	ks.mu.RLock()
	age := ks.clock.Now().Sub(ks.loaded)
	ks.mu.RUnlock()
	if age < keyReload && (!force || age < time.Second) {
		return
	}
	if !ks.reload.TryLock() {
		return // another goroutine is reloading
	}
	defer ks.reload.Unlock()
	_ = ks.load(ctx) // on failure the keys loaded before stay in use
}

// Current returns the key that signs new tokens.
func (ks *KeySet) Current(ctx context.Context) (id string, key *ecdsa.PrivateKey, err error) {
	ks.refresh(ctx, false)
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	if ks.current == nil {
		return "", nil, errors.New("auth: no current signing key")
	}
	return ks.current.id, ks.current.priv, nil
}

// Public returns the public key of a published key id.
func (ks *KeySet) Public(ctx context.Context, id string) (*ecdsa.PublicKey, bool) {
	ks.refresh(ctx, false)
	ks.mu.RLock()
	k, ok := ks.byID[id]
	ks.mu.RUnlock()
	if !ok {
		ks.refresh(ctx, true)
		ks.mu.RLock()
		k, ok = ks.byID[id]
		ks.mu.RUnlock()
		if !ok {
			return nil, false
		}
	}
	return &k.priv.PublicKey, true
}

// JWKS returns the published public keys as a JSON Web Key Set.
func (ks *KeySet) JWKS(ctx context.Context) []byte {
	ks.refresh(ctx, false)
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.jwks
}
