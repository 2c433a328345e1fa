package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard/bench/loadgen"
)

// apiClient makes the setup calls of the API scenarios and builds their
// load requests. Every request carries the API key as a bearer token.
type apiClient struct {
	base string // e.g. http://127.0.0.1:8080
	auth string // "Bearer <key>"
	http *http.Client
}

// newAPIClient returns a client for the Switchboard at base, or errNoKey.
func newAPIClient(base, key string, timeout time.Duration) (*apiClient, error) {
	if key == "" {
		return nil, errNoKey
	}
	return &apiClient{base: base, auth: "Bearer " + key, http: loadgen.NewClient(1, timeout)}, nil
}

// request builds a request for path (under base) with a JSON body, if any.
func (c *apiClient) request(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// call sends one setup request with body marshalled as JSON, insists on a
// 2xx answer, and returns the "id" of the resource it answers with (top
// level, or under "data").
func (c *apiClient) call(ctx context.Context, method, path string, body any) (string, error) {
	js, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	req, err := c.request(ctx, method, path, js)
	if err != nil {
		return "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("%s %s: reading answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("%s %s: status %d: %.300s", method, path, resp.StatusCode, raw)
	}
	return resourceID(raw), nil
}

// resourceID extracts the "id" of an answer, or "" if it has none.
func resourceID(raw []byte) string {
	var v struct {
		ID   string `json:"id"`
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	if v.ID != "" {
		return v.ID
	}
	return v.Data.ID
}

// createID is call for a creation, which must answer with an id.
func (c *apiClient) createID(ctx context.Context, path string, body any) (string, error) {
	id, err := c.call(ctx, http.MethodPost, path, body)
	if err == nil && id == "" {
		err = fmt.Errorf("POST %s: no id in the answer", path)
	}
	return id, err
}

// createChannel creates the API channel the scenarios talk through, its
// outbound messages POSTed to callbackURL.
func (c *apiClient) createChannel(ctx context.Context, callbackURL string) (string, error) {
	return c.createID(ctx, "/api/v1/channels", map[string]any{
		"type":   "api",
		"name":   "bench",
		"config": map[string]string{"callback_url": callbackURL},
	})
}

// createConversation starts a conversation with userID on the channel.
func (c *apiClient) createConversation(ctx context.Context, channelID, userID string) (string, error) {
	return c.createID(ctx, "/api/v1/conversations", map[string]string{
		"channel_id": channelID,
		"user_id":    userID,
	})
}

// messageBody is the body of every message the scenarios send.
var messageBody = []byte(`{"text":"hello","sender":"agent"}`)

// messagesPath is the path of a conversation's messages.
func messagesPath(convID string) string {
	return "/api/v1/conversations/" + convID + "/messages"
}

// postMessage sends one agent message to the conversation.
func (c *apiClient) postMessage(ctx context.Context, convID string) error {
	req, err := c.request(ctx, http.MethodPost, messagesPath(convID), messageBody)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST %s: status %d, want 202: %.300s", messagesPath(convID), resp.StatusCode, raw)
	}
	return nil
}
