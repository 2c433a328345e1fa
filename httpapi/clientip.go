package httpapi

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the address of the client that sent r. It is the peer of the
// connection unless the peer is a trusted proxy (Config.TrustedProxies):
// then X-Forwarded-For is read from the right, each trusted proxy's entry
// skipped, and the first address that is not a trusted proxy is the
// client's. Entries left of it were written by the client and are not
// believed. A malformed entry ends the walk at the last address read. It
// is the zero Addr only when the peer address itself cannot be read.
//
// The rate limits of unauthenticated requests, the refusal budgets of
// /hooks and the channels' allowed_ips all use it.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	if !peer.IsValid() || !s.trusted(peer) {
		return peer
	}
	client := peer
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(values[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			a := parseAddr(strings.TrimSpace(hops[j]))
			if !a.IsValid() {
				return client
			}
			client = a
			if !s.trusted(a) {
				return client
			}
		}
	}
	return client
}

// trusted says whether a is one of the trusted proxies.
func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseAddr reads "host:port", "[v6]:port" or a bare address, IPv4-mapped
// IPv6 addresses as IPv4 and without a zone; the zero Addr if it is none.
func parseAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// limitKey names the address's bucket: an IPv4 address, or the /64 of an
// IPv6 address (one host commonly holds a whole /64).
func limitKey(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
