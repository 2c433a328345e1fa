package httpapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

func TestRequestIDAndVersion(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	r := e.must(200, "GET", "/api/v1/bots", e.admin, nil, "X-Request-Id", "client-chosen-id")
	if r.header.Get("X-Request-Id") != "client-chosen-id" || r.header.Get("X-API-Version") != "2024-01" {
		t.Fatalf("headers %v", r.header)
	}
	if id := e.must(200, "GET", "/api/v1/bots", e.admin, nil).header.Get("X-Request-Id"); !strings.HasPrefix(id, "req_") {
		t.Fatalf("generated request id %q", id)
	}
	e.must(200, "GET", "/api/v1/bots", e.admin, nil, "X-API-Version", "2024-01")
	bad := e.call("GET", "/api/v1/bots", e.admin, nil, "X-API-Version", "2023-07")
	bad.problem(t, 400, sb.EUnsupportedVersion, "X-API-Version")
	if bad.header.Get("X-API-Version") != "2024-01" {
		t.Fatal("an error response must carry X-API-Version too")
	}
	e.must(400, "POST", "/api/v1/bots", e.admin, builtinBot, "X-API-Version", "v2")
	if n := len(e.must(200, "GET", "/api/v1/bots", e.admin, nil).data(t)); n != 0 {
		t.Fatal("a request with an unsupported version must change nothing")
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db", envOptions{rate: 0.5, burst: 3})
	for i := 0; i < 3; i++ {
		r := e.must(200, "GET", "/api/v1/bots", e.admin, nil)
		if r.header.Get("RateLimit-Limit") != "3" || r.header.Get("RateLimit-Remaining") != strconv.Itoa(2-i) || r.header.Get("RateLimit-Reset") == "" {
			t.Fatalf("request %d: RateLimit headers %v", i, r.header)
		}
	}
	r := e.call("GET", "/api/v1/bots", e.admin, nil)
	r.problem(t, 429, sb.ERateLimited, "")
	if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); ra < 1 || ra > 2 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	// Another key has its own bucket.
	e.must(200, "GET", "/api/v1/bots", e.reader, nil)
	// Requests without valid credentials are limited per client IP.
	for i := 0; i < 3; i++ {
		e.call("GET", "/api/v1/bots", "sbk_wrong", nil).problem(t, 401, sb.EUnauthorized, "")
	}
	e.call("GET", "/api/v1/bots", "sbk_wrong", nil).problem(t, 429, sb.ERateLimited, "")
}

func TestIdempotency(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		first := e.must(201, "POST", "/api/v1/bots", e.admin, builtinBot, "Idempotency-Key", "k-1")
		again := e.must(201, "POST", "/api/v1/bots", e.admin, builtinBot, "Idempotency-Key", "k-1")
		if string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay %s\nfirst %s", again.body, first.body)
		}
		other := map[string]any{"name": "Other", "engine": "builtin"}
		e.call("POST", "/api/v1/bots", e.admin, other, "Idempotency-Key", "k-1").problem(t, 422, sb.EUnprocessable, "Idempotency-Key")
		e.must(201, "POST", "/api/v1/bots", e.admin, other, "Idempotency-Key", "k-2")
		// Keys belong to one credential: another key may reuse the name.
		e.must(201, "POST", "/api/v1/bots", e.key(e.ws, sb.ScopeWriteBots), builtinBot, "Idempotency-Key", "k-1")
		// A 4xx answer is stored and replayed too.
		e.call("POST", "/api/v1/bots", e.admin, map[string]any{"name": ""}, "Idempotency-Key", "k-3").problem(t, 400, sb.EInvalid, "name")
		e.call("POST", "/api/v1/bots", e.admin, map[string]any{"name": ""}, "Idempotency-Key", "k-3").problem(t, 400, sb.EInvalid, "name")
		e.call("POST", "/api/v1/bots", e.admin, builtinBot, "Idempotency-Key", strings.Repeat("k", 256)).problem(t, 400, sb.EInvalid, "Idempotency-Key")
		if n := len(e.must(200, "GET", "/api/v1/bots", e.admin, nil).data(t)); n != 3 {
			t.Fatalf("%d bots, want 3", n)
		}

		// Concurrent repeats: exactly one bot is created; every answer is the
		// first response or a 409 while it is in progress, which says when
		// to try again.
		var wg sync.WaitGroup
		statuses := make([]int, 8)
		for i := range statuses {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := e.call("POST", "/api/v1/bots", e.admin, builtinBot, "Idempotency-Key", "race")
				statuses[i] = r.status
				if r.status == 409 && r.header.Get("Retry-After") != "1" {
					statuses[i] = -409
				}
			}(i)
		}
		wg.Wait()
		for _, s := range statuses {
			if s != 201 && s != 409 {
				t.Fatalf("concurrent statuses %v (-409: no Retry-After)", statuses)
			}
		}
		if n := len(e.must(200, "GET", "/api/v1/bots", e.admin, nil).data(t)); n != 4 {
			t.Fatalf("%d bots after concurrent repeats, want 4", n)
		}
	})
}

func TestUnknownRoutesAndLimits(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	r := e.call("DELETE", "/api/v1/bots", e.admin, nil)
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, POST" || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("405: %d %v %s", r.status, r.header, r.body)
	}
	e.call("GET", "/api/v2/bots", e.admin, nil).problem(t, 404, sb.ENotFound, "")

	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/bots", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.ContentLength = 2 << 20 // announced, refused before it is read
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
		if res.StatusCode != 413 {
			t.Fatalf("announced oversized body: %d", res.StatusCode)
		}
	}
}
