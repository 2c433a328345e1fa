// Package hubspottest is a fake HubSpot CRM API for tests: POST
// /crm/v3/objects/contacts/batch/upsert with idProperty "email", checked
// Bearer tokens, HubSpot's error bodies ({"status":"error","message",
// "category"}), its rate-limit headers on every answer and its 429. It
// records every call and can be told to fail.
package hubspottest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Call is one request the fake received.
type Call struct {
	Method string
	Path   string
	Token  string
	Body   []byte
}

// Reply is an answer the fake gives instead of the normal one.
type Reply struct {
	Status int
	Body   string
	Header http.Header
}

// Error401 is HubSpot's answer to a missing or revoked token.
var Error401 = Reply{Status: 401, Body: `{"status":"error","message":"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview","correlationId":"a7d9c0e2-41b8-4f3a-9c6d-2e8b5f1a7c90","category":"INVALID_AUTHENTICATION"}`}

// Error502 is a gateway error.
var Error502 = Reply{Status: 502, Body: `{"status":"error","message":"Bad Gateway","correlationId":"5b0e2c17-8f4d-4a39-a1c6-0d7e9b3f2a58","category":"BAD_GATEWAY"}`}

// Error429 is the answer when the ten-second window is spent: HubSpot's
// rate-limit headers, and Retry-After (seconds) when retryAfter > 0.
func Error429(intervalMS, retryAfter int) Reply {
	h := http.Header{
		"X-Hubspot-Ratelimit-Interval-Milliseconds": {strconv.Itoa(intervalMS)},
		"X-Hubspot-Ratelimit-Max":                   {"100"},
		"X-Hubspot-Ratelimit-Remaining":             {"0"},
		"X-Hubspot-Ratelimit-Daily":                 {"250000"},
		"X-Hubspot-Ratelimit-Daily-Remaining":       {"241337"},
	}
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	return Reply{Status: 429, Header: h,
		Body: `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"3f1c2b7e-9a4d-4c61-8e0f-5b2d7a9c1e44","policyName":"TEN_SECONDLY_ROLLING","groupName":"privateapp:1234567"}`}
}

// Contact is a contact the fake holds.
type Contact struct {
	ID         string
	Properties map[string]string
}

// Server is the fake account.
type Server struct {
	URL   string
	Token string

	srv *httptest.Server

	mu       sync.Mutex
	calls    []Call
	fail     []Reply
	contacts map[string]*Contact // by lower-case email
	nextID   int64
}

// NewServer starts a fake account accepting token.
func NewServer(token string) *Server {
	s := &Server{Token: token, contacts: map[string]*Contact{}, nextID: 112233445500}
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

// Calls returns the calls received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Contacts returns copies of the contacts by email.
func (s *Server) Contacts() map[string]Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Contact{}
	for k, c := range s.contacts {
		out[k] = Contact{ID: c.ID, Properties: maps.Clone(c.Properties)}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := Call{Method: r.Method, Path: r.URL.Path, Body: body}
	c.Token, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	if len(s.fail) > 0 {
		rep := s.fail[0]
		s.fail = s.fail[1:]
		write(w, rep)
		return
	}
	if c.Token == "" || c.Token != s.Token {
		write(w, Error401)
		return
	}
	if r.URL.Path != "/crm/v3/objects/contacts/batch/upsert" || r.Method != http.MethodPost {
		write(w, Reply{Status: 404, Body: `{"status":"error","message":"Resource not found","category":"OBJECT_NOT_FOUND"}`})
		return
	}
	s.upsert(w, body)
}

func (s *Server) upsert(w http.ResponseWriter, body []byte) {
	var in struct {
		Inputs []struct {
			IDProperty string            `json:"idProperty"`
			ID         string            `json:"id"`
			Properties map[string]string `json:"properties"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal(body, &in); err != nil || len(in.Inputs) == 0 || len(in.Inputs) > 100 {
		write(w, validation("Invalid input JSON on line 1: the request needs between 1 and 100 inputs"))
		return
	}
	type result struct {
		ID         string            `json:"id"`
		Properties map[string]string `json:"properties"`
		CreatedAt  string            `json:"createdAt"`
		UpdatedAt  string            `json:"updatedAt"`
		Archived   bool              `json:"archived"`
		New        bool              `json:"new"`
	}
	var results []result
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	for _, it := range in.Inputs {
		if it.IDProperty != "email" {
			write(w, validation("idProperty "+it.IDProperty+" is not a unique property of contacts"))
			return
		}
		if !strings.Contains(it.ID, "@") {
			write(w, validation(fmt.Sprintf(`Property values were not valid: [{"isValid":false,"message":"Email address %s is invalid","error":"INVALID_EMAIL","name":"email"}]`, it.ID)))
			return
		}
		for k := range it.Properties {
			if !knownProperty(k) {
				write(w, validation(fmt.Sprintf(`Property values were not valid: [{"isValid":false,"message":"Property \"%s\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"%s"}]`, k, k)))
				return
			}
		}
		key := strings.ToLower(it.ID)
		ct, ok := s.contacts[key]
		if !ok {
			s.nextID++
			ct = &Contact{ID: strconv.FormatInt(s.nextID, 10), Properties: map[string]string{"email": key, "createdate": now}}
			s.contacts[key] = ct
		}
		maps.Copy(ct.Properties, it.Properties)
		ct.Properties["lastmodifieddate"] = now
		ct.Properties["hs_object_id"] = ct.ID
		results = append(results, result{ID: ct.ID, Properties: maps.Clone(ct.Properties), CreatedAt: ct.Properties["createdate"], UpdatedAt: now, New: !ok})
	}
	out, _ := json.Marshal(map[string]any{"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})
	write(w, Reply{Status: 200, Body: string(out)})
}

// knownProperty says whether a contact property exists in the fake
// account: HubSpot's default ones used here, and custom ones named x_….
func knownProperty(name string) bool {
	switch name {
	case "email", "firstname", "lastname", "phone", "company", "lifecyclestage", "hs_lead_status", "jobtitle", "website", "city", "country":
		return true
	}
	return strings.HasPrefix(name, "x_")
}

func validation(msg string) Reply {
	b, _ := json.Marshal(map[string]string{"status": "error", "message": msg,
		"correlationId": "0c4e7b21-5d3a-4f8e-b9a6-71c2d8e05f13", "category": "VALIDATION_ERROR"})
	return Reply{Status: 400, Body: string(b)}
}

func write(w http.ResponseWriter, rep Reply) {
	for k, v := range rep.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	if rep.Header.Get("X-HubSpot-RateLimit-Max") == "" {
		w.Header().Set("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
		w.Header().Set("X-HubSpot-RateLimit-Max", "100")
		w.Header().Set("X-HubSpot-RateLimit-Remaining", "99")
	}
	w.WriteHeader(rep.Status)
	_, _ = io.WriteString(w, rep.Body)
}
