package signature

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

type vector struct {
	Name      string `json:"name"`
	Secret    string `json:"secret"`
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Body      string `json:"body"`
	Signature string `json:"signature"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			key, err := Key(v.Secret)
			if err != nil {
				t.Fatal(err)
			}
			ts := time.Unix(v.Timestamp, 0)
			if got := Sign([][]byte{key}, v.ID, ts, []byte(v.Body)); got != v.Signature {
				t.Fatalf("Sign = %q, want %q", got, v.Signature)
			}
			h := http.Header{}
			h.Set(HeaderID, v.ID)
			h.Set(HeaderTimestamp, "1614265330")
			h.Set(HeaderSignature, v.Signature)
			if err := Verify(key, h, []byte(v.Body), ts.Add(time.Minute), DefaultTolerance); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	key, _ := Key(NewSecret())
	other, _ := Key(NewSecret())
	now := time.Unix(1700000000, 0)
	body := []byte(`{"a":1}`)
	signed := func(keys ...[]byte) http.Header {
		h := http.Header{}
		SetHeaders(h, keys, "evt_1", now, body)
		return h
	}
	if err := Verify(key, signed(other, key), body, now, DefaultTolerance); err != nil {
		t.Fatalf("a rotation pair must verify with the new key: %v", err)
	}
	if err := Verify(key, signed(other), body, now, DefaultTolerance); err != ErrNoMatch {
		t.Fatalf("wrong key: %v", err)
	}
	if err := Verify(key, signed(key), []byte(`{"a":2}`), now, DefaultTolerance); err != ErrNoMatch {
		t.Fatalf("tampered body: %v", err)
	}
	if err := Verify(key, signed(key), body, now.Add(6*time.Minute), DefaultTolerance); err != ErrBadTimestamp {
		t.Fatalf("old timestamp: %v", err)
	}
	if err := Verify(key, signed(key), body, now.Add(-6*time.Minute), DefaultTolerance); err != ErrBadTimestamp {
		t.Fatalf("future timestamp: %v", err)
	}
	if err := Verify(key, http.Header{}, body, now, DefaultTolerance); err != ErrMissingHeaders {
		t.Fatalf("no headers: %v", err)
	}
	h := signed(key)
	h.Set(HeaderSignature, "v2,"+strings.TrimPrefix(h.Get(HeaderSignature), "v1,"))
	if err := Verify(key, h, body, now, DefaultTolerance); err != ErrNoMatch {
		t.Fatalf("unknown version must not verify: %v", err)
	}
}

func TestNewSecret(t *testing.T) {
	s := NewSecret()
	key, err := Key(s)
	if err != nil || len(key) != 32 || !strings.HasPrefix(s, SecretPrefix) {
		t.Fatalf("NewSecret() = %q, key %d bytes, err %v", s, len(key), err)
	}
	if _, err := Key("whsec_!!!"); err != ErrBadSecret {
		t.Fatalf("bad secret: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("evt_1", "1700000000", "v1,abc", []byte(`{}`))
	key, _ := Key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		_ = Verify(key, h, body, time.Unix(1700000000, 0), DefaultTolerance)
	})
}
