package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/client"
)

// script is a fake API answering each request with the next of its
// answers (the last one repeats), recording the requests.
type script struct {
	mu       sync.Mutex
	answers  []answer
	requests []*http.Request
}

type answer struct {
	status     int
	retryAfter string
	hangUp     bool // close the connection without answering
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a := s.answers[min(len(s.requests), len(s.answers)-1)]
	s.requests = append(s.requests, r)
	s.mu.Unlock()
	if a.hangUp {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
		return
	}
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	if a.status >= 400 {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(a.status)
		fmt.Fprintf(w, `{"status":%d,"code":"%s","detail":"scripted"}`, a.status, map[bool]string{true: "internal", false: "conflict"}[a.status >= 500])
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	fmt.Fprint(w, `{"id":"bot_01ARZ3NDEKTSV4RRFFQ69G5FAV","name":"Support","engine":"builtin","status":"draft"}`)
}

func (s *script) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func scripted(t *testing.T, answers ...answer) (*script, *client.Client) {
	s := &script{answers: answers}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, client.New(srv.URL, "sbk_test").WithRetries(2, time.Millisecond)
}

// TestRetries: what is tried again, how often, and that every try of a
// POST carries the same Idempotency-Key.
func TestRetries(t *testing.T) {
	ctx := context.Background()
	ok, created := answer{status: 200}, answer{status: 201}
	for _, tc := range []struct {
		name     string
		answers  []answer
		post     bool
		wantErr  int // the status of the error, 0 for none
		requests int
	}{
		{"unavailable then ok", []answer{{status: 503}, {status: 502}, ok}, false, 0, 3},
		{"always failing", []answer{{status: 500}}, false, 500, 3},
		{"rate limited", []answer{{status: 429, retryAfter: "0"}, ok}, false, 0, 2},
		{"hung up", []answer{{hangUp: true}, ok}, false, 0, 2},
		{"bad request", []answer{{status: 400}, ok}, false, 400, 1},
		{"not found", []answer{{status: 404}, ok}, false, 404, 1},
		{"conflict", []answer{{status: 409}, created}, true, 409, 1},
		{"conflict in progress", []answer{{status: 409, retryAfter: "0"}, created}, true, 0, 2},
		{"post failing then created", []answer{{status: 500}, {hangUp: true}, created}, true, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := scripted(t, tc.answers...)
			var err error
			if tc.post {
				_, err = c.CreateBot(ctx, client.BotInput{Name: "Support", Engine: "builtin"})
			} else {
				_, err = c.GetBot(ctx, "bot_01ARZ3NDEKTSV4RRFFQ69G5FAV")
			}
			var apiErr *client.Error
			switch {
			case tc.wantErr == 0 && err != nil:
				t.Fatalf("error %v", err)
			case tc.wantErr != 0 && (!errors.As(err, &apiErr) || apiErr.Status != tc.wantErr):
				t.Fatalf("error %v, want status %d", err, tc.wantErr)
			}
			if s.count() != tc.requests {
				t.Fatalf("%d requests, want %d", s.count(), tc.requests)
			}
			if !tc.post {
				return
			}
			key := s.requests[0].Header.Get("Idempotency-Key")
			if !strings.HasPrefix(key, "sbc_") {
				t.Fatalf("a POST without a key got %q", key)
			}
			for _, r := range s.requests {
				if r.Header.Get("Idempotency-Key") != key {
					t.Fatalf("tries with different keys: %q, %q", key, r.Header.Get("Idempotency-Key"))
				}
			}
		})
	}

	t.Run("a given key", func(t *testing.T) {
		s, c := scripted(t, answer{status: 503}, created)
		if _, err := c.CreateBot(ctx, client.BotInput{Name: "Support", Engine: "builtin"}, client.IdempotencyKey("mine")); err != nil {
			t.Fatal(err)
		}
		if s.count() != 2 || s.requests[0].Header.Get("Idempotency-Key") != "mine" || s.requests[1].Header.Get("Idempotency-Key") != "mine" {
			t.Fatalf("%d requests; keys %q", s.count(), s.requests[0].Header.Get("Idempotency-Key"))
		}
	})
	t.Run("two POSTs, two keys", func(t *testing.T) {
		s, c := scripted(t, created)
		for range 2 {
			if _, err := c.CreateBot(ctx, client.BotInput{Name: "Support", Engine: "builtin"}); err != nil {
				t.Fatal(err)
			}
		}
		if s.requests[0].Header.Get("Idempotency-Key") == s.requests[1].Header.Get("Idempotency-Key") {
			t.Fatal("two POSTs share an Idempotency-Key")
		}
	})
	t.Run("no retries", func(t *testing.T) {
		s, c := scripted(t, answer{status: 503}, ok)
		if _, err := c.WithRetries(0, 0).GetBot(ctx, "bot_01ARZ3NDEKTSV4RRFFQ69G5FAV"); sb.ErrorCode(err) != sb.EInternal || s.count() != 1 {
			t.Fatalf("error %v after %d requests", err, s.count())
		}
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		s, c := scripted(t, answer{status: 503, retryAfter: "10"}, ok)
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := c.GetBot(ctx, "bot_01ARZ3NDEKTSV4RRFFQ69G5FAV"); sb.ErrorCode(err) != sb.EInternal || s.count() != 1 {
			t.Fatalf("error %v after %d requests", err, s.count())
		}
	})
}

// TestAll walks a real list page by page, stops when told, and ends on an
// error.
func TestAll(t *testing.T) {
	ctx := context.Background()
	c := server(t)
	var want []string
	for i := range 7 {
		b, err := c.CreateBot(ctx, client.BotInput{Name: fmt.Sprint("bot ", i), Engine: "builtin"})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{b.ID}, want...) // newest first
	}
	var got []string
	pages := 0
	list := func(ctx context.Context, o *client.ListOptions) (*client.Page[sb.Bot], error) {
		pages++
		return c.ListBots(ctx, o)
	}
	for b, err := range client.All(ctx, list, &client.ListOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b.ID)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || pages != 4 {
		t.Fatalf("All gave %v in %d pages, want %v in 4", got, pages, want)
	}

	pages, got = 0, nil
	for b := range client.All(ctx, list, &client.ListOptions{Limit: 2}) {
		if got = append(got, b.ID); len(got) == 3 {
			break
		}
	}
	if len(got) != 3 || pages != 2 {
		t.Fatalf("stopping after 3: %v in %d pages", got, pages)
	}

	n := 0
	for _, err := range client.All(ctx, c.ListBots, &client.ListOptions{Cursor: "not a cursor"}) {
		if n++; sb.ErrorCode(err) != sb.EInvalid {
			t.Fatalf("a bad cursor: %v", err)
		}
	}
	if n != 1 {
		t.Fatalf("a bad cursor yielded %d times", n)
	}
}
