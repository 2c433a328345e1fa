package egress

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Defaults of the clients built here.
const (
	// DefaultTimeout bounds a whole request when NewClient is given none;
	// it is the delivery timeout of the product contract.
	DefaultTimeout = 15 * time.Second
	// MaxIdleConnsPerHost is generous because delivery sends many requests
	// to the same few endpoints and reuses connections heavily.
	MaxIdleConnsPerHost = 32
	// MaxIdleConns bounds idle connections over all hosts.
	MaxIdleConns = 1024
	// MaxResponseHeaderBytes bounds what an untrusted server may send as
	// response headers.
	MaxResponseHeaderBytes = 64 << 10

	dialTimeout         = 10 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
	idleConnTimeout     = 90 * time.Second
	keepAlive           = 30 * time.Second
)

// NewClient returns an HTTP client that enforces p on every connection,
// never follows redirects (a 3xx is returned as the response) and never
// uses a proxy. timeout bounds each whole request, reading the body
// included; zero or less means DefaultTimeout. Build one client and share
// it: its transport pools connections.
func NewClient(p Policy, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{
		Transport:     NewTransport(p, timeout, nil),
		CheckRedirect: noRedirects,
		Timeout:       timeout,
	}
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// NewTransport returns the transport of NewClient, for callers that wrap it
// or tune it. timeout bounds the wait for response headers (zero: none);
// resolver, when not nil, resolves host names (tests inject one).
func NewTransport(p Policy, timeout time.Duration, resolver *net.Resolver) *http.Transport {
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            dialContext(p, NewDialer(p, resolver)),
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    capped(tlsHandshakeTimeout, timeout),
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        idleConnTimeout,
		MaxIdleConns:           MaxIdleConns,
		MaxIdleConnsPerHost:    MaxIdleConnsPerHost,
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	}
}

// NewDialer returns a dialer that checks every address it connects to
// against p, after resolution and immediately before the connect system
// call, so no later DNS answer can change what is reached.
func NewDialer(p Policy, resolver *net.Resolver) *net.Dialer {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: keepAlive, Resolver: resolver}
	if !p.AllowPrivate {
		d.ControlContext = p.control
	}
	return d
}

// dialContext wraps d so that hosts needing no DNS are judged before
// any lookup: the legacy numeric spellings of IPv4 addresses (2130706433,
// 0x7f000001, 127.1, 127.0.0.1.), which Go's resolver would send to DNS as names, are
// refused when their address is, and dialed as that address otherwise; the
// localhost names ("LOCALHOST.", "foo.localhost") are refused unless p
// allows private addresses. Either refusal is a *BlockedError, so callers
// treat it as permanent instead of retrying a DNS failure.
func dialContext(p Policy, d *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			// An unbalanced bracket or a missing port: nothing a dial could
			// judge, so nothing to connect to.
			return nil, &net.OpError{Op: "dial", Net: network, Err: &BlockedError{Reason: "unparsable address " + address}}
		}
		if _, err := netip.ParseAddr(host); err != nil {
			if addr, ok := legacyAddr(host); ok {
				if err := p.Check(addr); err != nil {
					err.(*BlockedError).Host = host
					return nil, &net.OpError{Op: "dial", Net: network, Err: err}
				}
				address = net.JoinHostPort(addr.String(), port)
			} else if !p.AllowPrivate && isLocalhostName(host) {
				err := &BlockedError{Host: host, Addr: netip.AddrFrom4([4]byte{127, 0, 0, 1}), Reason: "loopback address"}
				return nil, &net.OpError{Op: "dial", Net: network, Err: err}
			}
		}
		return d.DialContext(ctx, network, address)
	}
}

// control is the net.Dialer hook. address is the literal ip:port about to
// be connected to; anything unparsable is refused.
func (p Policy) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{Reason: "unparsable address " + address}
	}
	if err := p.Check(ap.Addr()); err != nil {
		be := err.(*BlockedError)
		be.Port = ap.Port()
		return be
	}
	return nil
}

// capped returns d, or limit when limit is positive and smaller.
func capped(d, limit time.Duration) time.Duration {
	if limit > 0 && limit < d {
		return limit
	}
	return d
}
