package shopify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/egress"
)

// maxResponse bounds how much of an answer is read.
const maxResponse = 4 << 20

// Response is an answer of the Admin API, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Error is a failed Admin API call. Retryable errors (429, 5xx, the
// network) may succeed later, after RetryAfter when Shopify said;
// Refused means the access token was refused (401, or none).
type Error struct {
	Status     int
	Retryable  bool
	RetryAfter time.Duration
	Refused    bool
	Message    string
}

func (e *Error) Error() string { return e.Message }

func asError(err error, target **Error) bool { return errors.As(err, target) }

// send makes the request without following redirects and reads the
// answer. Network failures are retryable errors that never quote the URL;
// a destination the address policy refuses is not retryable.
func send(client *http.Client, req *http.Request) (*Response, error) {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		blocked := errors.Is(err, egress.ErrBlocked)
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, &Error{Retryable: !blocked, Message: "shopify: " + err.Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, &Error{Status: resp.StatusCode, Message: "shopify: the API answered with a redirect, which is not followed"}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, &Error{Retryable: true, Message: "shopify: reading the answer: " + err.Error()}
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// apiError describes a non-2xx answer with Shopify's own words (the
// "errors" member of its answer: a string, a list or an object of
// lists).
func apiError(resp *Response) *Error {
	e := &Error{Status: resp.Status, Message: fmt.Sprintf("shopify answered %d: %s", resp.Status, errorText(resp.Body))}
	switch {
	case resp.Status == http.StatusUnauthorized:
		e.Refused = true
	case resp.Status == http.StatusTooManyRequests || resp.Status >= 500:
		e.Retryable = true
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
	}
	return e
}

// errorText is Shopify's error message from an answer's body, or the
// body's start.
func errorText(body []byte) string {
	var v struct {
		Errors json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(body, &v) == nil && len(v.Errors) > 0 {
		var s string
		if json.Unmarshal(v.Errors, &s) == nil {
			return s
		}
		var list []string
		if json.Unmarshal(v.Errors, &list) == nil {
			return strings.Join(list, "; ")
		}
		var fields map[string][]string
		if json.Unmarshal(v.Errors, &fields) == nil {
			var parts []string
			for k, msgs := range fields {
				for _, m := range msgs {
					parts = append(parts, k+" "+m)
				}
			}
			return strings.Join(parts, "; ")
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// retryAfter reads Retry-After in seconds, which Shopify writes as a
// decimal ("2.0"); 0 when absent or malformed.
func retryAfter(v string) time.Duration {
	secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || secs <= 0 || secs > 86400 {
		return 0
	}
	return time.Duration(secs * float64(time.Second))
}
