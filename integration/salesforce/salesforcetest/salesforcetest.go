// Package salesforcetest is a fake Salesforce for tests: the OAuth 2.0
// token endpoint (refresh-token and client-credentials grants, its
// {"error","error_description"} refusals), and the REST API's SOQL query
// (it parses the string literal by SOQL's escaping rules and answers
// MALFORMED_QUERY otherwise), Lead create and update, with Bearer tokens
// that can be expired and Salesforce's [{"message","errorCode"}] errors.
// It records every call and can be told to fail.
package salesforcetest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
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
	Token  string // the Bearer token of a REST call
	Form   url.Values
	Body   []byte
}

// Reply is an answer the fake gives instead of the normal one.
type Reply struct {
	Status int
	Body   string
	Header http.Header
}

// Salesforce's answers for failures.
var (
	ErrorInvalidSession = Reply{Status: 401, Body: `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`}
	ErrorInvalidGrant   = Reply{Status: 400, Body: `{"error":"invalid_grant","error_description":"expired access/refresh token"}`}
	ErrorUnavailable    = Reply{Status: 503, Body: `[{"message":"Server temporarily unavailable, please try again later","errorCode":"SERVER_UNAVAILABLE"}]`}
	ErrorRequestLimit   = Reply{Status: 403, Body: `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`}
	Error429            = Reply{Status: 429, Body: `[{"message":"Too many concurrent requests","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`, Header: http.Header{"Retry-After": {"3"}}}
)

// Lead is a Lead the fake holds.
type Lead struct {
	ID     string
	Fields map[string]any
}

// Server is the fake org.
type Server struct {
	URL          string
	ClientID     string
	ClientSecret string
	RefreshToken string
	// ClientCredentials allows the client-credentials grant.
	ClientCredentials bool

	srv *httptest.Server

	mu         sync.Mutex
	calls      []Call
	failAPI    []Reply
	failToken  []Reply
	tokens     map[string]bool // access token -> valid
	leads      []*Lead
	nextID     int
	refreshBad bool
	afterCall  func(Call)
}

// NewServer starts a fake org that accepts these credentials.
func NewServer(clientID, clientSecret, refreshToken string) *Server {
	s := &Server{ClientID: clientID, ClientSecret: clientSecret, RefreshToken: refreshToken, tokens: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// FailNext makes the next n REST calls (not the token endpoint) answer r.
func (s *Server) FailNext(n int, r Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failAPI = append(s.failAPI, r)
	}
}

// FailToken makes the next n token requests answer r.
func (s *Server) FailToken(n int, r Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failToken = append(s.failToken, r)
	}
}

// ExpireTokens ends every access token issued so far (as a session
// timeout does): the REST API answers 401 INVALID_SESSION_ID to them.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.tokens {
		s.tokens[t] = false
	}
}

// RevokeRefreshToken makes the refresh token invalid (invalid_grant).
func (s *Server) RevokeRefreshToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshBad = true
	for t := range s.tokens {
		s.tokens[t] = false
	}
}

// AddLead stores a Lead and returns its id.
func (s *Server) AddLead(fields map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLead(fields).ID
}

func (s *Server) addLead(fields map[string]any) *Lead {
	s.nextID++
	l := &Lead{ID: fmt.Sprintf("00Q5g00000%08dAAA", s.nextID)[:18], Fields: maps.Clone(fields)}
	if _, ok := l.Fields["IsConverted"]; !ok {
		l.Fields["IsConverted"] = false
	}
	s.leads = append(s.leads, l)
	return l
}

// Leads returns copies of the Leads.
func (s *Server) Leads() []Lead {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Lead, len(s.leads))
	for i, l := range s.leads {
		out[i] = Lead{ID: l.ID, Fields: maps.Clone(l.Fields)}
	}
	return out
}

// Calls returns the calls whose path contains part ("" for all).
func (s *Server) Calls(part string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if strings.Contains(c.Path, part) {
			out = append(out, c)
		}
	}
	return out
}

// serve acts on a call, then calls the AfterCall hook, then answers: a
// hook that blocks holds back an answer whose work is done (a Lead
// created, its id not yet told).
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	c := s.handle(rec, r)
	s.mu.Lock()
	after := s.afterCall
	s.mu.Unlock()
	if after != nil {
		after(c)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// AfterCall sets a function called with each call once the fake has
// acted on it and before it answers (nil: none).
func (s *Server) AfterCall(f func(Call)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterCall = f
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) Call {
	body, _ := io.ReadAll(r.Body)
	c := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handleLocked(w, r, &c, body)
	return c
}

func (s *Server) handleLocked(w http.ResponseWriter, r *http.Request, c *Call, body []byte) {
	if r.URL.Path == "/services/oauth2/token" {
		c.Form, _ = url.ParseQuery(string(body))
		s.calls = append(s.calls, *c)
		if r.Method != http.MethodPost {
			write(w, Reply{Status: 405, Body: `{"error":"invalid_request","error_description":"must use HTTP POST"}`})
			return
		}
		if len(s.failToken) > 0 {
			rep := s.failToken[0]
			s.failToken = s.failToken[1:]
			write(w, rep)
			return
		}
		write(w, s.token(c.Form))
		return
	}
	c.Token, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.calls = append(s.calls, *c)
	if len(s.failAPI) > 0 {
		rep := s.failAPI[0]
		s.failAPI = s.failAPI[1:]
		write(w, rep)
		return
	}
	if !s.tokens[c.Token] {
		write(w, ErrorInvalidSession)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/services/data/")
	version, resource, _ := strings.Cut(rest, "/")
	if !ok || !strings.HasPrefix(version, "v") {
		write(w, Reply{Status: 404, Body: `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`})
		return
	}
	switch {
	case resource == "query" && r.Method == http.MethodGet:
		s.query(w, c.Query.Get("q"))
	case resource == "sobjects/Lead" && r.Method == http.MethodPost:
		s.create(w, body)
	case strings.HasPrefix(resource, "sobjects/Lead/") && r.Method == http.MethodPatch:
		s.update(w, strings.TrimPrefix(resource, "sobjects/Lead/"), body)
	default:
		write(w, Reply{Status: 404, Body: `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`})
	}
}

func (s *Server) token(form url.Values) Reply {
	if form.Get("client_id") != s.ClientID {
		return Reply{Status: 400, Body: `{"error":"invalid_client_id","error_description":"client identifier invalid"}`}
	}
	if form.Get("client_secret") != s.ClientSecret {
		return Reply{Status: 400, Body: `{"error":"invalid_client","error_description":"invalid client credentials"}`}
	}
	switch form.Get("grant_type") {
	case "refresh_token":
		if s.refreshBad || form.Get("refresh_token") != s.RefreshToken {
			return ErrorInvalidGrant
		}
	case "client_credentials":
		if !s.ClientCredentials {
			return Reply{Status: 400, Body: `{"error":"invalid_grant","error_description":"no client credentials user enabled"}`}
		}
	default:
		return Reply{Status: 400, Body: `{"error":"unsupported_grant_type","error_description":"grant type not supported"}`}
	}
	access := fmt.Sprintf("00D5g000004XyZ1!AQ4AQ.fake%d", len(s.tokens)+1)
	s.tokens[access] = true
	issued := strconv.FormatInt(time.Now().UnixMilli(), 10)
	out, _ := json.Marshal(map[string]string{
		"access_token": access, "signature": "Y2hlY2tlZCBieSBub2JvZHk=", "scope": "api refresh_token",
		"instance_url": s.URL, "id": s.URL + "/id/00D5g000004XyZ1EAK/0055g00000AbCdEAAV",
		"token_type": "Bearer", "issued_at": issued,
	})
	return Reply{Status: 200, Body: string(out)}
}

// The one query shape the fake understands.
const (
	queryHead = "SELECT Id FROM Lead WHERE Email = "
	queryTail = " AND IsConverted = false ORDER BY LastModifiedDate DESC LIMIT 1"
)

func (s *Server) query(w http.ResponseWriter, q string) {
	rest, ok := strings.CutPrefix(q, queryHead)
	if !ok {
		write(w, malformed("unexpected query: "+q))
		return
	}
	email, rest, err := ParseLiteral(rest)
	if err != nil || rest != queryTail {
		write(w, malformed(fmt.Sprintf("unexpected token after the string literal (%v): %q", err, rest)))
		return
	}
	type rec struct {
		Attributes map[string]string `json:"attributes"`
		ID         string            `json:"Id"`
	}
	records := []rec{}
	for i := len(s.leads) - 1; i >= 0 && len(records) == 0; i-- {
		l := s.leads[i]
		if e, _ := l.Fields["Email"].(string); strings.EqualFold(e, email) && l.Fields["IsConverted"] != true {
			records = append(records, rec{Attributes: map[string]string{"type": "Lead", "url": "/services/data/v60.0/sobjects/Lead/" + l.ID}, ID: l.ID})
		}
	}
	out, _ := json.Marshal(map[string]any{"totalSize": len(records), "done": true, "records": records})
	write(w, Reply{Status: 200, Body: string(out)})
}

func malformed(msg string) Reply {
	b, _ := json.Marshal([]map[string]string{{"message": msg, "errorCode": "MALFORMED_QUERY"}})
	return Reply{Status: 400, Body: string(b)}
}

// ParseLiteral reads a SOQL string literal at the start of s and returns
// its value and what follows it.
func ParseLiteral(s string) (value, rest string, err error) {
	if !strings.HasPrefix(s, "'") {
		return "", s, fmt.Errorf("no string literal")
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 == len(s) {
				return "", "", fmt.Errorf("unterminated escape")
			}
			i++
			esc, ok := map[byte]string{'\\': `\`, '\'': `'`, '"': `"`, 'n': "\n", 'r': "\r", 't': "\t", 'b': "\b", 'f': "\f"}[s[i]]
			if !ok {
				return "", "", fmt.Errorf(`invalid escape sequence \%c`, s[i])
			}
			b.WriteString(esc)
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated string literal")
}

func (s *Server) create(w http.ResponseWriter, body []byte) {
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		write(w, Reply{Status: 400, Body: `[{"message":"Json Deserialization failed on token 'null' and has left off in the middle of parsing a row.","errorCode":"JSON_PARSER_ERROR"}]`})
		return
	}
	var missing []string
	for _, f := range []string{"LastName", "Company"} {
		if v, _ := fields[f].(string); v == "" {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		b, _ := json.Marshal([]map[string]any{{"message": "Required fields are missing: [" + strings.Join(missing, ", ") + "]",
			"errorCode": "REQUIRED_FIELD_MISSING", "fields": missing}})
		write(w, Reply{Status: 400, Body: string(b)})
		return
	}
	l := s.addLead(fields)
	out, _ := json.Marshal(map[string]any{"id": l.ID, "success": true, "errors": []any{}})
	write(w, Reply{Status: 201, Body: string(out)})
}

func (s *Server) update(w http.ResponseWriter, id string, body []byte) {
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		write(w, Reply{Status: 400, Body: `[{"message":"Json Deserialization failed","errorCode":"JSON_PARSER_ERROR"}]`})
		return
	}
	for _, l := range s.leads {
		if l.ID == id {
			maps.Copy(l.Fields, fields)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	write(w, Reply{Status: 404, Body: `[{"errorCode":"NOT_FOUND","message":"Provided external ID field does not exist or is not accessible: ` + id + `"}]`})
}

func write(w http.ResponseWriter, rep Reply) {
	for k, v := range rep.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(rep.Status)
	_, _ = io.WriteString(w, rep.Body)
}
