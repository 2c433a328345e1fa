package switchboard

import (
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"testing"
)

func TestAllowedIPsSetting(t *testing.T) {
	spec := ChannelSpec{Type: "x"}
	config, _, err := spec.ParseConfig(json.RawMessage(`{"allowed_ips":["149.154.167.99/20"," 91.108.4.0/22","2001:db8::1","::ffff:192.0.2.0/120"]}`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"149.154.160.0/20", "91.108.4.0/22", "2001:db8::1/128", "192.0.2.0/24"}
	if got, _ := config["allowed_ips"].([]string); !slices.Equal(got, want) {
		t.Fatalf("allowed_ips = %v, want %v", config["allowed_ips"], want)
	}
	_, _, err = spec.ParseConfig(json.RawMessage(`{"allowed_ips":["10.0.0.0/8","10.0.0.0/x","fe80::1%eth0",""]}`), nil, nil)
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) != 3 || e.Fields[0].Field != "config.allowed_ips[1]" || e.Fields[2].Field != "config.allowed_ips[3]" {
		t.Fatalf("errors %v, want config.allowed_ips[1], [2] and [3]", err)
	}

	// Read back from the database, the list is []any.
	ch := &Channel{Config: map[string]any{"allowed_ips": []any{"149.154.160.0/20", "2001:db8::/32"}}}
	for addr, ok := range map[string]bool{"149.154.175.255": true, "149.154.176.0": false, "::ffff:149.154.160.1": true, "2001:db8::9": true, "2001:db9::": false} {
		if got := ch.AllowsIP(netip.MustParseAddr(addr)); got != ok {
			t.Errorf("AllowsIP(%s) = %v, want %v", addr, got, ok)
		}
	}
	if ch.AllowsIP(netip.Addr{}) {
		t.Error("an unknown client address passes a list")
	}
	if !(&Channel{Config: map[string]any{}}).AllowsIP(netip.Addr{}) {
		t.Error("without allowed_ips every request passes")
	}
}
