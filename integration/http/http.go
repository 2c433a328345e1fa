// Package http is the generic integration: its one action, call, sends a
// templated HTTP request to any API (a ticket in a help desk, a row in a
// sheet, a message to a team chat) and can keep the JSON answer as a
// knowledge fact.
//
// Settings: url (a template; required), method (default POST), headers
// (secret: an object of header values, templates allowed), body (a JSON
// template whose placeholders are filled JSON-escaped; without one, a
// request with a body sends the action's params as JSON), timeout (at most
// 60s; default 15s) and store_as (the key of the fact the answer is kept
// as; params.store_as wins). Every request carries the run's
// Idempotency-Key, the same on every attempt of one run.
package http

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/internal/remote"
)

// Defaults and bounds.
const (
	DefaultTimeout = 15 * time.Second
	MaxTimeout     = 60 * time.Second
	DefaultMethod  = http.MethodPost
)

// ActionCall is the name of the one action.
const ActionCall = "call"

var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

var spec = &sb.IntegrationSpec{
	Type:        sb.IntegrationHTTP,
	Description: "Any HTTP API: a templated request, its JSON answer optionally kept as a knowledge fact.",
	Fields: []sb.IntegrationField{
		{Name: "url", Required: true, URL: true, Description: "The URL called; a template ({{params.*}}, {{event.*}}, {{conversation.*}}, {{contact.*}}, {{knowledge.*}})."},
		{Name: "method", OneOf: methods, Description: "GET, POST (default), PUT, PATCH or DELETE."},
		{Name: "headers", Kind: sb.FieldObject, Secret: true, Description: "Request headers (an object of strings; templates allowed). Write-only."},
		{Name: "body", Description: "The JSON body, a template whose values are filled JSON-escaped. Without one, the params are sent as JSON."},
		{Name: "timeout", Kind: sb.FieldDuration, Max: MaxTimeout, Description: "Bound of each request, such as 10s (default 15s, at most 60s)."},
		{Name: "store_as", Description: "The key of the knowledge fact the JSON answer is kept as (params.store_as wins)."},
	},
	Actions: []sb.ActionSpec{{
		Name:        ActionCall,
		Description: "Sends the templated request. Its params are free-form values for the templates ({{params.*}}); store_as names the fact to keep the answer as.",
		Params:      json.RawMessage(`{"type":"object","properties":{"store_as":{"type":"string","pattern":"^[A-Za-z0-9_:-]+(\\.[A-Za-z0-9_:-]+)*$","maxLength":200}},"additionalProperties":true}`),
	}},
	Check: check,
	OutboundURLs: func(config map[string]any, _ map[string]string) map[string]string {
		if u, _ := config["url"].(string); u != "" && strings.Contains(u, "{{") {
			if base := staticPrefix(u); base != "" {
				return map[string]string{"config.url": base}
			}
		}
		return nil
	},
}

// staticPrefix is the scheme and host of a templated URL when they hold
// no placeholder ("https://desk.example.com/api/{{params.x}}" gives
// "https://desk.example.com/"), else "".
func staticPrefix(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	if host == "" || strings.Contains(scheme+host, "{{") {
		return ""
	}
	return scheme + "://" + host + "/"
}

func check(config map[string]any, _ map[string]string) error {
	var v sb.Validation
	u, _ := config["url"].(string)
	if strings.Contains(u, "{{") && staticPrefix(u) == "" && !strings.HasPrefix(u, "{{") {
		v.Add("config.url", "must start with http:// or https:// and a host without placeholders")
	}
	if key, _ := config["store_as"].(string); key != "" && !sb.ValidFactKey(key) {
		v.Add("config.store_as", "must be a fact key: letters, digits, _, - and : in segments separated by dots")
	}
	if body, _ := config["body"].(string); body != "" && !strings.Contains(body, "{{") && !json.Valid([]byte(body)) {
		v.Add("config.body", "must be a JSON document (a template)")
	}
	return v.Err()
}

// Provider is the http integration type.
type Provider struct{}

var _ sb.IntegrationProvider = (*Provider)(nil)

// New returns the http integration type.
func New() *Provider { return &Provider{} }

// Spec describes the type.
func (*Provider) Spec() *sb.IntegrationSpec { return spec }

// Run sends the action's request.
func (*Provider) Run(ctx context.Context, call *sb.ActionCall) (*sb.ActionResult, error) {
	if call.Action != ActionCall {
		return nil, &sb.ActionError{Message: "http: no action " + call.Action}
	}
	in := call.Integration
	var params map[string]any
	_ = json.Unmarshal(call.Params, &params)
	req, err := request(ctx, call, params)
	if err != nil {
		return nil, err
	}
	timeout := DefaultTimeout
	if d, err := time.ParseDuration(in.Setting("timeout")); err == nil && d > 0 {
		timeout = min(d, MaxTimeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, body, ae := remote.Do(call.Client, "http: "+req.Method+" "+req.URL.Host, req.WithContext(ctx))
	if ae != nil {
		return nil, ae
	}
	res := &sb.ActionResult{StatusCode: resp.StatusCode, ResponseHead: sb.ResponseHead(body)}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		res.Output = json.RawMessage(`{"status":` + itoa(resp.StatusCode) + `}`)
	case json.Valid(trimmed):
		res.Output = json.RawMessage(trimmed)
	default:
		b, _ := json.Marshal(map[string]any{"status": resp.StatusCode, "body": sb.ResponseHead(body)})
		res.Output = b
	}
	key, _ := params["store_as"].(string)
	if key == "" {
		key = in.Setting("store_as")
	}
	if key != "" {
		res.Facts = []sb.FactUpsert{fact(key, call, res.Output)}
	}
	return res, nil
}

// request builds the templated request.
func request(ctx context.Context, call *sb.ActionCall, params map[string]any) (*http.Request, error) {
	in := call.Integration
	u, err := call.Fill(ctx, in.Setting("url"))
	if err != nil {
		return nil, &sb.ActionError{Message: "http: url: " + err.Error()}
	}
	if msg := sb.CheckHTTPURL(u); msg != "" {
		return nil, &sb.ActionError{Message: "http: the url " + msg}
	}
	method := in.Setting("method")
	if method == "" {
		method = DefaultMethod
	}
	var body []byte
	if tpl := in.Setting("body"); tpl != "" {
		s, err := call.FillJSON(ctx, tpl)
		if err != nil {
			return nil, &sb.ActionError{Message: "http: body: " + err.Error()}
		}
		body = []byte(s)
	} else if method != http.MethodGet && method != http.MethodDelete {
		delete(params, "store_as")
		body, _ = json.Marshal(params)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, &sb.ActionError{Message: "http: " + err.Error()}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Idempotency-Key", call.IdempotencyKey)
	for name, tpl := range in.Object("headers") {
		val, err := call.Fill(ctx, tpl)
		if err != nil {
			return nil, &sb.ActionError{Message: "http: headers." + name + ": " + err.Error()}
		}
		req.Header.Set(name, val)
	}
	return req, nil
}

// fact is the answer kept under key: about the run's contact if there is
// one, else the workspace's; its data the answer (an object, or
// {"value": answer}), its text the answer's "text" or "message" field if
// it has one.
func fact(key string, call *sb.ActionCall, answer json.RawMessage) sb.FactUpsert {
	f := sb.FactUpsert{Key: key}
	if call.Contact != nil {
		f.ContactID = call.Contact.ID
	}
	var obj map[string]any
	if json.Unmarshal(answer, &obj) == nil && obj != nil {
		f.Data = answer
		for _, k := range []string{"text", "message", "status"} {
			if s, ok := obj[k].(string); ok && s != "" {
				f.Text = s
				break
			}
		}
	} else {
		f.Data, _ = json.Marshal(map[string]json.RawMessage{"value": answer})
	}
	if f.Text == "" {
		f.Text = string(answer)
		if len(f.Text) > 1000 {
			f.Text = f.Text[:1000]
		}
	}
	return f
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
