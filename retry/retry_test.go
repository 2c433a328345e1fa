package retry

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func fixed(v float64) func() float64 { return func() float64 { return v } }

// webhookSchedule is the schedule of webhook deliveries (webhook.DefaultSchedule).
var webhookSchedule = Schedule{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

var now = time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)

func header(retryAfter string) http.Header {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return h
}

func TestNext(t *testing.T) {
	s := webhookSchedule
	tests := []struct {
		attempt int
		jitter  func() float64
		want    time.Duration
		ok      bool
	}{
		{0, fixed(0.5), 0, true},
		{-1, fixed(0.5), 0, true},
		{1, fixed(0.5), 5 * time.Second, true},
		{2, fixed(0.5), 5 * time.Minute, true},
		{3, fixed(0.5), 30 * time.Minute, true},
		{4, fixed(0.5), 2 * time.Hour, true},
		{5, fixed(0.5), 5 * time.Hour, true},
		{6, fixed(0.5), 10 * time.Hour, true},
		{7, fixed(0.5), 10 * time.Hour, true},
		{8, fixed(0.5), 0, false},
		{100, fixed(0.5), 0, false},

		{1, nil, 5 * time.Second, true},
		{1, fixed(0), 4 * time.Second, true},
		{1, fixed(0.25), 4500 * time.Millisecond, true},
		{1, fixed(0.75), 5500 * time.Millisecond, true},
		{2, fixed(0), 4 * time.Minute, true},
		{7, fixed(0), 8 * time.Hour, true},
		{7, fixed(1), 12 * time.Hour, true},
		{4, fixed(0.75), 2*time.Hour + 12*time.Minute, true},
		// Out-of-range jitter is clamped to ±20 %.
		{1, fixed(-3), 4 * time.Second, true},
		{1, fixed(7), 6 * time.Second, true},
		{8, fixed(0), 0, false},
	}
	for _, tt := range tests {
		got, ok := s.Next(tt.attempt, tt.jitter)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Next(%d) = %v, %v; want %v, %v", tt.attempt, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNextJitterBounds(t *testing.T) {
	for attempt := 1; attempt <= len(webhookSchedule); attempt++ {
		base := webhookSchedule[attempt-1]
		for _, j := range []float64{0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999999} {
			got, _ := webhookSchedule.Next(attempt, fixed(j))
			lo, hi := base*8/10, base*12/10
			if got < lo || got >= hi {
				t.Errorf("Next(%d, %v) = %v, want within [%v, %v)", attempt, j, got, lo, hi)
			}
		}
	}
	for range 1000 {
		got, _ := webhookSchedule.Next(1, RandomJitter)
		if got < 4*time.Second || got >= 6*time.Second {
			t.Fatalf("Next(1, RandomJitter) = %v, want within [4s, 6s)", got)
		}
	}
}

func TestNextEmptySchedule(t *testing.T) {
	var s Schedule
	if d, ok := s.Next(0, nil); d != 0 || !ok {
		t.Errorf("Next(0) = %v, %v; want 0, true", d, ok)
	}
	if _, ok := s.Next(1, nil); ok {
		t.Error("Next(1) on an empty schedule is ok")
	}
	if s.Attempts() != 1 {
		t.Errorf("Attempts() = %d, want 1", s.Attempts())
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"1", time.Second, true},
		{"120", 2 * time.Minute, true},
		{" 30 ", 30 * time.Second, true},
		{"007", 7 * time.Second, true},
		{"99999999999999999999", time.Duration(maxRetryAfterSeconds) * time.Second, true},
		{"Thu, 15 Jan 2026 10:32:00 GMT", 2 * time.Minute, true},     // IMF-fixdate
		{"Thursday, 15-Jan-26 10:30:45 GMT", 45 * time.Second, true}, // RFC 850
		{"Thu Jan 15 11:30:00 2026", time.Hour, true},                // asctime
		{"Thu, 15 Jan 2026 10:00:00 GMT", 0, true},                   // past
		{"Thu, 15 Jan 2026 10:30:00 GMT", 0, true},                   // now
		{"-5", 0, false},
		{"+5", 0, false},
		{"1.5", 0, false},
		{"5s", 0, false},
		{"soon", 0, false},
		{"2026-01-15T10:32:00Z", 0, false},
	}
	for _, tt := range tests {
		got, ok := RetryAfter(header(tt.value), now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := RetryAfter(nil, now); ok {
		t.Error("RetryAfter(nil header) is ok")
	}
}

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		in   string
		want string // String() of the result; "" = error
	}{
		{"5s,5m,30m,2h,5h,10h,10h", webhookSchedule.String()},
		{" 5s , 5m ,30m", "5s,5m0s,30m0s"},
		{"1m", "1m0s"},
		{"1h30m,90s,250ms", "1h30m0s,1m30s,250ms"},
		{"", ""},
		{"   ", ""},
		{"5s,,5m", ""},
		{"5s,", ""},
		{",5s", ""},
		{"5", ""},
		{"5 s", ""},
		{"five minutes", ""},
		{"0s", ""},
		{"5s,-1m", ""},
		{"5s;5m", ""},
	}
	for _, tt := range tests {
		got, err := ParseSchedule(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("ParseSchedule(%q) = %v, want an error", tt.in, got)
		case tt.want == "" && !errors.Is(err, ErrBadSchedule):
			t.Errorf("ParseSchedule(%q) error %v is not ErrBadSchedule", tt.in, err)
		case tt.want != "" && err != nil:
			t.Errorf("ParseSchedule(%q): %v", tt.in, err)
		case tt.want != "" && got.String() != tt.want:
			t.Errorf("ParseSchedule(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseScheduleMessages(t *testing.T) {
	tests := map[string]string{
		"":         "invalid retry schedule: empty",
		"5s,soon":  `invalid retry schedule: item 2 "soon" is not a duration like 30s, 5m or 2h`,
		"5s, -1m":  `invalid retry schedule: item 2 "-1m" must be positive`,
		"0s":       `invalid retry schedule: item 1 "0s" must be positive`,
		"5s,,10s ": `invalid retry schedule: item 2 "" is not a duration like 30s, 5m or 2h`,
	}
	for in, want := range tests {
		if _, err := ParseSchedule(in); err == nil || err.Error() != want {
			t.Errorf("ParseSchedule(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestScheduleStringRoundTrip(t *testing.T) {
	for _, s := range []Schedule{webhookSchedule, {time.Millisecond, 90 * time.Minute, 36 * time.Hour}} {
		got, err := ParseSchedule(s.String())
		if err != nil || got.String() != s.String() {
			t.Errorf("ParseSchedule(%s) = %v, %v", s, got, err)
		}
	}
}

func TestDelay(t *testing.T) {
	s := webhookSchedule
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
