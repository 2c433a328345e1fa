package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// blockedSamples are addresses of the refused ranges the fuzz target spells
// in every way it knows.
var blockedSamples = []string{
	"127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
	"169.254.169.254", "169.254.0.1", "100.64.0.1", "100.100.100.200", "0.0.0.0",
	"::1", "fd00:ec2::254", "fc00::1", "fe80::1", "::",
}

// spellings returns textual forms of addr: canonical, decimal, hex and octal
// whole numbers, every short form (a.b.c, a.b, a) in each base, IPv4-mapped
// and NAT64 IPv6, expanded IPv6, upper case and trailing dots.
func spellings(addr netip.Addr) []string {
	var out []string
	if addr.Is4() {
		b := addr.As4()
		n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		bases := []func(uint64) string{
			func(v uint64) string { return fmt.Sprintf("%d", v) },
			func(v uint64) string { return fmt.Sprintf("0x%x", v) },
			func(v uint64) string { return fmt.Sprintf("0X%X", v) },
			func(v uint64) string { return fmt.Sprintf("0%o", v) },
			func(v uint64) string { return fmt.Sprintf("0x%08x", v) },
			func(v uint64) string { return fmt.Sprintf("000%o", v) },
		}
		for _, f := range bases {
			out = append(out,
				f(uint64(n)),
				f(uint64(b[0]))+"."+f(uint64(n&0xffffff)),
				f(uint64(b[0]))+"."+f(uint64(b[1]))+"."+f(uint64(n&0xffff)),
				f(uint64(b[0]))+"."+f(uint64(b[1]))+"."+f(uint64(b[2]))+"."+f(uint64(b[3])),
			)
		}
		out = append(out, addr.String(),
			"::ffff:"+addr.String(), "::FFFF:"+addr.String(),
			netip.AddrFrom16(addr.As16()).String(),
			fmt.Sprintf("::ffff:%x:%x", n>>16, n&0xffff),
			fmt.Sprintf("0:0:0:0:0:ffff:%x:%x", n>>16, n&0xffff),
			fmt.Sprintf("64:ff9b::%x:%x", n>>16, n&0xffff),
			fmt.Sprintf("2002:%x:%x::1", n>>16, n&0xffff),
			"::"+addr.String(),
		)
	} else {
		out = append(out, addr.String(), addr.StringExpanded(), strings.ToUpper(addr.StringExpanded()),
			strings.ToUpper(addr.String()))
	}
	return out
}

// hostForms wraps one spelling as a URL host: as is, with a trailing dot,
// bracketed (IPv6), and with a zone.
func hostForms(s string) []string {
	if strings.Contains(s, ":") {
		return []string{"[" + s + "]", "[" + s + "%25eth0]"}
	}
	return []string{s, s + ".", strings.ToUpper(s)}
}

// FuzzAddressParser: every textual form of a loopback, private, link-local
// or metadata address is refused, at create (CheckURL) and at connect time
// (the transport's dial), without asking DNS. The seed corpus spells each
// sample in every form spellings knows; fuzzed inputs must never make a
// blocked form pass, and any host the parsers read as an address must be
// judged as that address.
func FuzzAddressParser(f *testing.F) {
	for _, s := range blockedSamples {
		for _, sp := range spellings(netip.MustParseAddr(s)) {
			f.Add(sp)
		}
	}
	f.Add("localhost")
	f.Add("LOCALHOST.")
	f.Add("foo.localhost")
	noDNS := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS in this test")
	}}
	dial := dialContext(Policy{}, NewDialer(Policy{}, noDNS))
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsAny(s, "/?#@ \t\r\n") {
			return
		}
		// What would the host be read as? netip for canonical forms, the
		// legacy parser for the inet_aton ones.
		bare := strings.TrimSuffix(strings.Trim(s, "[]"), ".")
		if i := strings.IndexByte(bare, '%'); i >= 0 && strings.Contains(bare, ":") {
			bare = bare[:i]
		}
		addr, err := netip.ParseAddr(bare)
		if err != nil {
			var ok bool
			if addr, ok = parseLegacyIPv4(strings.TrimSuffix(s, ".")); !ok && !isLocalhostName(s) {
				return
			}
		}
		if addr.IsValid() && (Policy{}).Allowed(addr) {
			return
		}
		for _, host := range hostForms(s) {
			u := "http://" + host + ":80/"
			if err := CheckURL(context.Background(), Policy{}, u, noDNS); err != nil && !errors.Is(err, ErrBlocked) &&
				!errors.Is(err, ErrInvalidURL) && !errors.Is(err, ErrUnresolvable) {
				t.Fatalf("CheckURL(%q) = %v", u, err)
			} else if err == nil {
				t.Fatalf("CheckURL(%q) passed a blocked address", u)
			}
		}
		// At connect time: the dial must refuse without reaching DNS or
		// the network.
		target := s
		if strings.Contains(bare, ":") {
			target = "[" + bare + "]"
		}
		conn, err := dial(context.Background(), "tcp", target+":80")
		if conn != nil {
			conn.Close()
			t.Fatalf("dial %q connected", target)
		}
		if !errors.Is(err, ErrBlocked) {
			t.Fatalf("dial %q = %v, want ErrBlocked", target, err)
		}
	})
}

// TestSpellingsRefused runs every generated spelling through CheckURL with
// no DNS at all: each must be refused as blocked (or, for hosts URL
// parsing cannot take, invalid), never accepted.
func TestSpellingsRefused(t *testing.T) {
	noDNS := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS in this test")
	}}
	for _, s := range blockedSamples {
		for _, sp := range spellings(netip.MustParseAddr(s)) {
			for _, host := range hostForms(sp) {
				u := "http://" + host + ":80/"
				err := CheckURL(t.Context(), Policy{}, u, noDNS)
				if !errors.Is(err, ErrBlocked) && !errors.Is(err, ErrInvalidURL) {
					t.Errorf("CheckURL(%q) = %v, want refused", u, err)
				}
			}
		}
	}
}
