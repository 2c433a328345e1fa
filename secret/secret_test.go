package secret

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key, _ := ParseKey("a passphrase long enough")
	box, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(`{"bot_token":"123:abc"}`)
	a, _ := box.Seal(plain)
	b, _ := box.Seal(plain)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of one value must differ (random nonce)")
	}
	if bytes.Contains(a, []byte("123:abc")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := box.Open(a)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	a[len(a)-1] ^= 1
	if _, err := box.Open(a); err != ErrOpen {
		t.Fatalf("tampered value: %v", err)
	}
	otherKey, _ := ParseKey("another passphrase, also long")
	other, _ := New(otherKey)
	if _, err := other.Open(b); err != ErrOpen {
		t.Fatalf("other key: %v", err)
	}
	if _, err := box.Open([]byte{1, 2}); err != ErrOpen {
		t.Fatalf("short value: %v", err)
	}
}

func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, 32)
	for _, s := range []string{"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=", "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc"} {
		k, err := ParseKey(s)
		if err != nil || !bytes.Equal(k, raw) {
			t.Fatalf("ParseKey(%q) = %x, %v", s, k, err)
		}
	}
	if _, err := ParseKey("short"); err == nil {
		t.Fatal("a short passphrase must be refused")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := LoadOrCreateKey("", dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	k2, err := LoadOrCreateKey("", dir)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("the generated key must be reused")
	}
	k3, _ := LoadOrCreateKey("a configured passphrase!", dir)
	if bytes.Equal(k1, k3) {
		t.Fatal("a configured key must win over the file")
	}
}
