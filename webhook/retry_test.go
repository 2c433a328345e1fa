package webhook

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestDefaultSchedule(t *testing.T) {
	want := "5s,5m0s,30m0s,2h0m0s,5h0m0s,10h0m0s,10h0m0s"
	if got := DefaultSchedule.String(); got != want {
		t.Errorf("DefaultSchedule = %s, want %s", got, want)
	}
	if got := DefaultSchedule.Attempts(); got != 8 {
		t.Errorf("Attempts() = %d, want 8", got)
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
