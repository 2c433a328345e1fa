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
		cfg.Request = getRequests(o.urls, []string{"/"}, "")
		return cfg, nothing, nil
	}
	srv, err := ceiling.Start("127.0.0.1:0")
	if err != nil {
		return cfg, nil, err
	}
	fmt.Fprintf(log, "ceiling: in-process server at %s (shares the CPU with the load generator)\n", srv.URL)
	cfg.Request = getRequests([]string{srv.URL}, []string{"/"}, "")
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	return cfg, stop, nil
}

// spreadURL returns the URL of request k: one of paths on one of the
// servers at bases, as spread chooses them.
func spreadURL(bases, paths []string) func(k int) string {
	return func(k int) string {
		path, server := spread(k, len(paths), len(bases))
		return bases[server] + paths[path]
	}
}

// getRequests returns a RequestFunc for GET of paths in turn, spread over
// the servers at bases, with auth as the Authorization header if it is not
// empty.
func getRequests(bases, paths []string, auth string) loadgen.RequestFunc {
	url := spreadURL(bases, paths)
	return func(i int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, url(i), nil)
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
// POST /api/v1/conversations/{id}/messages over them in turn (spread over
// the servers of -url).
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
	paths := make([]string, len(convs))
	for i, id := range convs {
		paths[i] = messagesPath(id)
	}
	cfg := loadgen.Config{ExpectStatus: http.StatusAccepted, Request: postRequests(o.urls, paths, c.auth)}
	return cfg, stop, nil
}

// postRequests returns a RequestFunc for POST of the message body to paths
// in turn, spread over the servers at bases.
func postRequests(bases, paths []string, auth string) loadgen.RequestFunc {
	url := spreadURL(bases, paths)
	return func(i int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, url(i), bytes.NewReader(messageBody))
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
	paths := []string{
		messagesPath(convs[0]) + "?limit=50",
		"/api/v1/conversations?limit=50",
	}
	cfg := loadgen.Config{ExpectStatus: http.StatusOK, Request: getRequests(o.urls, paths, c.auth)}
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
