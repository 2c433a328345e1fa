// Package client is a Go client for Switchboard's REST API (/api/v1).
//
//	c := client.New("http://127.0.0.1:8080", "sbk_…")
//	bot, err := c.CreateBot(ctx, client.BotInput{Name: "Support", Engine: "builtin"})
//
// Errors from the API are *client.Error, carrying the problem+json body;
// switchboard.ErrorCode works on them too, through Unwrap.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// Client talks to one Switchboard server with one API key.
type Client struct {
	base string
	key  string
	http *http.Client
}

// New returns a client for the server at baseURL (without /api/v1).
func New(baseURL, apiKey string) *Client {
	return &Client{base: strings.TrimSuffix(baseURL, "/") + "/api/v1", key: apiKey, http: http.DefaultClient}
}

// WithHTTPClient returns a copy of c that uses hc.
func (c *Client) WithHTTPClient(hc *http.Client) *Client {
	cp := *c
	cp.http = hc
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
// answer into out (nil to ignore it).
func (c *Client) Do(ctx context.Context, method, path string, body, out any, opts ...RequestOption) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= 400 {
		e := &Error{Status: res.StatusCode}
		if json.Unmarshal(raw, e) != nil || e.Code == "" {
			e.Code, e.Detail = sb.EInternal, strings.TrimSpace(string(raw))
		}
		return e
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
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

// BaseURL returns the API's base URL, ending in /api/v1.
func (c *Client) BaseURL() string { return c.base }
