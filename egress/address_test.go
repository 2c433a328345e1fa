package egress

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckAddresses(t *testing.T) {
	tests := []struct {
		addr   string
		reason string // "" = allowed by default
	}{
		// Public addresses.
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"93.184.216.34", ""},
		{"172.15.255.255", ""},
		{"172.32.0.0", ""},
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"192.169.0.1", ""},
		{"2606:4700:4700::1111", ""},
		{"2001:4860:4860::8888", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", ""},  // 6to4 of 8.8.8.8

		// Loopback, unspecified, "this network".
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"::1", "loopback"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"0.1.2.3", "this network"},

		// Private and shared.
		{"10.0.0.1", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"100.64.0.1", "CGNAT"},
		{"100.127.255.255", "CGNAT"},
		{"fc00::1", "unique local"},
		{"fd12:3456::1", "unique local"},

		// Link-local and metadata.
		{"169.254.0.1", "link-local"},
		{"169.254.169.254", "metadata"},
		{"100.100.100.200", "metadata"},
		{"fd00:ec2::254", "metadata"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"febf::1", "link-local"},
		{"fec0::1", "site-local"},

		// Multicast, broadcast, reserved, documentation, benchmarking.
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},
		{"192.0.2.1", "documentation"},
		{"198.51.100.7", "documentation"},
		{"203.0.113.9", "documentation"},
		{"2001:db8::1", "documentation"},
		{"3fff::1", "documentation"},
		{"198.18.0.1", "benchmarking"},
		{"192.0.0.8", "IETF"},
		{"192.88.99.1", "6to4 relay"},
		{"100::1", "discard"},
		{"2001::1", "Teredo"},
		{"2001:2::1", "IETF"},
		{"4000::1", "reserved"},
		{"5f00::1", "reserved"},

		// IPv4 in IPv6 clothing.
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:7f00:1", "loopback"},
		{"::ffff:169.254.169.254", "metadata"},
		{"::ffff:10.0.0.1", "private"},
		{"::ffff:0.0.0.0", "unspecified"},
		{"::127.0.0.1", "IPv4-compatible"},
		{"::ffff:0:127.0.0.1", "IPv4-translated"},
		{"64:ff9b::7f00:1", "NAT64 address embedding 127.0.0.1 (loopback"},
		{"64:ff9b::a9fe:a9fe", "metadata"},
		{"64:ff9b:1::1", "local-use NAT64"},
		{"2002:7f00:1::", "6to4 address embedding 127.0.0.1"},
		{"2002:c0a8:101::1", "private"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			addr := netip.MustParseAddr(tt.addr)
			err := Policy{}.Check(addr)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Check(%s) = %v, want allowed", tt.addr, err)
				}
			} else {
				assertBlocked(t, err, tt.reason)
			}
			if err := (Policy{AllowPrivate: true}).Check(addr); err != nil {
				t.Errorf("AllowPrivate: Check(%s) = %v, want nil", tt.addr, err)
			}
		})
	}
}

func TestCheckInvalidAddr(t *testing.T) {
	assertBlocked(t, Policy{}.Check(netip.Addr{}), "invalid")
	if (Policy{}).Allowed(netip.Addr{}) {
		t.Error("Allowed(zero Addr) = true")
	}
}

func TestBlockedErrorMessages(t *testing.T) {
	tests := []struct {
		err  *BlockedError
		want string
	}{
		{&BlockedError{Addr: netip.MustParseAddr("127.0.0.1"), Port: 8080, Reason: "loopback address"},
			"connection to 127.0.0.1:8080 refused: loopback address not allowed"},
		{&BlockedError{Addr: netip.MustParseAddr("::1"), Port: 443, Reason: "loopback address"},
			"connection to [::1]:443 refused: loopback address not allowed"},
		{&BlockedError{Host: "internal.example", Addr: netip.MustParseAddr("10.1.2.3"), Reason: "private address"},
			`host "internal.example" resolves to 10.1.2.3, a private address, which is not allowed`},
		{&BlockedError{Host: "10.1.2.3", Addr: netip.MustParseAddr("10.1.2.3"), Reason: "private address"},
			"connection to 10.1.2.3 refused: private address not allowed"},
		{&BlockedError{Reason: "unparsable address x"}, "destination refused: unparsable address x"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(tt.err, ErrBlocked) {
			t.Errorf("errors.Is(%v, ErrBlocked) = false", tt.err)
		}
	}
}

func TestParseLegacyIPv4(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" = not a legacy IPv4 spelling
	}{
		{"2130706433", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"017700000001", "127.0.0.1"},
		{"0177.0.0.1", "127.0.0.1"},
		{"0x7f.1", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"127.0.1", "127.0.0.1"},
		{"10.0x10000", "10.1.0.0"},
		{"0", "0.0.0.0"},
		{"0xA9.0xFE.0xA9.0xFE", "169.254.169.254"},
		{"134744072", "8.8.8.8"},
		{"4294967295", "255.255.255.255"},
		{"4294967296", ""},
		{"256.1", ""},
		{"1.2.3.4.5", ""},
		{"127.0.0.256", ""},
		{"1.2.65536", ""},
		{"08", ""},
		{"0x", ""},
		{"1..1", ""},
		{"+1", ""},
		{"example.com", ""},
		{"1.2.3.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := parseLegacyIPv4(tt.in)
		switch {
		case tt.want == "" && ok:
			t.Errorf("parseLegacyIPv4(%q) = %s, want no address", tt.in, got)
		case tt.want != "" && (!ok || got.String() != tt.want):
			t.Errorf("parseLegacyIPv4(%q) = %s, %v; want %s", tt.in, got, ok, tt.want)
		}
	}
}

// assertBlocked fails unless err is a refusal whose message contains reason.
func assertBlocked(t *testing.T, err error, reason string) {
	t.Helper()
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("err = %v, want ErrBlocked (%s)", err, reason)
	}
	if !strings.Contains(err.Error(), reason) {
		t.Errorf("err = %q, want it to mention %q", err, reason)
	}
}
