// Package shopifytest is a fake Shopify for tests: an Admin REST API
// (webhooks.json with Link-header pagination, orders.json) that checks the
// X-Shopify-Access-Token header, answers in Shopify's wire format
// ({"errors": …} bodies, 401, 422, 429 with a decimal Retry-After, 5xx),
// records every call and can be told to fail; and webhook deliveries
// signed as Shopify signs them.
package shopifytest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Call is one request the fake received.
type Call struct {
	Method string
	Path   string
	Query  url.Values
	Token  string // the X-Shopify-Access-Token header
	Body   []byte
}

// Reply is an answer the fake gives instead of the normal one.
type Reply struct {
	Status int
	Body   string
	Header http.Header
}

// Error401 is Shopify's answer to a wrong or revoked access token.
var Error401 = Reply{Status: http.StatusUnauthorized,
	Body: `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`}

// Error429 is Shopify's answer when the leaky bucket is full; Retry-After
// is in seconds, written as a decimal.
var Error429 = Reply{Status: http.StatusTooManyRequests,
	Body:   `{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}`,
	Header: http.Header{"Retry-After": {"2.0"}, "X-Shopify-Shop-Api-Call-Limit": {"40/40"}}}

// Error503 is a server error.
var Error503 = Reply{Status: http.StatusServiceUnavailable, Body: `{"errors":"Service Unavailable"}`}

// Server is the fake Admin API of one shop.
type Server struct {
	URL   string
	Token string // the static access token it accepts
	// ClientID and ClientSecret are the credentials of an app of the Dev
	// Dashboard: POST /admin/oauth/access_token grants tokens for them
	// (the client-credentials grant), valid for a day or until
	// ExpireGrants.
	ClientID, ClientSecret string
	// PageSize is how many webhooks a page of webhooks.json lists at most
	// (the limit parameter lowers it).
	PageSize int

	srv *httptest.Server

	mu       sync.Mutex
	calls    []Call
	fail     []Reply
	webhooks []webhook
	orders   []json.RawMessage
	nextID   int64
	granted  map[string]bool // granted token -> valid
}

type webhook struct {
	ID         int64  `json:"id"`
	Address    string `json:"address"`
	Topic      string `json:"topic"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
	Format     string `json:"format"`
	Fields     []any  `json:"fields"`
	APIVersion string `json:"api_version"`
}

// NewServer starts a fake shop on loopback accepting token.
func NewServer(token string) *Server {
	s := &Server{Token: token, PageSize: 250, nextID: 1_047_000_000, granted: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// FailNext makes the next n calls answer r.
func (s *Server) FailNext(n int, r Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fail = append(s.fail, r)
	}
}

// AddOrder adds an order (Shopify's Order JSON) that orders.json finds.
func (s *Server) AddOrder(order []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders = append(s.orders, json.RawMessage(order))
}

// AddWebhook adds an existing subscription.
func (s *Server) AddWebhook(topic, address string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addWebhook(topic, address)
}

func (s *Server) addWebhook(topic, address string) webhook {
	s.nextID++
	now := time.Now().UTC().Format(time.RFC3339)
	w := webhook{ID: s.nextID, Address: address, Topic: topic, CreatedAt: now, UpdatedAt: now,
		Format: "json", Fields: []any{}, APIVersion: "2025-07"}
	s.webhooks = append(s.webhooks, w)
	return w
}

// ExpireGrants ends every token granted so far: the API answers 401 to
// them.
func (s *Server) ExpireGrants() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.granted {
		s.granted[t] = false
	}
}

// grant answers the client-credentials grant.
func (s *Server) grant(body []byte) Reply {
	form, _ := url.ParseQuery(string(body))
	switch {
	case form.Get("grant_type") != "client_credentials":
		return Reply{Status: 400, Body: `{"error":"unsupported_grant_type","error_description":"The grant type is not supported."}`}
	case s.ClientID == "" || form.Get("client_id") != s.ClientID || form.Get("client_secret") != s.ClientSecret:
		return Reply{Status: 400, Body: `{"error":"invalid_client","error_description":"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."}`}
	}
	tok := fmt.Sprintf("shpat_granted%04d", len(s.granted)+1)
	s.granted[tok] = true
	out, _ := json.Marshal(map[string]any{"access_token": tok, "scope": "read_orders,read_products", "expires_in": 86399})
	return Reply{Status: 200, Body: string(out)}
}

// Subscriptions returns topic → address of every subscription.
func (s *Server) Subscriptions() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]string{}
	for _, w := range s.webhooks {
		out[w.Topic] = append(out[w.Topic], w.Address)
	}
	return out
}

// Calls returns the calls received so far whose path ends with suffix
// ("" for all).
func (s *Server) Calls(suffix string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if strings.HasSuffix(c.Path, suffix) {
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Token: r.Header.Get("X-Shopify-Access-Token"), Body: body}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	if len(s.fail) > 0 {
		rep := s.fail[0]
		s.fail = s.fail[1:]
		write(w, rep)
		return
	}
	if r.URL.Path == "/admin/oauth/access_token" && r.Method == http.MethodPost {
		write(w, s.grant(body))
		return
	}
	if (c.Token == "" || c.Token != s.Token) && !s.granted[c.Token] {
		write(w, Error401)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/admin/api/")
	version, resource, _ := strings.Cut(rest, "/")
	if !ok || len(version) != 7 {
		write(w, Reply{Status: 404, Body: `{"errors":"Not Found"}`})
		return
	}
	switch {
	case resource == "webhooks.json" && r.Method == http.MethodGet:
		s.listWebhooks(w, r)
	case resource == "webhooks.json" && r.Method == http.MethodPost:
		s.createWebhook(w, body)
	case resource == "orders.json" && r.Method == http.MethodGet:
		s.listOrders(w, r)
	default:
		write(w, Reply{Status: 404, Body: `{"errors":"Not Found"}`})
	}
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := s.PageSize
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 && n < limit {
		limit = n
	}
	start := 0
	if p := q.Get("page_info"); p != "" {
		raw, _ := base64.RawURLEncoding.DecodeString(p)
		n, err := strconv.Atoi(string(raw))
		if err != nil {
			write(w, Reply{Status: 400, Body: `{"errors":{"page_info":["Invalid value."]}}`})
			return
		}
		start = n
	}
	var matched []webhook
	for _, wh := range s.webhooks {
		if (q.Get("topic") == "" || wh.Topic == q.Get("topic")) && (q.Get("address") == "" || wh.Address == q.Get("address")) {
			matched = append(matched, wh)
		}
	}
	end := min(start+limit, len(matched))
	page := matched[min(start, end):end]
	h := http.Header{}
	if end < len(matched) {
		next := "http://" + r.Host + r.URL.Path + "?limit=" + strconv.Itoa(limit) + "&page_info=" + base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
		h.Set("Link", `<`+next+`>; rel="next"`)
	}
	if page == nil {
		page = []webhook{}
	}
	out, _ := json.Marshal(map[string]any{"webhooks": page})
	write(w, Reply{Status: 200, Body: string(out), Header: h})
}

func (s *Server) createWebhook(w http.ResponseWriter, body []byte) {
	var in struct {
		Webhook struct {
			Topic   string `json:"topic"`
			Address string `json:"address"`
			Format  string `json:"format"`
		} `json:"webhook"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		write(w, Reply{Status: 400, Body: `{"errors":{"webhook":"Required parameter missing or invalid"}}`})
		return
	}
	switch {
	case in.Webhook.Topic == "":
		write(w, Reply{Status: 422, Body: `{"errors":{"topic":["can't be blank","Invalid topic specified. Topics allowed: orders/create, orders/updated, orders/fulfilled, products/update"]}}`})
		return
	case !strings.HasPrefix(in.Webhook.Address, "https://") && !strings.HasPrefix(in.Webhook.Address, "http://"):
		write(w, Reply{Status: 422, Body: `{"errors":{"address":["is invalid"]}}`})
		return
	}
	for _, wh := range s.webhooks {
		if wh.Topic == in.Webhook.Topic && wh.Address == in.Webhook.Address {
			write(w, Reply{Status: 422, Body: `{"errors":{"address":["for this topic has already been taken"]}}`})
			return
		}
	}
	wh := s.addWebhook(in.Webhook.Topic, in.Webhook.Address)
	out, _ := json.Marshal(map[string]any{"webhook": wh})
	write(w, Reply{Status: 201, Body: string(out)})
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := strings.TrimPrefix(q.Get("name"), "#")
	out := []json.RawMessage{}
	for _, raw := range s.orders {
		var o struct {
			Name        string `json:"name"`
			OrderNumber int64  `json:"order_number"`
			CancelledAt string `json:"cancelled_at"`
			ClosedAt    string `json:"closed_at"`
		}
		_ = json.Unmarshal(raw, &o)
		if name != "" && strings.TrimPrefix(o.Name, "#") != name && strconv.FormatInt(o.OrderNumber, 10) != name {
			continue
		}
		// status defaults to open: closed and cancelled orders need status=any.
		if q.Get("status") != "any" && (o.CancelledAt != "" || o.ClosedAt != "") {
			continue
		}
		out = append(out, raw)
	}
	body, _ := json.Marshal(map[string]any{"orders": out})
	write(w, Reply{Status: 200, Body: string(body)})
}

func write(w http.ResponseWriter, rep Reply) {
	for k, v := range rep.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(rep.Status)
	_, _ = io.WriteString(w, rep.Body)
}

// Sign is the X-Shopify-Hmac-Sha256 value of body under secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Headers are the headers of a webhook delivery as Shopify sends them,
// signed with secret.
func Headers(secret, topic, webhookID, shop string, body []byte) http.Header {
	return http.Header{
		"Content-Type":           {"application/json"},
		"X-Shopify-Topic":        {topic},
		"X-Shopify-Hmac-Sha256":  {Sign(secret, body)},
		"X-Shopify-Shop-Domain":  {shop},
		"X-Shopify-Api-Version":  {"2025-07"},
		"X-Shopify-Webhook-Id":   {webhookID},
		"X-Shopify-Event-Id":     {"evt-" + webhookID},
		"X-Shopify-Triggered-At": {time.Now().UTC().Format(time.RFC3339Nano)},
		"User-Agent":             {"Shopify-Captain-Hook"},
	}
}

// Deliver POSTs a webhook to url as Shopify would and returns the status
// answered.
func Deliver(client *http.Client, url string, header http.Header, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = header.Clone()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
