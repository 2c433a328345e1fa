// Package egress is the HTTP client for every call Switchboard makes to a
// URL a customer supplied or could change: outbound webhooks, the webhook
// bot engine, the api channel's callbacks and every platform API call
// (whose base URL a channel's api_base_url overrides). It refuses, by default, to connect to loopback,
// private, link-local, cloud-metadata and other special-purpose addresses.
//
// The check runs in the dialer, on the address actually being connected to
// after DNS resolution, so a host name that resolves to a public address
// when the endpoint is created and to 127.0.0.1 when it is called (DNS
// rebinding) is still refused. CheckURL offers the same judgement at
// create time, for a helpful 400 answer; it is advice, and the dialer is
// the guard.
//
// Clients never follow redirects (a redirect could lead anywhere) and never
// use a proxy from the environment (the proxy would do the connecting, out
// of reach of the check).
package egress

import (
	"errors"
	"fmt"
	"net/netip"
)

// Policy says which destinations outbound calls may reach.
type Policy struct {
	// AllowPrivate lifts every address restriction: loopback, private,
	// link-local, metadata and reserved addresses become reachable. It is
	// meant for development and for deployments whose receivers live on a
	// private network (SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate bool
}

// ErrBlocked is matched (errors.Is) by every refusal of a destination
// address, whether at dial time or by CheckURL.
var ErrBlocked = errors.New("destination address not allowed")

// BlockedError is a refused destination. It matches ErrBlocked.
type BlockedError struct {
	// Host is the host name that resolved to Addr, when known.
	Host string
	// Addr is the address refused; Port is set at dial time.
	Addr netip.Addr
	Port uint16
	// Reason names the kind of address, such as "loopback address".
	Reason string
}

// Error names the address refused and why.
func (e *BlockedError) Error() string {
	if !e.Addr.IsValid() {
		return "destination refused: " + e.Reason
	}
	target := e.Addr.String()
	if e.Port != 0 {
		target = netip.AddrPortFrom(e.Addr, e.Port).String()
	}
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("host %q resolves to %s, a %s, which is not allowed", e.Host, target, e.Reason)
	}
	return fmt.Sprintf("connection to %s refused: %s not allowed", target, e.Reason)
}

// Is makes errors.Is(err, ErrBlocked) true.
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// Check returns nil if p allows connecting to addr, or a *BlockedError.
func (p Policy) Check(addr netip.Addr) error {
	if p.AllowPrivate {
		return nil
	}
	if reason, bad := classify(addr); bad {
		return &BlockedError{Addr: addr, Reason: reason}
	}
	return nil
}

// Allowed reports whether p allows connecting to addr.
func (p Policy) Allowed(addr netip.Addr) bool { return p.Check(addr) == nil }
