package egress

import (
	"net/netip"
)

// blockedRange is one special-purpose range and the words that name it in
// error messages.
type blockedRange struct {
	prefix netip.Prefix
	reason string
}

func blocked(cidr, reason string) blockedRange {
	return blockedRange{prefix: netip.MustParsePrefix(cidr), reason: reason}
}

// blockedRanges lists the destinations refused by default, most specific
// first so that the message names the metadata service rather than the
// link-local range around it. Sources: the IANA IPv4 and IPv6
// special-purpose address registries, and the metadata endpoints of the
// common clouds (AWS, GCP, Azure, OCI: 169.254.169.254; AWS over IPv6:
// fd00:ec2::254; Alibaba: 100.100.100.200).
var blockedRanges = []blockedRange{
	blocked("169.254.169.254/32", "cloud metadata address"),
	blocked("100.100.100.200/32", "cloud metadata address"),
	blocked("fd00:ec2::254/128", "cloud metadata address"),
	blocked("255.255.255.255/32", "broadcast address"),
	blocked("0.0.0.0/32", "unspecified address"),
	blocked("::/128", "unspecified address"),
	blocked("::1/128", "loopback address"),

	blocked("0.0.0.0/8", `"this network" address`),
	blocked("10.0.0.0/8", "private address"),
	blocked("100.64.0.0/10", "shared (CGNAT) address"),
	blocked("127.0.0.0/8", "loopback address"),
	blocked("169.254.0.0/16", "link-local address"),
	blocked("172.16.0.0/12", "private address"),
	blocked("192.0.0.0/24", "IETF protocol assignment address"),
	blocked("192.0.2.0/24", "documentation address"),
	blocked("192.88.99.0/24", "6to4 relay anycast address"),
	blocked("192.168.0.0/16", "private address"),
	blocked("198.18.0.0/15", "benchmarking address"),
	blocked("198.51.100.0/24", "documentation address"),
	blocked("203.0.113.0/24", "documentation address"),
	blocked("224.0.0.0/4", "multicast address"),
	blocked("240.0.0.0/4", "reserved address"),

	blocked("::/96", "IPv4-compatible address"),
	blocked("::ffff:0:0:0/96", "IPv4-translated address"),
	blocked("64:ff9b:1::/48", "local-use NAT64 address"),
	blocked("100::/64", "discard-only address"),
	blocked("2001::/32", "Teredo address"),
	blocked("2001:db8::/32", "documentation address"),
	blocked("2001::/23", "IETF protocol assignment address"),
	blocked("3fff::/20", "documentation address"),
	blocked("fc00::/7", "private (unique local) address"),
	blocked("fe80::/10", "link-local address"),
	blocked("fec0::/10", "site-local address"),
	blocked("ff00::/8", "multicast address"),
}

var (
	// globalUnicast6 is the only IPv6 space IANA allocates for global
	// unicast; anything outside it that the table misses is reserved.
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
)

// classify reports why addr may not be reached by default, or blocked=false
// when it is an ordinary public address. IPv4-mapped IPv6 addresses are
// judged as the IPv4 address they carry, and so are NAT64 and 6to4
// addresses.
func classify(addr netip.Addr) (reason string, blocked bool) {
	if !addr.IsValid() {
		return "invalid address", true
	}
	addr = addr.WithZone("").Unmap()
	if v4, kind, ok := embeddedIPv4(addr); ok {
		if r, bad := classify(v4); bad {
			return kind + " embedding " + v4.String() + " (" + r + ")", true
		}
		return "", false
	}
	for _, r := range blockedRanges {
		if r.prefix.Contains(addr) {
			return r.reason, true
		}
	}
	if addr.Is6() && !globalUnicast6.Contains(addr) {
		return "reserved address", true
	}
	return "", false
}

// embeddedIPv4 extracts the IPv4 address that a NAT64 (64:ff9b::/96) or
// 6to4 (2002::/16) address routes to.
func embeddedIPv4(addr netip.Addr) (v4 netip.Addr, kind string, ok bool) {
	b := addr.As16()
	switch {
	case !addr.Is6():
		return netip.Addr{}, "", false
	case nat64.Contains(addr):
		return netip.AddrFrom4([4]byte(b[12:16])), "NAT64 address", true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte(b[2:6])), "6to4 address", true
	}
	return netip.Addr{}, "", false
}
