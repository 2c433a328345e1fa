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
