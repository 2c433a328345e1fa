package egress

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer is a loopback HTTP server that counts the requests it gets.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func get(t *testing.T, c *http.Client, rawURL string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

func TestLoopbackRefusedByDefault(t *testing.T) {
	srv, hits := countingServer(t, nil)
	_, err := get(t, NewClient(Policy{}, 5*time.Second), srv.URL)
	assertBlocked(t, err, "loopback")
	if !strings.Contains(err.Error(), srv.Listener.Addr().String()) {
		t.Errorf("err = %q, want it to name %s", err, srv.Listener.Addr())
	}
	var be *BlockedError
	if !errors.As(err, &be) || be.Addr.String() != "127.0.0.1" {
		t.Errorf("errors.As BlockedError = %+v", be)
	}
	if hits.Load() != 0 {
		t.Errorf("server got %d requests, want 0", hits.Load())
	}
}

func TestLoopbackAllowedWithAllowPrivate(t *testing.T) {
	srv, hits := countingServer(t, nil)
	resp, err := get(t, NewClient(Policy{AllowPrivate: true}, 5*time.Second), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || hits.Load() != 1 {
		t.Errorf("status %d, hits %d; want 200, 1", resp.StatusCode, hits.Load())
	}
}

func TestIPv6LoopbackRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	_, err = get(t, NewClient(Policy{}, 5*time.Second), srv.URL)
	assertBlocked(t, err, "[::1]:")
}

// TestDNSRebinding resolves a name to a public address when the URL is
// checked and to 127.0.0.1 when the connection is made: the dialer must
// refuse it, whatever CheckURL said.
func TestDNSRebinding(t *testing.T) {
	srv, hits := countingServer(t, nil)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	target := "http://rebind.test:" + port + "/hook"
	dns := newFakeDNS(t)

	dns.set("rebind.test", "93.184.216.34")
	if err := CheckURL(t.Context(), Policy{}, target, dns.resolver()); err != nil {
		t.Fatalf("CheckURL while public: %v", err)
	}

	dns.set("rebind.test", "127.0.0.1")
	client := &http.Client{Transport: NewTransport(Policy{}, 5*time.Second, dns.resolver())}
	_, err := get(t, client, target)
	assertBlocked(t, err, "127.0.0.1:"+port)
	if hits.Load() != 0 {
		t.Fatalf("server got %d requests through a rebound name", hits.Load())
	}

	// The same name and resolver do reach the server when private
	// addresses are allowed: the refusal above came from the check, not
	// from a resolver that does not work.
	allow := &http.Client{Transport: NewTransport(Policy{AllowPrivate: true}, 5*time.Second, dns.resolver())}
	if _, err := get(t, allow, target); err != nil || hits.Load() != 1 {
		t.Fatalf("AllowPrivate: err %v, hits %d; want nil, 1", err, hits.Load())
	}
}

func TestRebindingToMetadataOverIPv6(t *testing.T) {
	dns := newFakeDNS(t)
	dns.set("meta.test", "fd00:ec2::254")
	client := &http.Client{Transport: NewTransport(Policy{}, time.Second, dns.resolver())}
	_, err := get(t, client, "http://meta.test/latest/meta-data/")
	assertBlocked(t, err, "metadata")
}

func TestRedirectsNotFollowed(t *testing.T) {
	srv, hits := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}
	})
	resp, err := get(t, NewClient(Policy{AllowPrivate: true}, 5*time.Second), srv.URL+"/start")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/elsewhere" {
		t.Errorf("got %d Location %q, want 302 /elsewhere", resp.StatusCode, resp.Header.Get("Location"))
	}
	if hits.Load() != 1 {
		t.Errorf("server got %d requests, want 1 (redirect followed?)", hits.Load())
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	start := time.Now()
	_, err := get(t, NewClient(Policy{AllowPrivate: true}, 100*time.Millisecond), srv.URL)
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("request took %v, want about 100ms", d)
	}
}

func TestNoProxyFromEnvironment(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://proxy.invalid:3128")
	t.Setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
	tr := NewClient(Policy{}, 0).Transport.(*http.Transport)
	if tr.Proxy != nil {
		u, _ := tr.Proxy(&http.Request{URL: &url.URL{Scheme: "https", Host: "example.com"}})
		t.Fatalf("Proxy is set (gives %v), want nil", u)
	}
}

func TestClientSettings(t *testing.T) {
	c := NewClient(Policy{}, 0)
	if c.Timeout != DefaultTimeout {
		t.Errorf("Timeout = %v, want %v", c.Timeout, DefaultTimeout)
	}
	if c.CheckRedirect == nil || c.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
		t.Error("CheckRedirect does not return http.ErrUseLastResponse")
	}
	tr := NewClient(Policy{}, 3*time.Second).Transport.(*http.Transport)
	checks := []struct {
		name      string
		got, want any
	}{
		{"MaxIdleConnsPerHost", tr.MaxIdleConnsPerHost, MaxIdleConnsPerHost},
		{"ResponseHeaderTimeout", tr.ResponseHeaderTimeout, 3 * time.Second},
		{"TLSHandshakeTimeout", tr.TLSHandshakeTimeout, 3 * time.Second},
		{"ForceAttemptHTTP2", tr.ForceAttemptHTTP2, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestDialerControl(t *testing.T) {
	tests := []struct {
		address string
		reason  string // "" = allowed
	}{
		{"93.184.216.34:443", ""},
		{"[2606:4700:4700::1111]:443", ""},
		{"127.0.0.1:80", "loopback"},
		{"[::1]:80", "loopback"},
		{"[::ffff:127.0.0.1]:80", "loopback"},
		{"[fe80::1%lo]:80", "link-local"},
		{"169.254.169.254:80", "169.254.169.254:80 refused: cloud metadata"},
		{"not-an-address", "unparsable"},
	}
	d := NewDialer(Policy{}, nil)
	for _, tt := range tests {
		err := d.ControlContext(context.Background(), "tcp", tt.address, nil)
		if tt.reason == "" {
			if err != nil {
				t.Errorf("control(%s) = %v, want nil", tt.address, err)
			}
			continue
		}
		assertBlocked(t, err, tt.reason)
	}
	if NewDialer(Policy{AllowPrivate: true}, nil).ControlContext != nil {
		t.Error("AllowPrivate dialer has a control hook")
	}
}

// TestLegacyFormsRefusedAtConnect: the numeric IPv4 spellings Go's resolver
// would send to DNS as names, and the localhost names, are refused before
// any lookup, as a *BlockedError (permanent), never a DNS failure.
func TestLegacyFormsRefusedAtConnect(t *testing.T) {
	dns := newFakeDNS(t) // knows no name: whatever reaches it fails as NXDOMAIN
	client := &http.Client{Transport: NewTransport(Policy{}, time.Second, dns.resolver())}
	for _, host := range []string{"2130706433", "0x7f000001", "017700000001", "127.1", "0", "0x7f.1", "0177.0.0.1",
		"LOCALHOST.", "localhost", "foo.localhost", "Foo.LocalHost.", "2852039166", "0xa9.254.169.254", "10.1"} {
		_, err := get(t, client, "http://"+host+":8080/x")
		if !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: err = %v, want ErrBlocked", host, err)
		}
	}
}

// TestLegacyFormAllowedWithAllowPrivate: with private addresses allowed a
// legacy spelling reaches the address it stands for.
func TestLegacyFormAllowedWithAllowPrivate(t *testing.T) {
	srv, hits := countingServer(t, nil)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	dns := newFakeDNS(t)
	client := &http.Client{Transport: NewTransport(Policy{AllowPrivate: true}, time.Second, dns.resolver())}
	if _, err := get(t, client, "http://2130706433:"+port+"/"); err != nil || hits.Load() != 1 {
		t.Fatalf("err %v, hits %d; want nil, 1", err, hits.Load())
	}
}
