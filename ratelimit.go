package switchboard

import (
	"context"
	"time"
)

// TokenBuckets are the API's rate-limit buckets shared by every process on
// one database (the store, on PostgreSQL), so that a key's limit is the
// configured one whatever the number of processes.
type TokenBuckets interface {
	// TakeTokens takes up to t.Want whole tokens from the named bucket,
	// after refilling it for the time since it was last taken from, and
	// returns how many it took and the tokens left.
	TakeTokens(ctx context.Context, t TokenTake) (got int, left float64, err error)
}

// TokenTake asks a shared token bucket for tokens.
type TokenTake struct {
	Name  string  // the bucket: "key:ID" or "ip:ADDR"
	Rate  float64 // tokens added per second
	Burst int     // the bucket's size; a new bucket starts full
	Want  int     // tokens to take, at most
	Now   time.Time
}
