package auth

import (
	"context"
	"log/slog"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

// BenchmarkAuthenticate compares what authenticating a request costs with
// an API key and with a JWT access token: "cached" is the common case (the
// credential was checked within CacheTTL), "uncached" the first request or
// one per CacheTTL (an API key: its SHA-256 and a database read; a JWT: an
// ES256 verification and the per-token database read).
func BenchmarkAuthenticate(b *testing.B) {
	f := newFixture(b, false)
	ctx := context.Background()
	a := New(f.db, slog.New(slog.DiscardHandler), f.clock)
	a.UseTokens(f.srv.Verifier())
	secret, _ := NewKey()
	key := NewAPIKey(f.ws.ID, "bench", []string{sb.ScopeAdmin}, secret)
	if err := f.db.CreateAPIKey(ctx, key); err != nil {
		b.Fatal(err)
	}
	jwt := f.accessToken(b)
	if _, err := a.Authenticate(ctx, jwt); err != nil {
		b.Fatal(err)
	}
	grant := ""
	for _, c := range f.srv.verifier.cache {
		grant = c.requestID
	}
	run := func(name, token string, forget func()) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if forget != nil {
					forget()
				}
				if _, err := a.Authenticate(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("api-key/cached", secret, nil)
	run("api-key/uncached", secret, func() { a.Forget(key.ID) })
	run("jwt/cached", jwt, nil)
	run("jwt/uncached", jwt, func() { f.srv.verifier.ForgetGrant(grant) })
}

// BenchmarkTokenClientCredentials issues access tokens with the client
// credentials grant through the token endpoint's handler, from parallel
// clients, on SQLite with group commit (as serve runs it): client
// authentication, an ES256 signature and the token's record.
func BenchmarkTokenClientCredentials(b *testing.B) {
	f := newFixture(b, true)
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if code, m := f.token(b, "read:bots"); code != 200 {
				b.Errorf("token endpoint: %d %v", code, m)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
