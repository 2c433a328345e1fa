package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Errors of CheckURL besides ErrBlocked. Their messages, wrapped with
// detail, are fit to show as the message of a 400 field error.
var (
	// ErrInvalidURL: not an absolute http or https URL with a host and
	// without credentials.
	ErrInvalidURL = errors.New("invalid url")
	// ErrUnresolvable: the host did not resolve. A caller that prefers to
	// accept endpoints whose DNS is not set up yet may ignore it; the
	// dialer still checks every connection.
	ErrUnresolvable = errors.New("host does not resolve")
)

// CheckURL validates a customer-supplied target URL at create time: it must
// be an absolute http or https URL with a host and without userinfo, and,
// unless p allows private addresses, no address its host resolves to may be
// blocked. Literal IP addresses are judged without DNS; resolver nil means
// net.DefaultResolver. The error matches ErrInvalidURL, ErrBlocked or
// ErrUnresolvable.
func CheckURL(ctx context.Context, p Policy, rawURL string, resolver *net.Resolver) error {
	host, err := targetHost(rawURL)
	if err != nil {
		return err
	}
	if err := checkLiteralHost(p, host); err != errNotLiteral {
		return err
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return unresolvable(host, err)
	}
	for _, a := range addrs {
		if err := p.Check(a); err != nil {
			err.(*BlockedError).Host = host
			return err
		}
	}
	return nil
}

// targetHost parses rawURL and returns its host, without port or brackets.
func targetHost(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%w: scheme must be http or https", ErrInvalidURL)
	case u.Opaque != "" || u.Hostname() == "":
		return "", fmt.Errorf("%w: must be absolute, with a host", ErrInvalidURL)
	case u.User != nil:
		return "", fmt.Errorf("%w: must not contain a username or password", ErrInvalidURL)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("%w: port must be between 1 and 65535", ErrInvalidURL)
		}
	}
	return u.Hostname(), nil
}

var errNotLiteral = errors.New("not a literal")

// checkLiteralHost judges hosts that need no DNS: IP literals, the legacy
// numeric spellings of IPv4 addresses (2130706433, 0x7f.1, 0177.0.0.1),
// which some resolvers accept and Go's does not, and the localhost names
// (RFC 6761), any of them with a trailing dot. It returns errNotLiteral for an ordinary host name.
func checkLiteralHost(p Policy, host string) error {
	if addr, err := netip.ParseAddr(host); err == nil {
		return p.Check(addr)
	}
	if addr, ok := legacyAddr(host); ok {
		if err := p.Check(addr); err != nil {
			err.(*BlockedError).Host = host
			return err
		}
		return fmt.Errorf("%w: write the IP address %s in dotted-decimal form", ErrInvalidURL, addr)
	}
	if !p.AllowPrivate && isLocalhostName(host) {
		return &BlockedError{Host: host, Addr: netip.AddrFrom4([4]byte{127, 0, 0, 1}), Reason: "loopback address"}
	}
	return errNotLiteral
}

// legacyAddr reads the IPv4 address of a host written in a form
// netip.ParseAddr does not take but a resolver may: the legacy numeric
// spellings (see parseLegacyIPv4), with or without a trailing dot, and a
// dotted-decimal address with a trailing dot ("127.0.0.1.").
func legacyAddr(host string) (netip.Addr, bool) {
	h := strings.TrimSuffix(host, ".")
	if addr, err := netip.ParseAddr(h); err == nil && addr.Is4() && h != host {
		return addr, true
	}
	return parseLegacyIPv4(h)
}

// isLocalhostName reports whether host is "localhost" or a name under it,
// which RFC 6761 reserves for loopback.
func isLocalhostName(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// unresolvable turns a lookup failure into a message that does not expose
// the server's own resolver address.
func unresolvable(host string, err error) error {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && !dnsErr.IsNotFound && (dnsErr.IsTimeout || dnsErr.IsTemporary) {
		return fmt.Errorf("%w: %s (temporary DNS failure)", ErrUnresolvable, host)
	}
	return fmt.Errorf("%w: %s", ErrUnresolvable, host)
}
