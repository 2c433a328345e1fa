package egress

import (
	"net/netip"
	"strconv"
	"strings"
)

// parseLegacyIPv4 parses the numeric IPv4 spellings of inet_aton: one to
// four parts separated by dots, each decimal, octal (leading 0) or
// hexadecimal (leading 0x), the last part filling the remaining bytes
// (127.1 is 127.0.0.1, 2130706433 is 127.0.0.1). Canonical dotted-decimal
// addresses are for netip.ParseAddr; this catches the rest.
func parseLegacyIPv4(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var ip uint32
	for i, part := range parts {
		n, ok := parseLegacyPart(part)
		if !ok {
			return netip.Addr{}, false
		}
		if i < len(parts)-1 {
			if n > 0xff {
				return netip.Addr{}, false
			}
			ip |= uint32(n) << (8 * (3 - i))
			continue
		}
		restBits := 8 * (4 - i)
		if restBits < 32 && n>>restBits != 0 {
			return netip.Addr{}, false
		}
		ip |= uint32(n)
	}
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}), true
}

// parseLegacyPart parses one part as inet_aton does, into at most 32 bits.
func parseLegacyPart(s string) (uint64, bool) {
	base := 10
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, base, 32)
	return n, err == nil
}
