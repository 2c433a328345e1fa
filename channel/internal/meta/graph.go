package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/wire"
)

// DefaultBaseURL is the Graph API host; a channel's api_base_url overrides
// it.
const DefaultBaseURL = "https://graph.facebook.com"

// APIVersion is the Graph API version of every call.
const APIVersion = "v21.0"

// Graph calls the Graph API for one platform.
type Graph struct {
	Platform   string       // names the platform in errors
	RetryCodes map[int]bool // the error codes worth trying again later
	// Describe is the text of a refusal's error object (nil: its message).
	Describe func(*GraphError) string
	Client   *http.Client
	Now      func() time.Time
}

// GraphError is the error object of every Graph API refusal. error_data is
// an object for some errors and a plain string for others, so it stays
// raw.
type GraphError struct {
	Message     string          `json:"message"`
	Code        int             `json:"code"`
	IsTransient bool            `json:"is_transient"`
	ErrorData   json.RawMessage `json:"error_data"`
}

// NewRequest builds a POST of payload, as JSON, to path under the channel's
// Graph API version (path may carry a query string). Its errors are not
// retryable and never contain the URL.
func (g *Graph) NewRequest(ctx context.Context, ch *switchboard.Channel, path string, payload any) (*http.Request, error) {
	body, err := wire.JSON(payload)
	if err != nil {
		return nil, &switchboard.SendError{Message: g.Platform + ": " + err.Error()}
	}
	endpoint := strings.TrimRight(ch.APIBaseURL(DefaultBaseURL), "/") + "/" + APIVersion + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, &switchboard.SendError{Message: g.Platform + ": the api_base_url is not a valid URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// Send makes the call and reads the answer. A 2xx answer without an error
// object is decoded into answer and its status returned; anything else is
// a *switchboard.SendError. A 2xx answer that is not JSON is final: Meta
// may have done what was asked.
func (g *Graph) Send(req *http.Request, answer any) (int, error) {
	resp, raw, err := wire.Do(g.Client, g.Platform, req)
	if err != nil {
		return 0, err
	}
	var r struct {
		Error *GraphError `json:"error"`
	}
	jsonErr := errors.Join(json.Unmarshal(raw, &r), json.Unmarshal(raw, answer))
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if ok && jsonErr == nil && r.Error == nil {
		return resp.StatusCode, nil
	}
	if ok && jsonErr != nil {
		return 0, &switchboard.SendError{StatusCode: resp.StatusCode, Message: g.Platform + ": unreadable answer"}
	}
	return 0, g.refusal(resp, r.Error)
}

// refusal classifies a refusal: 429, 5xx, transient errors and the retry
// codes are retryable, honouring Retry-After; the rest are final.
func (g *Graph) refusal(resp *http.Response, e *GraphError) *switchboard.SendError {
	if e == nil {
		e = &GraphError{}
	}
	se := &switchboard.SendError{StatusCode: resp.StatusCode, Message: strings.TrimSpace(e.Message)}
	if g.Describe != nil {
		se.Message = g.Describe(e)
	}
	if se.Message == "" {
		se.Message = http.StatusText(resp.StatusCode)
	}
	if wire.RetryableStatus(resp.StatusCode) || e.IsTransient || g.RetryCodes[e.Code] {
		se.Retryable = true
		se.RetryAfter = wire.RetryAfter(resp.Header.Get("Retry-After"), g.Now())
	}
	return se
}
