// Package wire holds what every channel adapter needs to talk to its
// platform: an HTTP client, a call whose answer is read within bounds, JSON
// without HTML escaping, which statuses and Retry-After headers ask for
// another try, and network errors that never carry the request URL
// (platforms put tokens in it).
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
)

// maxResponse bounds how much of a platform's answer is read.
const maxResponse = 1 << 20

// Client is a copy of c that never follows redirects, or when c is nil a
// client with a 30-second timeout and no address policy (the server
// passes an egress client, which enforces it).
func Client(c *http.Client) *http.Client {
	cc := http.Client{Timeout: 30 * time.Second}
	if c != nil {
		cc = *c
	}
	cc.CheckRedirect = noRedirects
	return &cc
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Do sends req with client and reads the answer's body, at most 1 MiB of
// it, and closes it. A request or a read that fails is a send error named
// by the platform (see NetworkError). A redirect (3xx) is never followed
// and its body never read: it is a final send error, since the platform
// APIs never redirect and a redirect could lead anywhere, credentials in
// tow.
func Do(client *http.Client, platform string, req *http.Request) (*http.Response, []byte, error) {
	if client.CheckRedirect == nil {
		client = Client(client)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, NetworkError(platform, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, nil, &switchboard.SendError{StatusCode: resp.StatusCode,
			Message: platform + ": the API answered with a redirect, which is not followed"}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, nil, NetworkError(platform, err)
	}
	return resp, raw, nil
}

// RetryableStatus reports whether an answer's HTTP status asks for another
// try: 429 Too Many Requests and every 5xx.
func RetryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

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

// NetworkError is a send error for a failed request, named by the
// platform, without the request URL. It is retryable unless the address
// policy refused the destination (egress.ErrBlocked): that stays refused
// until the api_base_url or the policy changes.
func NetworkError(platform string, err error) *switchboard.SendError {
	blocked := errors.Is(err, egress.ErrBlocked)
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return &switchboard.SendError{Retryable: !blocked, Message: platform + ": " + err.Error()}
}
