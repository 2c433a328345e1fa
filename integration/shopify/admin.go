package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/internal/remote"
)

// APIVersion is the Admin API version Switchboard speaks. When Shopify
// retires it, Shopify answers with the oldest version it still supports,
// which keeps the fields used here.
const APIVersion = "2025-07"

// HeaderAccessToken carries the Admin API access token.
const HeaderAccessToken = "X-Shopify-Access-Token"

// Admin calls one shop's Admin REST API.
type Admin struct {
	Client  *http.Client
	BaseURL string // https://{shop_domain}, or the integration's api_base_url
	Token   string
	// Refresh, if set, gives the token to use when Token is empty, and a
	// new one when the API refused Token (401): once per call.
	Refresh func(ctx context.Context, stale string) (string, *sb.ActionError)
}

// Webhook is a webhook subscription of the Admin API.
type Webhook struct {
	ID      int64  `json:"id,omitempty"`
	Topic   string `json:"topic"`
	Address string `json:"address"`
	Format  string `json:"format,omitempty"`
}

// path is the URL of an Admin API resource ("webhooks.json").
func (a *Admin) path(resource string) string {
	return strings.TrimRight(a.BaseURL, "/") + "/admin/api/" + APIVersion + "/" + resource
}

// EnsureWebhooks subscribes address to each of topics that it is not yet
// subscribed to, and returns the topics it subscribed. Existing
// subscriptions are listed page by page (the Link header's rel="next");
// a subscription Shopify says exists already (422, "has already been
// taken") counts as made, so calling it again changes nothing.
func (a *Admin) EnsureWebhooks(ctx context.Context, address string, topics []string) ([]string, *sb.ActionError) {
	existing, err := a.listWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, w := range existing {
		if w.Address == address {
			have[w.Topic] = true
		}
	}
	var created []string
	for _, topic := range topics {
		if have[topic] {
			continue
		}
		body, _ := json.Marshal(map[string]Webhook{"webhook": {Topic: topic, Address: address, Format: "json"}})
		_, err := a.do(ctx, "create webhook", http.MethodPost, a.path("webhooks.json"), body)
		if err != nil {
			if err.StatusCode == http.StatusUnprocessableEntity && strings.Contains(err.Response, "already been taken") {
				continue
			}
			return created, err
		}
		created = append(created, topic)
	}
	return created, nil
}

// listWebhooks returns every webhook subscription of the shop.
func (a *Admin) listWebhooks(ctx context.Context) ([]Webhook, *sb.ActionError) {
	var all []Webhook
	next := a.path("webhooks.json?limit=250")
	for pages := 0; next != "" && pages < 20; pages++ {
		resp, err := a.do(ctx, "list webhooks", http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		var page struct {
			Webhooks []Webhook `json:"webhooks"`
		}
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			return nil, badAnswer("list webhooks", resp)
		}
		all = append(all, page.Webhooks...)
		next = a.sameOrigin(nextLink(resp.Header.Get("Link")))
	}
	return all, nil
}

var linkNext = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

// nextLink is the rel="next" URL of a Link header, or "".
func nextLink(h string) string {
	if m := linkNext.FindStringSubmatch(h); m != nil {
		return m[1]
	}
	return ""
}

// sameOrigin returns link if it has the scheme and host of the base URL
// (the access token goes with it), else "".
func (a *Admin) sameOrigin(link string) string {
	if link == "" {
		return ""
	}
	u, err1 := url.Parse(link)
	base, err2 := url.Parse(a.BaseURL)
	if err1 != nil || err2 != nil || u.Scheme != base.Scheme || u.Host != base.Host {
		return ""
	}
	return link
}

// FindOrder returns the order whose number is number ("1042" or "#1042")
// and whose customer's email is email (compared without case), or nil
// when there is none: an order of someone else is not found either. It
// searches every order, open, closed and cancelled.
func (a *Admin) FindOrder(ctx context.Context, number, email string) (*Order, *sb.ActionError) {
	number = strings.TrimPrefix(strings.TrimSpace(number), "#")
	q := url.Values{"name": {number}, "status": {"any"}}
	resp, err := a.do(ctx, "find order", http.MethodGet, a.path("orders.json?"+q.Encode()), nil)
	if err != nil {
		return nil, err
	}
	var page struct {
		Orders []Order `json:"orders"`
	}
	if err := json.Unmarshal(resp.Body, &page); err != nil {
		return nil, badAnswer("find order", resp)
	}
	email = strings.ToLower(strings.TrimSpace(email))
	for i := range page.Orders {
		o := &page.Orders[i]
		if o.Number() != number && strings.TrimPrefix(o.Name, "#") != number {
			continue
		}
		if email != "" && o.CustomerEmail() == email {
			return o, nil
		}
	}
	return nil, nil
}

// Response is an answer of the Admin API, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends an Admin API request with the access token and returns a 2xx
// answer; anything else is an *sb.ActionError carrying Shopify's error
// (the "errors" member of its answer) and, for a 429, the wait Shopify
// asks for (its Retry-After is a decimal number of seconds). A granted
// token the API refuses (401) is replaced once.
func (a *Admin) do(ctx context.Context, what, method, target string, body []byte) (*Response, *sb.ActionError) {
	name := "shopify: " + what
	for try := 0; ; try++ {
		if a.Token == "" && a.Refresh != nil {
			t, err := a.Refresh(ctx, "")
			if err != nil {
				return nil, err
			}
			a.Token = t
		}
		if a.Token == "" {
			return nil, &sb.ActionError{Message: name + ": the integration has no access_token"}
		}
		resp, err := a.send(ctx, name, method, target, body)
		if err != nil && err.StatusCode == http.StatusUnauthorized && a.Refresh != nil && try == 0 {
			t, rerr := a.Refresh(ctx, a.Token)
			if rerr != nil {
				return nil, rerr
			}
			if t != a.Token {
				a.Token = t
				continue
			}
		}
		return resp, err
	}
}

func (a *Admin) send(ctx context.Context, name, method, target string, body []byte) (*Response, *sb.ActionError) {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, &sb.ActionError{Message: name + ": the shop's URL is not valid"}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderAccessToken, a.Token)
	resp, raw, aerr := remote.Do(a.Client, name, req)
	if aerr != nil {
		if aerr.StatusCode != 0 {
			aerr.Message = name + ": " + errorText(raw)
			aerr.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
		}
		return nil, aerr
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// badAnswer is the error of a 2xx answer that is not what the API
// promises.
func badAnswer(what string, resp *Response) *sb.ActionError {
	return &sb.ActionError{StatusCode: resp.Status, Message: "shopify: " + what + ": the answer is not the JSON expected",
		Response: sb.ResponseHead(resp.Body)}
}

// errorText is Shopify's error message from an answer's body (its
// "errors": a string, a list, or lists by field), or the body's start.
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
		var fields map[string]json.RawMessage
		if json.Unmarshal(v.Errors, &fields) == nil {
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(fields)) {
				var msgs []string
				if json.Unmarshal(fields[k], &msgs) != nil {
					var one string
					_ = json.Unmarshal(fields[k], &one)
					msgs = []string{one}
				}
				for _, m := range msgs {
					parts = append(parts, k+" "+m)
				}
			}
			return strings.Join(parts, "; ")
		}
	}
	return sb.ResponseHead(bytes.TrimSpace(body))
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
