// Package wire holds what every channel adapter needs to talk to its
// platform: JSON without HTML escaping, the Retry-After header, and network
// errors that never carry the request URL (platforms put tokens in it).
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard"
)

// JSON is json.Marshal without escaping <, > and & (platforms show the
// text as is) and without the encoder's trailing newline.
func JSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// RetryAfter reads a Retry-After value given as seconds or as an HTTP date;
// it is 0 when absent, malformed or in the past.
func RetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(secs, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// NetworkError is a retryable send error for a failed request, named by the
// platform, without the request URL.
func NetworkError(platform string, err error) *switchboard.SendError {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return &switchboard.SendError{Retryable: true, Message: platform + ": " + err.Error()}
}
