package loadgen

import (
	"errors"
	"testing"
)

// TestCheckURL accepts loopback targets only.
func TestCheckURL(t *testing.T) {
	ok := []string{
		"http://127.0.0.1:8080/", "http://127.1.2.3/x", "https://[::1]:443/",
		"http://localhost:9/", "http://LOCALHOST/", "http://[::ffff:127.0.0.1]:80/",
	}
	for _, u := range ok {
		if err := CheckURL(u); err != nil {
			t.Errorf("CheckURL(%q) = %v, want nil", u, err)
		}
	}
	refused := []string{
		"http://10.0.0.1/", "http://192.0.2.1:8080/", "http://0.0.0.0:8080/",
		"http://[::]:80/", "http://example.com/", "http://localhost.example.com/",
		"http://127.0.0.1.nip.io/", "http://[fe80::1]/",
	}
	for _, u := range refused {
		if err := CheckURL(u); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("CheckURL(%q) = %v, want ErrNotLoopback", u, err)
		}
	}
	for _, u := range []string{"ftp://127.0.0.1/", "127.0.0.1:8080", "://"} {
		if err := CheckURL(u); err == nil {
			t.Errorf("CheckURL(%q) = nil, want an error", u)
		}
	}
}

// TestCheckDialAddress refuses resolved addresses outside loopback.
func TestCheckDialAddress(t *testing.T) {
	for _, a := range []string{"127.0.0.1:80", "[::1]:8080", "127.9.9.9:1"} {
		if err := checkDialAddress("tcp", a, nil); err != nil {
			t.Errorf("checkDialAddress(%q) = %v, want nil", a, err)
		}
	}
	for _, a := range []string{"10.1.2.3:80", "[2001:db8::1]:443", "0.0.0.0:80", "nonsense"} {
		if err := checkDialAddress("tcp", a, nil); err == nil {
			t.Errorf("checkDialAddress(%q) = nil, want an error", a)
		}
	}
}
