package egress

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	dns := newFakeDNS(t)
	dns.set("public.test", "93.184.216.34", "2606:2800:220:1::1")
	dns.set("v6only.test", "2606:2800:220:1::1")
	dns.set("internal.test", "10.0.0.7")
	dns.set("mixed.test", "93.184.216.34", "127.0.0.1")
	dns.set("mixed6.test", "93.184.216.34", "::ffff:169.254.169.254")
	dns.set("ula.test", "fd00::5")

	tests := []struct {
		url     string
		wantErr error  // nil = accepted
		msg     string // part of the message
	}{
		{"https://public.test/hooks", nil, ""},
		{"http://public.test:8080/hooks?x=1", nil, ""},
		{"https://PUBLIC.test./hooks", nil, ""},
		{"https://v6only.test/", nil, ""},
		{"https://93.184.216.34/hooks", nil, ""},
		{"https://[2606:4700:4700::1111]/hooks", nil, ""},

		// Syntax.
		{"", ErrInvalidURL, "scheme must be http or https"},
		{"public.test/hooks", ErrInvalidURL, "scheme"},
		{"ftp://public.test/", ErrInvalidURL, "scheme must be http or https"},
		{"file:///etc/passwd", ErrInvalidURL, "scheme"},
		{"javascript:alert(1)", ErrInvalidURL, "scheme"},
		{"http:public.test", ErrInvalidURL, "absolute, with a host"},
		{"https:///hooks", ErrInvalidURL, "absolute, with a host"},
		{"https://user:pass@public.test/", ErrInvalidURL, "username or password"},
		{"https://user@public.test/", ErrInvalidURL, "username or password"},
		{"https://public.test:0/", ErrInvalidURL, "port"},
		{"https://public.test:70000/", ErrInvalidURL, "port"},
		{"https://public.test:abc/", ErrInvalidURL, "invalid url"},
		{"https://pub lic.test/", ErrInvalidURL, "invalid url"},
		{"https://public.test/\x7f", ErrInvalidURL, "invalid url"},

		// Literal addresses, judged without DNS.
		{"http://127.0.0.1:8080/", ErrBlocked, "127.0.0.1 refused: loopback"},
		{"http://[::1]/", ErrBlocked, "loopback"},
		{"http://[::ffff:127.0.0.1]/", ErrBlocked, "loopback"},
		{"http://[::ffff:a9fe:a9fe]/", ErrBlocked, "metadata"},
		{"http://169.254.169.254/latest/meta-data/", ErrBlocked, "cloud metadata"},
		{"http://[fd00:ec2::254]/", ErrBlocked, "cloud metadata"},
		{"http://100.100.100.200/", ErrBlocked, "cloud metadata"},
		{"http://[fe80::1%25eth0]/", ErrBlocked, "link-local"},
		{"http://0.0.0.0/", ErrBlocked, "unspecified"},
		{"http://10.1.2.3/", ErrBlocked, "private"},
		{"http://192.168.0.1/", ErrBlocked, "private"},

		// Legacy numeric spellings of IPv4 addresses.
		{"http://2130706433/", ErrBlocked, `host "2130706433" resolves to 127.0.0.1`},
		{"http://0x7f000001/", ErrBlocked, "loopback"},
		{"http://017700000001/", ErrBlocked, "loopback"},
		{"http://0177.0.0.1/", ErrBlocked, "loopback"},
		{"http://127.1/", ErrBlocked, "loopback"},
		{"http://0/", ErrBlocked, "unspecified"},
		{"http://0xa9fea9fe/", ErrBlocked, "metadata"},
		{"http://127.000.000.001/", ErrBlocked, "loopback"},
		{"http://134744072/", ErrInvalidURL, "8.8.8.8 in dotted-decimal form"},

		// Names.
		{"http://localhost:8080/", ErrBlocked, `host "localhost" resolves to 127.0.0.1`},
		{"http://LOCALHOST./", ErrBlocked, "loopback"},
		{"http://api.localhost/", ErrBlocked, "loopback"},
		{"http://internal.test/", ErrBlocked, `host "internal.test" resolves to 10.0.0.7, a private address`},
		{"http://mixed.test/", ErrBlocked, "127.0.0.1"},
		{"http://mixed6.test/", ErrBlocked, "metadata"},
		{"http://ula.test/", ErrBlocked, "unique local"},
		{"http://missing.test/", ErrUnresolvable, "host does not resolve: missing.test"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := CheckURL(t.Context(), Policy{}, tt.url, dns.resolver())
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("CheckURL = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CheckURL = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("CheckURL = %q, want it to contain %q", err, tt.msg)
			}
		})
	}
}

func TestCheckURLAllowPrivate(t *testing.T) {
	dns := newFakeDNS(t)
	dns.set("internal.test", "10.0.0.7")
	p := Policy{AllowPrivate: true}
	for _, u := range []string{
		"http://127.0.0.1:8080/", "http://localhost/", "http://[::1]/",
		"http://internal.test/", "http://169.254.169.254/",
	} {
		if err := CheckURL(t.Context(), p, u, dns.resolver()); err != nil {
			t.Errorf("CheckURL(%s) = %v, want nil", u, err)
		}
	}
	// A legacy numeric spelling would not resolve with Go's resolver, so
	// it is refused even when its address is allowed.
	for _, u := range []string{"ftp://x/", "https://u:p@internal.test/", "http://2130706433/"} {
		if err := CheckURL(t.Context(), p, u, dns.resolver()); !errors.Is(err, ErrInvalidURL) {
			t.Errorf("CheckURL(%s) = %v, want ErrInvalidURL", u, err)
		}
	}
	if err := CheckURL(t.Context(), p, "http://missing.test/", dns.resolver()); !errors.Is(err, ErrUnresolvable) {
		t.Errorf("CheckURL(missing) = %v, want ErrUnresolvable", err)
	}
}

// TestCheckURLLiteralsNeedNoDNS proves IP literals and localhost are judged
// without a lookup: the resolver given fails every query.
func TestCheckURLLiteralsNeedNoDNS(t *testing.T) {
	failing := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS in this test")
	}}
	for _, u := range []string{"http://127.0.0.1/", "http://localhost/", "http://[fe80::1]/", "http://2130706433/"} {
		if err := CheckURL(t.Context(), Policy{}, u, failing); !errors.Is(err, ErrBlocked) {
			t.Errorf("CheckURL(%s) = %v, want ErrBlocked", u, err)
		}
	}
	if err := CheckURL(t.Context(), Policy{}, "https://93.184.216.34/", failing); err != nil {
		t.Errorf("CheckURL(public literal) = %v, want nil", err)
	}
}

func TestCheckURLTemporaryDNSFailure(t *testing.T) {
	failing := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("resolver unreachable")
	}}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err := CheckURL(ctx, Policy{}, "https://example.test/", failing)
	if !errors.Is(err, ErrUnresolvable) {
		t.Fatalf("CheckURL = %v, want ErrUnresolvable", err)
	}
	if !strings.Contains(err.Error(), "example.test") || strings.Contains(err.Error(), "resolver unreachable") {
		t.Errorf("CheckURL = %q, want the host named and resolver details left out", err)
	}
}
