package wire

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
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
