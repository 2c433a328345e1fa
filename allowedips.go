package switchboard

import (
	"fmt"
	"net/netip"
	"strings"
)

// allowedIPs is the setting every channel type takes: the addresses its
// inbound hook accepts requests from.
var allowedIPs = ConfigField{Name: "allowed_ips", List: true, CIDRs: true}

// MaxAllowedIPs bounds the length of a channel's allowed_ips.
const MaxAllowedIPs = 256

// checkCIDRs validates a list of CIDRs (a bare address is one address) and
// returns it in canonical form ("10.0.0.0/8", "2001:db8::/32"), or records
// what is wrong in v, naming field[i].
func checkCIDRs(v *Validation, field string, list []string) ([]string, bool) {
	switch {
	case len(list) == 0:
		v.Add(field, "must list at least one CIDR (null removes the setting and accepts every address)")
		return nil, false
	case len(list) > MaxAllowedIPs:
		v.Addf(field, "must list at most %d CIDRs", MaxAllowedIPs)
		return nil, false
	}
	out := make([]string, 0, len(list))
	ok := true
	for i, s := range list {
		p, err := parsePrefix(s)
		if err != nil {
			v.Add(fmt.Sprintf("%s[%d]", field, i), "must be a CIDR such as 149.154.160.0/20 or 2001:db8::/32, or one IP address")
			ok = false
			continue
		}
		out = append(out, p.String())
	}
	return out, ok
}

// parsePrefix reads a CIDR or a single address, masked, IPv4-mapped IPv6
// as IPv4.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("not an address: %q", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// AllowsIP says whether the channel takes inbound requests from a: always
// if it has no allowed_ips, else only from an address in one of them (the
// zero Addr, an unknown client, is in none).
func (c *Channel) AllowsIP(a netip.Addr) bool {
	var list []string
	switch v := c.Config[allowedIPs.Name].(type) {
	case nil:
		return true
	case []string:
		list = v
	case []any: // read back from the database
		for _, it := range v {
			if s, ok := it.(string); ok {
				list = append(list, s)
			}
		}
	}
	a = a.Unmap()
	for _, s := range list {
		if p, err := parsePrefix(s); err == nil && p.Contains(a) {
			return true
		}
	}
	return false
}
