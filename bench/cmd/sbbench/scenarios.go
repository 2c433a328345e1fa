package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard/bench/ceiling"
	"github.com/switchboardhq/switchboard/bench/loadgen"
)

// nothing is the teardown of a scenario that needs none.
func nothing() {}

// prepareCeiling loads GET / on the ceiling server at -url if it was given,
// or else on one started in this process on a free loopback port.
func prepareCeiling(_ context.Context, o options, log io.Writer) (loadgen.Config, func(), error) {
	cfg := loadgen.Config{ExpectStatus: http.StatusOK}
	if o.urlSet {
		cfg.Request = getRequest(o.url+"/", "")
		return cfg, nothing, nil
	}
	srv, err := ceiling.Start("127.0.0.1:0")
	if err != nil {
		return cfg, nil, err
	}
	fmt.Fprintf(log, "ceiling: in-process server at %s (shares the CPU with the load generator)\n", srv.URL)
	cfg.Request = getRequest(srv.URL+"/", "")
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	return cfg, stop, nil
}

// getRequest returns a RequestFunc for GET url, with auth as the
// Authorization header if it is not empty.
func getRequest(url, auth string) loadgen.RequestFunc {
	return getRequests([]string{url}, auth)
}

// getRequests returns a RequestFunc for GET urls[i % len(urls)].
func getRequests(urls []string, auth string) loadgen.RequestFunc {
	return func(i int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, urls[i%len(urls)], nil)
		if err != nil {
			return nil, err
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		req.Header.Set("Accept", "application/json")
		return req, nil
	}
}

// prepareAPIWrite creates a channel and -convs conversations, and loads
// POST /api/v1/conversations/{id}/messages over them in turn.
func prepareAPIWrite(ctx context.Context, o options, log io.Writer) (loadgen.Config, func(), error) {
	c, err := newAPIClient(o.url, o.key, o.timeout)
	if err != nil {
		return loadgen.Config{}, nil, err
	}
	sink, stop, err := startCallbackSink()
	if err != nil {
		return loadgen.Config{}, nil, err
	}
	convs, err := setupConversations(ctx, c, max(o.convs, 1), sink)
	if err != nil {
		stop()
		return loadgen.Config{}, nil, err
	}
	fmt.Fprintf(log, "api-write: %d conversations ready\n", len(convs))
	urls := make([]string, len(convs))
	for i, id := range convs {
		urls[i] = c.base + messagesPath(id)
	}
	cfg := loadgen.Config{ExpectStatus: http.StatusAccepted, Request: postRequests(urls, c.auth)}
	return cfg, stop, nil
}

// postRequests returns a RequestFunc for POST urls[i % len(urls)] with the
// message body.
func postRequests(urls []string, auth string) loadgen.RequestFunc {
	return func(i int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, urls[i%len(urls)], bytes.NewReader(messageBody))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		return req, nil
	}
}

// setupConversations creates the bench channel (its replies POSTed to
// callbackURL) and n conversations on it, each with its own user, and
// returns their ids.
func setupConversations(ctx context.Context, c *apiClient, n int, callbackURL string) ([]string, error) {
	ch, err := c.createChannel(ctx, callbackURL)
	if err != nil {
		return nil, err
	}
	convs := make([]string, n)
	for i := range convs {
		if convs[i], err = c.createConversation(ctx, ch, fmt.Sprintf("bench-user-%d", i)); err != nil {
			return nil, err
		}
	}
	return convs, nil
}

// prepareAPIRead creates a conversation with -messages messages, and loads
// GET its messages (limit 50) and GET the conversation list (limit 50)
// alternately.
func prepareAPIRead(ctx context.Context, o options, log io.Writer) (loadgen.Config, func(), error) {
	c, err := newAPIClient(o.url, o.key, o.timeout)
	if err != nil {
		return loadgen.Config{}, nil, err
	}
	sink, stop, err := startCallbackSink()
	if err != nil {
		return loadgen.Config{}, nil, err
	}
	convs, err := setupConversations(ctx, c, 1, sink)
	if err != nil {
		stop()
		return loadgen.Config{}, nil, err
	}
	for range o.messages {
		if err := c.postMessage(ctx, convs[0]); err != nil {
			stop()
			return loadgen.Config{}, nil, err
		}
	}
	fmt.Fprintf(log, "api-read: conversation %s with %d messages ready\n", convs[0], o.messages)
	urls := []string{
		c.base + messagesPath(convs[0]) + "?limit=50",
		c.base + "/api/v1/conversations?limit=50",
	}
	cfg := loadgen.Config{ExpectStatus: http.StatusOK, Request: getRequests(urls, c.auth)}
	return cfg, stop, nil
}

// startCallbackSink starts the receiver of the bench channel's outbound
// messages on loopback: it answers 204 to everything, as a customer's
// service would, so that each queued message is sent and ends sent. The
// server must allow private targets (run.sh sets
// SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true).
func startCallbackSink() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/callback", func() { _ = srv.Close() }, nil
}
