package tokencache

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

func TestGet(t *testing.T) {
	var c Cache[string]
	var fetches atomic.Int32
	fetch := func(context.Context) (*Token[string], *sb.ActionError) {
		n := fetches.Add(1)
		return &Token[string]{Access: "tok" + string(rune('0'+n)), Expires: time.Unix(1000, 0), Data: "https://instance"}, nil
	}
	ctx := context.Background()
	at := time.Unix(900, 0)
	k := Key("int_1", "https://login", "cid", "secret")
	tok, err := c.Get(ctx, k, at, "", fetch)
	if err != nil || tok.Access != "tok1" || tok.Data != "https://instance" {
		t.Fatalf("Get = %+v, %v", tok, err)
	}
	if tok, _ = c.Get(ctx, k, at, "", fetch); tok.Access != "tok1" || fetches.Load() != 1 {
		t.Fatalf("cached Get = %+v after %d fetches", tok, fetches.Load())
	}
	// Refused: a new one, once, even if two callers say so.
	if tok, _ = c.Get(ctx, k, at, "tok1", fetch); tok.Access != "tok2" {
		t.Fatalf("after a refusal: %+v", tok)
	}
	if tok, _ = c.Get(ctx, k, at, "tok1", fetch); tok.Access != "tok2" || fetches.Load() != 2 {
		t.Fatalf("a second refusal of the old token fetched again: %+v, %d", tok, fetches.Load())
	}
	// Expired at now; a zero now does not judge.
	if tok, _ = c.Get(ctx, k, time.Time{}, "", fetch); tok.Access != "tok2" {
		t.Fatalf("zero now: %+v", tok)
	}
	if tok, _ = c.Get(ctx, k, time.Unix(1000, 0), "", fetch); tok.Access != "tok3" {
		t.Fatalf("expired: %+v", tok)
	}
	// Other credentials, another entry; a failed fetch keeps nothing.
	k2 := Key("int_1", "https://login", "cid", "rotated")
	if k2 == k {
		t.Fatal("Key ignores the secret")
	}
	refused := &sb.ActionError{CredentialsRefused: true, Message: "no"}
	if _, err := c.Get(ctx, k2, at, "", func(context.Context) (*Token[string], *sb.ActionError) { return nil, refused }); err != refused {
		t.Fatalf("failed fetch: %v", err)
	}
	if tok, _ = c.Get(ctx, k2, at, "", fetch); tok.Access != "tok4" {
		t.Fatalf("after a failed fetch: %+v", tok)
	}
}

func TestOneFetchForConcurrentCallers(t *testing.T) {
	var c Cache[struct{}]
	var fetches atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.Get(context.Background(), "k", time.Unix(1, 0), "", func(context.Context) (*Token[struct{}], *sb.ActionError) {
				fetches.Add(1)
				time.Sleep(10 * time.Millisecond)
				return &Token[struct{}]{Access: "t", Expires: time.Unix(100, 0)}, nil
			})
		}()
	}
	wg.Wait()
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}
