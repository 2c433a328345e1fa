package webhook

import (
	"net/http"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/retry"
)

// DefaultSchedule is the schedule of the product contract: retries after
// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, 8 attempts in all. Do not
// modify it; copy it. Schedule[i] is the delay before attempt i+2 (the first
// is immediate), so a delivery makes len(s)+1 attempts; retry.Schedule.Delay
// honours a receiver's Retry-After.
var DefaultSchedule = retry.Schedule{
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	10 * time.Hour,
}

// AttemptResult is what one delivery attempt means for its delivery.
type AttemptResult int

// The results of an attempt. The zero value is AttemptRetry, so an
// unclassified failure is retried rather than dropped.
const (
	// AttemptRetry: the attempt failed; retry per the schedule.
	AttemptRetry AttemptResult = iota
	// AttemptSucceeded: a 2xx; the delivery is done.
	AttemptSucceeded
	// AttemptDisableEndpoint: 410 Gone; disable the endpoint at once and
	// stop retrying.
	AttemptDisableEndpoint
)

// String names the result for logs.
func (r AttemptResult) String() string {
	switch r {
	case AttemptRetry:
		return "retry"
	case AttemptSucceeded:
		return "succeeded"
	case AttemptDisableEndpoint:
		return "disable_endpoint"
	}
	return "AttemptResult(" + strconv.Itoa(int(r)) + ")"
}

// Outcome classifies an attempt from the response status and the transport
// error (nil when a response arrived within the timeout). Any error means
// retry: network failures, timeouts, refused addresses. Then 2xx succeeds,
// 410 disables the endpoint, and every other status is retried, 3xx (not
// followed) and 4xx included, because receivers misconfigure.
func Outcome(status int, err error) AttemptResult {
	switch {
	case err != nil:
		return AttemptRetry
	case status >= 200 && status <= 299:
		return AttemptSucceeded
	case status == http.StatusGone:
		return AttemptDisableEndpoint
	}
	return AttemptRetry
}
