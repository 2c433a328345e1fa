package httpapi_test

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/httpapi"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// loopback is the test client's address, trusted as a proxy so that tests
// can speak for other clients with X-Forwarded-For.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// TestHookRefusalBudgets: refused /hooks requests spend a budget per client
// address and per channel; once it is spent the hook answers 429 with
// Retry-After and the RateLimit-* headers without verifying anything,
// while verified requests spend nothing; the refusals are logged once,
// not once each.
func TestHookRefusalBudgets(t *testing.T) {
	logs := &syncBuffer{}
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db", envOptions{rate: 10000, burst: 10000, allowPrivate: true, log: logs, trusted: loopback,
		hookIP: httpapi.Budget{PerSecond: 0.01, Burst: 5}, hookChannel: httpapi.Budget{PerSecond: 0.01, Burst: 12}})
	tg := telegramtest.NewServer()
	defer tg.Close()
	chID, token := e.telegramSetup(t, tg)
	update := string(telegramtest.Update(9001, 42, "Ada", "hello"))
	from := func(ip string, secret string) []string {
		return []string{"X-Forwarded-For", ip, telegram.HeaderSecretToken, secret}
	}

	for i := range 5 {
		r := e.call("POST", hookPath(chID), "", update, from("203.0.113.1", "wrong")...)
		r.problem(t, 401, sb.EUnauthorized, "")
		if r.header.Get("RateLimit-Limit") != "5" || r.header.Get("RateLimit-Remaining") != strconv.Itoa(4-i) || r.header.Get("RateLimit-Reset") == "" {
			t.Fatalf("refusal %d: RateLimit headers %v", i, r.header)
		}
	}
	r := e.call("POST", hookPath(chID), "", update, from("203.0.113.1", "wrong")...)
	r.problem(t, 429, sb.ERateLimited, "")
	if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); ra < 1 || r.header.Get("RateLimit-Remaining") != "0" {
		t.Fatalf("429 headers %v", r.header)
	}
	// Over budget, the address is not heard at all, a right token included.
	e.call("POST", hookPath(chID), "", update, from("203.0.113.1", token)...).problem(t, 429, sb.ERateLimited, "")

	// Verified requests spend nothing, however many.
	for range 20 {
		r := e.must(200, "POST", hookPath(chID), "", update, from("198.51.100.7", token)...)
		if r.header.Get("RateLimit-Remaining") != "5" {
			t.Fatalf("a verified request spent the budget: %v", r.header)
		}
	}

	// The channel's budget (12): 5 spent above; 7 more refusals from
	// other addresses empty it, then even a new address is refused at once.
	for i := range 7 {
		e.call("POST", hookPath(chID), "", update, from("192.0.2."+strconv.Itoa(i+1), "wrong")...).problem(t, 401, sb.EUnauthorized, "")
	}
	r = e.call("POST", hookPath(chID), "", update, from("192.0.2.200", "wrong")...)
	r.problem(t, 429, sb.ERateLimited, "")
	if r.header.Get("RateLimit-Limit") != "12" {
		t.Fatalf("the channel's budget is the tighter one: %v", r.header)
	}
	// The address that has been delivering verified requests is not held
	// up by the channel's spent budget.
	e.must(200, "POST", hookPath(chID), "", update, from("198.51.100.7", token)...)
	// Unknown channels spend the address's budget only.
	e.call("POST", hookPath("ch_01ARZ3NDEKTSV4RRFFQ69G5FAV"), "", update, from("192.0.2.201", "x")...).problem(t, 404, sb.ENotFound, "")

	// One line for the first refusal of each address, none for the rest.
	out := logs.String()
	if n := strings.Count(out, `msg="inbound hook refused" `+"channel="+chID); n != 9 {
		t.Fatalf("%d refusal lines, want 9 (one per address):\n%s", n, out)
	}
	if n := strings.Count(out, "ip=203.0.113.1 "); n != 1 {
		t.Fatalf("%d lines for 203.0.113.1, want 1:\n%s", n, out)
	}
}

// TestAllowedIPs: a channel's allowed_ips are validated, stored in
// canonical form, and keep requests from other addresses out (403, nothing
// stored); X-Forwarded-For is believed only from trusted proxies.
func TestAllowedIPs(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL, envOptions{rate: 10000, burst: 10000, allowPrivate: true, trusted: loopback, hookIP: plenty, hookChannel: plenty})
		tg := telegramtest.NewServer()
		defer tg.Close()

		bad := e.call("POST", "/api/v1/channels", e.admin, map[string]any{"type": "telegram", "name": "T",
			"config": map[string]any{"bot_token": "1:T", "allowed_ips": []string{"10.0.0.0/8", "nope", "1.2.3.4/33"}}})
		bad.problem(t, 400, sb.EInvalid, "config.allowed_ips[1]")
		bad.problem(t, 400, sb.EInvalid, "config.allowed_ips[2]")
		e.call("POST", "/api/v1/channels", e.admin, map[string]any{"type": "telegram", "name": "T",
			"config": map[string]any{"bot_token": "1:T", "allowed_ips": []string{}}}).problem(t, 400, sb.EInvalid, "config.allowed_ips")

		ch := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "telegram", "name": "T",
			"config": map[string]any{"bot_token": "1:T", "api_base_url": tg.URL,
				"allowed_ips": []string{"149.154.167.1/20", "2001:db8::1", "203.0.113.9"}}}).obj(t)
		chID := ch["id"].(string)
		cfg := ch["config"].(map[string]any)
		token := cfg["secret_token"].(string)
		got := e.must(200, "GET", "/api/v1/channels/"+chID, e.admin, nil).obj(t)["config"].(map[string]any)["allowed_ips"]
		if want := `[149.154.160.0/20 2001:db8::1/128 203.0.113.9/32]`; strings.Join(strings.Fields(strings.Trim(fmtList(got), "[]")), " ") != strings.Trim(want, "[]") {
			t.Fatalf("allowed_ips stored as %v, want %s", got, want)
		}
		e.call("PATCH", "/api/v1/channels/"+chID, e.admin, map[string]any{"config": map[string]any{"allowed_ips": []string{"::1/129"}}}).
			problem(t, 400, sb.EInvalid, "config.allowed_ips[0]")

		before := e.snapshot(t)
		update := string(telegramtest.Update(9001, 42, "Ada", "hello"))
		for _, ip := range []string{"198.51.100.7", "149.154.176.1", "2001:db8::2"} {
			e.call("POST", hookPath(chID), "", update, "X-Forwarded-For", ip, telegram.HeaderSecretToken, token).problem(t, 403, sb.EForbidden, "")
		}
		// A client cannot put itself on the list: only the rightmost
		// address a trusted proxy wrote counts.
		e.call("POST", hookPath(chID), "", update, "X-Forwarded-For", "149.154.160.5, 198.51.100.7", telegram.HeaderSecretToken, token).
			problem(t, 403, sb.EForbidden, "")
		e.runJobs()
		if after := e.snapshot(t); after != before {
			t.Fatalf("a request from outside allowed_ips stored something:\nbefore %s\nafter  %s", before, after)
		}
		e.must(200, "POST", hookPath(chID), "", update, "X-Forwarded-For", "198.51.100.7, 149.154.175.254", telegram.HeaderSecretToken, token)
		e.must(200, "POST", hookPath(chID), "", update, "X-Forwarded-For", "2001:db8::1", telegram.HeaderSecretToken, token)

		// null removes the list: every address again.
		e.must(200, "PATCH", "/api/v1/channels/"+chID, e.admin, map[string]any{"config": map[string]any{"allowed_ips": nil}})
		e.must(200, "POST", hookPath(chID), "", update, "X-Forwarded-For", "198.51.100.7", telegram.HeaderSecretToken, token)
	})
}

// TestForwardedForNotTrustedByDefault: without trusted proxies the peer is
// the client, whatever X-Forwarded-For says.
func TestForwardedForNotTrustedByDefault(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db", platformsOnLoopback)
	tg := telegramtest.NewServer()
	defer tg.Close()
	ch := e.must(201, "POST", "/api/v1/channels", e.admin, map[string]any{"type": "telegram", "name": "T",
		"config": map[string]any{"bot_token": "1:T", "api_base_url": tg.URL, "allowed_ips": []string{"149.154.160.0/20"}}}).obj(t)
	chID, token := ch["id"].(string), ch["config"].(map[string]any)["secret_token"].(string)
	update := string(telegramtest.Update(9001, 42, "Ada", "hello"))
	e.call("POST", hookPath(chID), "", update, "X-Forwarded-For", "149.154.160.5", telegram.HeaderSecretToken, token).problem(t, 403, sb.EForbidden, "")
	e.must(200, "PATCH", "/api/v1/channels/"+chID, e.admin, map[string]any{"config": map[string]any{"allowed_ips": []string{"127.0.0.1", "::1"}}})
	e.must(200, "POST", hookPath(chID), "", update, "X-Forwarded-For", "149.154.160.5", telegram.HeaderSecretToken, token)
}

func fmtList(v any) string {
	items, _ := v.([]any)
	var s []string
	for _, it := range items {
		str, _ := it.(string)
		s = append(s, str)
	}
	return "[" + strings.Join(s, " ") + "]"
}
