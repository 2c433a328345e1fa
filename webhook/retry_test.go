package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func fixed(v float64) func() float64 { return func() float64 { return v } }

func TestDefaultSchedule(t *testing.T) {
	want := "5s,5m0s,30m0s,2h0m0s,5h0m0s,10h0m0s,10h0m0s"
	if got := DefaultSchedule.String(); got != want {
		t.Errorf("DefaultSchedule = %s, want %s", got, want)
	}
	if got := DefaultSchedule.Attempts(); got != 8 {
		t.Errorf("Attempts() = %d, want 8", got)
	}
}

var now = time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)

func header(retryAfter string) http.Header {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return h
}

func TestDelay(t *testing.T) {
	s := DefaultSchedule
	tests := []struct {
		name       string
		attempt    int
		status     int
		retryAfter string
		jitter     float64
		want       time.Duration
		ok         bool
	}{
		{"500 follows the schedule", 1, 500, "", 0.5, 5 * time.Second, true},
		{"500 with jitter", 2, 500, "", 0, 4 * time.Minute, true},
		{"network error", 3, 0, "", 1, 36 * time.Minute, true},
		{"404 like 5xx", 1, 404, "", 0.5, 5 * time.Second, true},
		{"500 ignores Retry-After", 2, 500, "60", 0.5, 5 * time.Minute, true},
		{"502 ignores Retry-After", 2, 502, "60", 0.5, 5 * time.Minute, true},
		{"429 shorter Retry-After", 2, 429, "60", 0.5, time.Minute, true},
		{"429 Retry-After zero", 2, 429, "0", 0.5, 0, true},
		{"429 Retry-After within cap", 2, 429, "540", 0, 9 * time.Minute, true},
		{"429 Retry-After capped", 2, 429, "3600", 0.5, 10 * time.Minute, true},
		{"cap ignores jitter", 2, 429, "3600", 0, 10 * time.Minute, true},
		{"503 Retry-After date", 3, 503, "Thu, 15 Jan 2026 10:50:00 GMT", 0.5, 20 * time.Minute, true},
		{"503 Retry-After date capped", 1, 503, "Thu, 15 Jan 2026 11:00:00 GMT", 0.5, 10 * time.Second, true},
		{"503 Retry-After past date", 1, 503, "Thu, 15 Jan 2026 09:00:00 GMT", 0.5, 0, true},
		{"429 bad Retry-After uses schedule", 2, 429, "later", 0, 4 * time.Minute, true},
		{"429 no Retry-After uses schedule", 2, 429, "", 1, 6 * time.Minute, true},
		{"last retry", 7, 503, "60", 0.5, time.Minute, true},
		{"exhausted", 8, 500, "", 0.5, 0, false},
		{"exhausted despite Retry-After", 8, 429, "5", 0.5, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.Delay(tt.attempt, tt.status, header(tt.retryAfter), now, fixed(tt.jitter))
			if got != tt.want || ok != tt.ok {
				t.Errorf("Delay = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		status int
		err    error
		want   AttemptResult
	}{
		{200, nil, AttemptSucceeded},
		{201, nil, AttemptSucceeded},
		{204, nil, AttemptSucceeded},
		{299, nil, AttemptSucceeded},
		{410, nil, AttemptDisableEndpoint},
		{0, nil, AttemptRetry},
		{101, nil, AttemptRetry},
		{199, nil, AttemptRetry},
		{300, nil, AttemptRetry},
		{301, nil, AttemptRetry},
		{302, nil, AttemptRetry},
		{400, nil, AttemptRetry},
		{401, nil, AttemptRetry},
		{403, nil, AttemptRetry},
		{404, nil, AttemptRetry},
		{409, nil, AttemptRetry},
		{413, nil, AttemptRetry},
		{429, nil, AttemptRetry},
		{500, nil, AttemptRetry},
		{502, nil, AttemptRetry},
		{503, nil, AttemptRetry},
		{504, nil, AttemptRetry},
		{599, nil, AttemptRetry},
		{0, errors.New("connection refused"), AttemptRetry},
		{0, context.DeadlineExceeded, AttemptRetry},
		{0, fmt.Errorf("dial: %w", errors.New("blocked")), AttemptRetry},
		{200, context.DeadlineExceeded, AttemptRetry},
		{410, errors.New("body read failed"), AttemptRetry},
	}
	for _, tt := range tests {
		if got := Outcome(tt.status, tt.err); got != tt.want {
			t.Errorf("Outcome(%d, %v) = %v, want %v", tt.status, tt.err, got, tt.want)
		}
	}
}

func TestAttemptResultString(t *testing.T) {
	tests := map[AttemptResult]string{
		AttemptRetry:           "retry",
		AttemptSucceeded:       "succeeded",
		AttemptDisableEndpoint: "disable_endpoint",
		AttemptResult(9):       "AttemptResult(9)",
	}
	for r, want := range tests {
		if got := r.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
	var zero AttemptResult
	if zero != AttemptRetry {
		t.Error("zero AttemptResult is not AttemptRetry")
	}
}
