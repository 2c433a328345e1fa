package httpapi

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		xff     []string
		want    string
	}{
		{"no proxies: the peer", nil, "192.0.2.1:4321", []string{"203.0.113.5"}, "192.0.2.1"},
		{"untrusted peer: the peer", proxies, "192.0.2.1:4321", []string{"203.0.113.5"}, "192.0.2.1"},
		{"trusted peer, no header", proxies, "10.1.2.3:80", nil, "10.1.2.3"},
		{"trusted peer: the forwarded client", proxies, "10.1.2.3:80", []string{"203.0.113.5"}, "203.0.113.5"},
		{"spoofed left entries are ignored", proxies, "10.1.2.3:80", []string{"149.154.160.1, 203.0.113.5"}, "203.0.113.5"},
		{"chains of trusted proxies are walked", proxies, "10.1.2.3:80", []string{"198.51.100.2, 203.0.113.5, 10.9.9.9", "10.8.8.8"}, "203.0.113.5"},
		{"all trusted: the leftmost", proxies, "10.1.2.3:80", []string{"10.2.2.2, 10.3.3.3"}, "10.2.2.2"},
		{"malformed entry: the last good address", proxies, "10.1.2.3:80", []string{"203.0.113.5, garbage, 10.4.4.4"}, "10.4.4.4"},
		{"IPv6 peer and mapped forwarded address", proxies, "[fd00::1]:80", []string{"::ffff:203.0.113.5"}, "203.0.113.5"},
		{"IPv6 forwarded with port", proxies, "[fd00::1%eth0]:80", []string{"[2001:db8::7]:5555"}, "2001:db8::7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{cfg: Config{TrustedProxies: tc.trusted}}
			r := httptest.NewRequest("POST", "/hooks/channels/x", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientIP(r); got.String() != tc.want {
				t.Fatalf("clientIP = %v, want %s", got, tc.want)
			}
		})
	}
	if got := limitKey(netip.MustParseAddr("2001:db8:1:2:3:4:5:6")); got != "2001:db8:1:2::/64" {
		t.Fatalf("limitKey of an IPv6 address = %s, want its /64", got)
	}
}

// TestRefusalLogAggregated: after the first refusal of an address, the
// others of the interval are counted and logged as one line.
func TestRefusalLogAggregated(t *testing.T) {
	var out bytes.Buffer
	g := newHookGuard(Config{RefusalLogInterval: time.Minute}, slog.New(slog.NewTextHandler(&out, nil)))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		g.note("203.0.113.5", i >= 20, t0.Add(time.Duration(i)*time.Millisecond), "channel", "ch_x")
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Fatalf("%d lines for 1000 refusals within a minute, want 1:\n%s", n, out.String())
	}
	g.note("198.51.100.1", false, t0.Add(61*time.Second), "channel", "ch_x")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], `msg="inbound hook refusals" ip=203.0.113.5 refused=19 rate_limited=980`) {
		t.Fatalf("want the first refusal, one summary and the new address's first refusal:\n%s", out.String())
	}
}
