package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
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
func (a *Admin) EnsureWebhooks(ctx context.Context, address string, topics []string) ([]string, error) {
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
		_, err := a.do(ctx, http.MethodPost, a.path("webhooks.json"), body)
		if err != nil {
			var e *Error
			if asError(err, &e) && e.Status == http.StatusUnprocessableEntity && strings.Contains(e.Message, "already been taken") {
				continue
			}
			return created, err
		}
		created = append(created, topic)
	}
	return created, nil
}

// listWebhooks returns every webhook subscription of the shop.
func (a *Admin) listWebhooks(ctx context.Context) ([]Webhook, error) {
	var all []Webhook
	next := a.path("webhooks.json?limit=250")
	for pages := 0; next != "" && pages < 20; pages++ {
		resp, err := a.do(ctx, http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		var page struct {
			Webhooks []Webhook `json:"webhooks"`
		}
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			return nil, &Error{Status: resp.Status, Message: "shopify: the webhooks list is not JSON"}
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
func (a *Admin) FindOrder(ctx context.Context, number, email string) (*Order, error) {
	number = strings.TrimPrefix(strings.TrimSpace(number), "#")
	q := url.Values{"name": {number}, "status": {"any"}}
	resp, err := a.do(ctx, http.MethodGet, a.path("orders.json?"+q.Encode()), nil)
	if err != nil {
		return nil, err
	}
	var page struct {
		Orders []Order `json:"orders"`
	}
	if err := json.Unmarshal(resp.Body, &page); err != nil {
		return nil, &Error{Status: resp.Status, Message: "shopify: the orders list is not JSON"}
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

// do sends an Admin API request with the access token and returns the
// answer of a 2xx; anything else is an *Error.
func (a *Admin) do(ctx context.Context, method, target string, body []byte) (*Response, error) {
	if a.Token == "" {
		return nil, &Error{Refused: true, Message: "shopify: the integration has no access_token"}
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, &Error{Message: "shopify: the shop's URL is not valid"}
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderAccessToken, a.Token)
	resp, err := send(a.Client, req)
	if err != nil {
		return nil, err
	}
	if resp.Status >= 200 && resp.Status < 300 {
		return resp, nil
	}
	return nil, apiError(resp)
}
