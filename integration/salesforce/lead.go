package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/internal/remote"
)

// Defaults of a new Lead's required fields when nothing better is known.
const (
	// DefaultCompany is the Company of a Lead whose company is unknown
	// (Salesforce requires one), as web-to-lead forms write it.
	DefaultCompany = "[not provided]"
	// LeadSource marks the Leads Switchboard makes.
	LeadSource = "Chatbot"
	// maxDescription is the size of the Lead's Description field (a long
	// text area of 32,000 characters); a longer transcript keeps its end.
	maxDescription = 32000
)

// leadParams are upsert_lead's params.
type leadParams struct {
	Email       string         `json:"email"`
	FirstName   string         `json:"first_name"`
	LastName    string         `json:"last_name"`
	Company     string         `json:"company"`
	Phone       string         `json:"phone"`
	Description string         `json:"description"`
	Fields      map[string]any `json:"fields"`
}

// upsertLead finds the Lead of the email, then updates or creates it.
func (p *Provider) upsertLead(ctx context.Context, call *sb.ActionCall) (*sb.ActionResult, *sb.ActionError) {
	params, err := parseLeadParams(call)
	if err != nil {
		return nil, err
	}
	api := &session{p: p, call: call}
	soql, qerr := leadByEmail(params.Email)
	if qerr != nil {
		return nil, &sb.ActionError{Message: "salesforce: upsert_lead: the email " + qerr.Error()}
	}
	var found struct {
		Records []struct {
			ID string `json:"Id"`
		} `json:"records"`
	}
	if _, err := api.do(ctx, "find Lead", http.MethodGet, "/query?"+url.Values{"q": {soql}}.Encode(), nil, &found); err != nil {
		return nil, err
	}
	if len(found.Records) > 0 {
		id := found.Records[0].ID
		body, _ := json.Marshal(leadFields(call, params, false))
		resp, err := api.do(ctx, "update Lead", http.MethodPatch, "/sobjects/Lead/"+url.PathEscape(id), body, nil)
		if err != nil {
			return nil, err
		}
		return result(resp, id, false), nil
	}
	body, _ := json.Marshal(leadFields(call, params, true))
	var created struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
	}
	resp, err := api.do(ctx, "create Lead", http.MethodPost, "/sobjects/Lead", body, &created)
	if err != nil {
		return nil, err
	}
	if created.ID == "" {
		return nil, &sb.ActionError{StatusCode: resp.status, Message: "salesforce: create Lead: the answer has no id", Response: resp.head}
	}
	return result(resp, created.ID, true), nil
}

func result(resp *answer, id string, created bool) *sb.ActionResult {
	out, _ := json.Marshal(map[string]any{"id": id, "created": created})
	return &sb.ActionResult{Output: out, StatusCode: resp.status, ResponseHead: resp.head}
}

// parseLeadParams reads the params and fills the email from the contact.
func parseLeadParams(call *sb.ActionCall) (*leadParams, *sb.ActionError) {
	var params leadParams
	if len(call.Params) > 0 && string(call.Params) != "null" {
		if err := json.Unmarshal(call.Params, &params); err != nil {
			return nil, &sb.ActionError{Message: "salesforce: upsert_lead: params: " + err.Error()}
		}
	}
	if params.Email == "" && call.Contact != nil {
		params.Email = call.Contact.Email
	}
	params.Email = strings.TrimSpace(params.Email)
	if params.Email == "" {
		return nil, &sb.ActionError{Message: "salesforce: upsert_lead: no email: the contact has none and params.email is not set"}
	}
	if a, err := mail.ParseAddress(params.Email); err != nil || a.Address != params.Email {
		return nil, &sb.ActionError{Message: "salesforce: upsert_lead: the email " + params.Email + " is not an email address"}
	}
	return &params, nil
}

// leadFields are the Lead's fields: what params say, else what the
// contact and the conversation say. On create the required LastName and
// Company get defaults; an update sends only what is known, so it never
// overwrites a real company with the default.
func leadFields(call *sb.ActionCall, params *leadParams, create bool) map[string]any {
	f := map[string]any{}
	for k, v := range params.Fields {
		f[k] = v
	}
	f["Email"] = params.Email
	f["LeadSource"] = LeadSource
	first, last := params.FirstName, params.LastName
	if first == "" && last == "" && call.Contact != nil {
		first, last = splitName(call.Contact.Name)
	}
	if last == "" && create {
		last, _, _ = strings.Cut(params.Email, "@")
	}
	setIf(f, "FirstName", first)
	setIf(f, "LastName", last)
	company := params.Company
	if company == "" && create {
		company = DefaultCompany
	}
	setIf(f, "Company", company)
	phone := params.Phone
	if phone == "" && call.Contact != nil {
		phone = call.Contact.Phone
	}
	setIf(f, "Phone", phone)
	desc := params.Description
	if desc == "" {
		desc = call.Transcript
	}
	setIf(f, "Description", tail(desc, maxDescription))
	return f
}

func setIf(f map[string]any, k, v string) {
	if v = strings.TrimSpace(v); v != "" {
		f[k] = v
	}
}

// splitName splits "María José López" into "María José" and "López".
func splitName(name string) (first, last string) {
	words := strings.Fields(name)
	switch len(words) {
	case 0:
		return "", ""
	case 1:
		return "", words[0]
	}
	return strings.Join(words[:len(words)-1], " "), words[len(words)-1]
}

// tail keeps the last n characters of s (the end of a long transcript
// is the most recent).
func tail(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[len(r)-n:])
}

// session makes the REST API calls of one run with the integration's
// access token, fetching a new token once if the API refuses the one it
// has (401).
type session struct {
	p    *Provider
	call *sb.ActionCall
	tok  *token
}

// answer is a 2xx answer of the API.
type answer struct {
	status int
	head   string
}

// do calls {instance}/services/data/{version}{path} and decodes a JSON
// answer into out (nil: ignored).
func (s *session) do(ctx context.Context, what, method, path string, body []byte, out any) (*answer, *sb.ActionError) {
	stale := ""
	for try := 0; ; try++ {
		if s.tok == nil || stale != "" {
			tok, err := s.p.getToken(ctx, s.call, stale)
			if err != nil {
				return nil, err
			}
			s.tok = tok
		}
		resp, raw, err := s.send(ctx, what, method, path, body)
		if err != nil && err.StatusCode == http.StatusUnauthorized && try == 0 {
			stale = s.tok.Access
			continue
		}
		if err != nil {
			return nil, apiError(err, raw)
		}
		if out != nil && len(raw) > 0 {
			if json.Unmarshal(raw, out) != nil {
				return nil, &sb.ActionError{StatusCode: resp.StatusCode, Message: "salesforce: " + what + ": the answer is not the JSON expected", Response: sb.ResponseHead(raw)}
			}
		}
		return &answer{status: resp.StatusCode, head: sb.ResponseHead(raw)}, nil
	}
}

func (s *session) send(ctx context.Context, what, method, path string, body []byte) (*http.Response, []byte, *sb.ActionError) {
	in := s.call.Integration
	version := in.Setting("api_version")
	if version == "" {
		version = DefaultAPIVersion
	}
	base := in.APIBaseURL(s.tok.Data)
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+"/services/data/"+version+path, rd)
	if err != nil {
		return nil, nil, &sb.ActionError{Message: "salesforce: " + what + ": the instance URL is not valid"}
	}
	req.Header.Set("Authorization", "Bearer "+s.tok.Access)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return remote.Do(s.call.Client, "salesforce: "+what, req)
}

// apiError names Salesforce's error ([{"message", "errorCode",
// "fields"}]) in the run's error. A 401 after a fresh token refuses the
// credentials; 403 REQUEST_LIMIT_EXCEEDED (the org's daily API quota) is
// retryable rather than a refusal.
func apiError(e *sb.ActionError, body []byte) *sb.ActionError {
	var errs []struct {
		Message   string   `json:"message"`
		ErrorCode string   `json:"errorCode"`
		Fields    []string `json:"fields"`
	}
	if json.Unmarshal(body, &errs) == nil && len(errs) > 0 {
		name, _, _ := strings.Cut(e.Message, ": the system answered")
		parts := make([]string, len(errs))
		for i, x := range errs {
			parts[i] = x.ErrorCode + ": " + x.Message
		}
		e.Message = name + ": " + strings.Join(parts, "; ")
		if errs[0].ErrorCode == "REQUEST_LIMIT_EXCEEDED" {
			e.Retryable, e.CredentialsRefused = true, false
		}
	}
	if e.StatusCode == http.StatusUnauthorized {
		e.Message += " (credentials refused with a fresh token)"
	}
	return e
}
