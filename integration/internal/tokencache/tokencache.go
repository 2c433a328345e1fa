// Package tokencache keeps the access tokens that integration providers
// get from their systems' OAuth token endpoints (Salesforce, a Shopify
// app's client-credentials grant): one per integration and credentials,
// until it expires or the system refuses it.
package tokencache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// Token is an access token, what came with it (Salesforce's instance
// URL), and when to stop using it (zero: until the system refuses it).
type Token[T any] struct {
	Access  string
	Expires time.Time
	Data    T
}

// Cache keeps tokens by key. Each key has its own lock, so that calls of
// one integration that find no token wait for one request to the token
// endpoint, and integrations never wait for each other. The zero Cache is
// ready to use.
type Cache[T any] struct {
	mu      sync.Mutex
	entries map[string]*entry[T]
}

type entry[T any] struct {
	mu  sync.Mutex
	tok *Token[T]
}

// Key names an integration's credentials: its id and a hash of parts (the
// URL tokens come from, the client id and secret, …), so that changed
// credentials never get a token of the old ones.
func Key(integrationID string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return integrationID + ":" + hex.EncodeToString(h.Sum(nil))
}

// Get returns the token of key if there is one that has not expired at
// now (a zero now never judges expiry) and is not stale, the token a
// system just refused (""; none); otherwise it fetches one, keeps it and
// returns it.
func (c *Cache[T]) Get(ctx context.Context, key string, now time.Time, stale string, fetch func(context.Context) (*Token[T], *sb.ActionError)) (*Token[T], *sb.ActionError) {
	e := c.entry(key)
	e.mu.Lock()
	defer e.mu.Unlock()
	if t := e.tok; t != nil && (stale == "" || t.Access != stale) && (now.IsZero() || t.Expires.IsZero() || now.Before(t.Expires)) {
		return t, nil
	}
	e.tok = nil
	t, err := fetch(ctx)
	if err != nil {
		return nil, err
	}
	e.tok = t
	return t, nil
}

func (c *Cache[T]) entry(key string) *entry[T] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*entry[T]{}
	}
	e := c.entries[key]
	if e == nil {
		e = &entry[T]{}
		c.entries[key] = e
	}
	return e
}
