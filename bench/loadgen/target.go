package loadgen

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrNotLoopback is returned for a target that is not on this machine. The
// harness only ever loads servers on loopback (127.0.0.0/8, ::1, localhost).
var ErrNotLoopback = errors.New("loadgen: target is not a loopback address")

// CheckURL reports whether raw is an http or https URL whose host is a
// loopback address or the name "localhost". It wraps ErrNotLoopback.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("loadgen: bad target URL %q: %w", raw, err)
	}
	return checkTarget(u)
}

// checkTarget is CheckURL for an already parsed URL.
func checkTarget(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("loadgen: target %q: scheme must be http or https", u.Redacted())
	}
	if !IsLoopbackHost(u.Hostname()) {
		return fmt.Errorf("%w: %q", ErrNotLoopback, u.Host)
	}
	return nil
}

// IsLoopbackHost reports whether host (without port or brackets) is
// "localhost" or a loopback IP address. Other names are refused without a
// DNS lookup.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkDialAddress refuses to connect to a resolved address that is not a
// loopback IP. It runs at connection time, after name resolution, so a name
// that resolves elsewhere (a doctored hosts file) is refused as well.
func checkDialAddress(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("loadgen: dial %s %q: %w", network, address, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: dial %s %s", ErrNotLoopback, network, address)
	}
	return nil
}

// NewTransport returns an http.Transport tuned for load generation against
// loopback: it keeps at least concurrency idle connections per host so that
// connections are reused, never uses a proxy, does not ask for compression,
// and refuses to connect anywhere but loopback.
func NewTransport(concurrency int) *http.Transport {
	if concurrency < 1 {
		concurrency = 1
	}
	dialer := &net.Dialer{
		Timeout:   5 * time.Second,
		KeepAlive: 30 * time.Second,
		Control:   checkDialAddress,
	}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		MaxIdleConns:          2 * concurrency,
		MaxIdleConnsPerHost:   concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
}

// NewClient returns an http.Client on NewTransport(concurrency) that does
// not follow redirects and gives up on a request after timeout (no limit if
// timeout is zero).
func NewClient(concurrency int, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: NewTransport(concurrency),
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
