package wire

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
)

func TestJSON(t *testing.T) {
	b, err := JSON(map[string]string{"text": "a < b & c > d"})
	if err != nil || string(b) != `{"text":"a < b & c > d"}` {
		t.Fatalf("JSON = %s, %v", b, err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":     0,
		"7":    7 * time.Second,
		"-3":   0,
		"soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		if got := RetryAfter(v, now); got != want {
			t.Errorf("RetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestNetworkErrorHidesTheURL(t *testing.T) {
	err := &url.Error{Op: "Post", URL: "https://api.example.com/bot123:SECRET/sendMessage", Err: errors.New("connection refused")}
	e := NetworkError("telegram", err)
	if !e.Retryable || strings.Contains(e.Message, "SECRET") || e.Message != "telegram: connection refused" {
		t.Fatalf("NetworkError = %+v", e)
	}
}

func TestDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		w.Write(bytes.Repeat([]byte("x"), maxResponse+10))
	}))
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/bot123:SECRET/send", nil)
	resp, raw, err := Do(Client(nil), "telegram", req)
	if err != nil || resp.StatusCode != http.StatusAccepted || len(raw) != maxResponse {
		t.Fatalf("Do = %v, %d bytes, %v", resp, len(raw), err)
	}
	srv.Close()
	_, _, err = Do(srv.Client(), "telegram", req)
	if e, ok := err.(*switchboard.SendError); !ok || !e.Retryable || strings.Contains(e.Message, "SECRET") {
		t.Fatalf("Do on a closed server = %v", err)
	}
}

func TestRetryableStatus(t *testing.T) {
	for code, want := range map[int]bool{200: false, 400: false, 404: false, 429: true, 500: true, 503: true} {
		if RetryableStatus(code) != want {
			t.Errorf("RetryableStatus(%d) = %v", code, !want)
		}
	}
}

// TestDoRefusesRedirects: a 3xx is a final error, the redirect is not
// followed (so no credential reaches its target) and its body is never
// quoted, even with a client that would follow it.
func TestDoRefusesRedirects(t *testing.T) {
	var internalHits int
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits++
		w.Write([]byte("INTERNAL SECRET ANSWER"))
	}))
	defer internal.Close()
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", internal.URL+"/admin")
		w.WriteHeader(http.StatusTemporaryRedirect)
		w.Write([]byte("REDIRECT BODY"))
	}))
	defer platform.Close()
	for name, c := range map[string]*http.Client{"Client(nil)": Client(nil), "plain": platform.Client()} {
		req, _ := http.NewRequest(http.MethodPost, platform.URL+"/api/chat.postMessage", strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer xoxb-secret")
		_, _, err := Do(c, "slack", req)
		e, ok := err.(*switchboard.SendError)
		if !ok || e.Retryable || e.StatusCode != http.StatusTemporaryRedirect {
			t.Fatalf("%s: Do = %v, want a final SendError", name, err)
		}
		if strings.Contains(e.Error(), "INTERNAL") || strings.Contains(e.Error(), "REDIRECT BODY") {
			t.Errorf("%s: error quotes a body: %s", name, e.Error())
		}
	}
	if internalHits != 0 {
		t.Fatalf("the redirect was followed %d times", internalHits)
	}
}

// TestNetworkErrorBlockedIsFinal: a destination the address policy refuses
// stays refused, so the error is not retryable.
func TestNetworkErrorBlockedIsFinal(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/bot1:T/sendMessage", nil)
	_, _, err := Do(egress.NewClient(egress.Policy{}, time.Second), "telegram", req)
	e, ok := err.(*switchboard.SendError)
	if !ok || e.Retryable || !strings.Contains(e.Message, "loopback") || strings.Contains(e.Message, "bot1:T") {
		t.Fatalf("Do to a refused address = %#v", err)
	}
}
