// Package client is a Go client for Switchboard's REST API (/api/v1).
//
//	c := client.New("http://127.0.0.1:8080", "sbk_…")
//	bot, err := c.CreateBot(ctx, client.BotInput{Name: "Support", Engine: "builtin"})
//
// Errors from the API are *client.Error, carrying the problem+json body;
// switchboard.ErrorCode works on them too, through Unwrap.
//
// # Retries
//
// A request that fails on the network, or is answered 429, 500, 502, 503 or
// 504, or 409 with Retry-After (its first try is still running), is tried
// again, up to twice by default (WithRetries), after a backoff or the
// server's Retry-After. That is safe for every request: GET,
// PUT and DELETE are idempotent, and every POST carries an Idempotency-Key
// (a random one unless given with IdempotencyKey), which the server uses to
// answer a repeat with the first answer instead of acting twice.
//
// # Lists
//
// All walks every page of a list:
//
//	for bot, err := range client.All(ctx, c.ListBots, nil) { … }
package client

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// Client talks to one Switchboard server with one API key.
type Client struct {
	base    string
	key     string
	http    *http.Client
	retries int           // further tries of a request that may succeed later
	backoff time.Duration // wait before the first of them; doubled each time
}

// DefaultRetries is how many times a client tries a request again.
const DefaultRetries = 2

// maxBackoff bounds the wait before a try, Retry-After included.
const maxBackoff = 30 * time.Second

// New returns a client for the server at baseURL (without /api/v1).
func New(baseURL, apiKey string) *Client {
	return &Client{base: strings.TrimSuffix(baseURL, "/") + "/api/v1", key: apiKey, http: http.DefaultClient,
		retries: DefaultRetries, backoff: 500 * time.Millisecond}
}

// WithHTTPClient returns a copy of c that uses hc.
func (c *Client) WithHTTPClient(hc *http.Client) *Client {
	cp := *c
	cp.http = hc
	return &cp
}

// WithRetries returns a copy of c that tries a failed request again up to n
// times (0: never), waiting backoff before the first, twice as long before
// the next, and so on, with jitter; a Retry-After from the server wins.
func (c *Client) WithRetries(n int, backoff time.Duration) *Client {
	cp := *c
	cp.retries, cp.backoff = max(n, 0), max(backoff, 0)
	return &cp
}

// Error is an error answer of the API.
type Error struct {
	Status    int             `json:"status"`
	Code      string          `json:"code"`
	Title     string          `json:"title"`
	Detail    string          `json:"detail"`
	RequestID string          `json:"request_id"`
	Fields    []sb.FieldError `json:"errors"`
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("switchboard: %d %s: %s (%s: %s)", e.Status, e.Code, e.Detail, e.Fields[0].Field, e.Fields[0].Message)
	}
	return fmt.Sprintf("switchboard: %d %s: %s", e.Status, e.Code, e.Detail)
}

// Unwrap exposes the error as a *switchboard.Error, so that
// switchboard.ErrorCode(err) gives its code.
func (e *Error) Unwrap() error { return &sb.Error{Code: e.Code, Message: e.Detail, Fields: e.Fields} }

// Page is one page of a list.
type Page[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// ListOptions selects a page and filters of a list.
type ListOptions struct {
	Limit  int
	Cursor string
	Filter map[string]string // e.g. {"status": "active"}
}

func (o *ListOptions) query() string {
	if o == nil {
		return ""
	}
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", fmt.Sprint(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	for k, v := range o.Filter {
		q.Set(k, v)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// RequestOption changes one request (an idempotency key, say).
type RequestOption func(*http.Request)

// IdempotencyKey makes a POST safe to repeat.
func IdempotencyKey(key string) RequestOption {
	return func(r *http.Request) { r.Header.Set("Idempotency-Key", key) }
}

// Do sends a request with a JSON body (nil for none) and decodes a JSON
// answer into out (nil to ignore it), trying again as the package doc says.
func (c *Client) Do(ctx context.Context, method, path string, body, out any, opts ...RequestOption) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	header := http.Header{}
	header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		header.Set("Content-Type", "application/json")
	}
	if method == http.MethodPost {
		header.Set("Idempotency-Key", newIdempotencyKey())
	}
	for try := 0; ; try++ {
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header = header.Clone()
		for _, o := range opts {
			o(req)
		}
		status, raw, wait, asked, err := c.roundTrip(req)
		if err == nil && status < 400 {
			if out == nil || len(raw) == 0 {
				return nil
			}
			return json.Unmarshal(raw, out)
		}
		if err == nil {
			err = apiError(status, raw)
		}
		if try >= c.retries || !retryable(status, asked, err) {
			return err
		}
		if wait <= 0 {
			wait = c.backoff << try
			wait += time.Duration(rand.Int64N(int64(wait)/4 + 1)) // jitter: several clients do not come back together
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(min(wait, maxBackoff)):
		}
	}
}

// roundTrip sends req and reads the answer: its status, its body, and
// whether and how long the server asks to wait (Retry-After, in seconds)
// before another try.
func (c *Client) roundTrip(req *http.Request) (status int, body []byte, wait time.Duration, asked bool, err error) {
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, 0, false, err
	}
	defer res.Body.Close()
	if body, err = io.ReadAll(res.Body); err != nil {
		return 0, nil, 0, false, err
	}
	v := res.Header.Get("Retry-After")
	secs, _ := strconv.Atoi(v)
	return res.StatusCode, body, time.Duration(max(secs, 0)) * time.Second, v != "", nil
}

// apiError decodes an error answer.
func apiError(status int, raw []byte) *Error {
	e := &Error{Status: status}
	if json.Unmarshal(raw, e) != nil || e.Code == "" {
		e.Code, e.Detail = sb.EInternal, strings.TrimSpace(string(raw))
	}
	return e
}

// retryable says whether a request that failed may succeed if tried again:
// it failed on the network (not by the context's end), the server was
// rate limiting, failing or unavailable, or it answered 409 with
// Retry-After (a repeat of a POST whose first try is still running).
func retryable(status int, retryAfter bool, err error) bool {
	if status == 0 {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch status {
	case http.StatusConflict:
		return retryAfter
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// newIdempotencyKey returns a random key for a POST that was given none.
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	return "sbc_" + hex.EncodeToString(b[:])
}

func get[T any](ctx context.Context, c *Client, path string) (*T, error) {
	out := new(T)
	return out, c.Do(ctx, http.MethodGet, path, nil, out)
}

func send[T any](ctx context.Context, c *Client, method, path string, body any, opts ...RequestOption) (*T, error) {
	out := new(T)
	return out, c.Do(ctx, method, path, body, out, opts...)
}

func list[T any](ctx context.Context, c *Client, path string, o *ListOptions) (*Page[T], error) {
	return get[Page[T]](ctx, c, path+o.query())
}

// All returns every item of a list, page after page, newest first; list is
// the client's method for the list (c.ListBots, say, or a function calling
// c.ListMessages for one conversation) and o its options (nil for none;
// Cursor is where to start). An error ends the sequence.
func All[T any](ctx context.Context, list func(context.Context, *ListOptions) (*Page[T], error), o *ListOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var opts ListOptions
		if o != nil {
			opts = *o
		}
		for {
			page, err := list(ctx, &opts)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range page.Data {
				if !yield(it, nil) {
					return
				}
			}
			if page.NextCursor == nil || len(page.Data) == 0 {
				return
			}
			opts.Cursor = *page.NextCursor
		}
	}
}

// BaseURL returns the API's base URL, ending in /api/v1.
func (c *Client) BaseURL() string { return c.base }
