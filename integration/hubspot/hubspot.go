// Package hubspot pushes contacts from conversations to HubSpot.
//
// Switchboard calls the CRM API with a private app's access token
// (Authorization: Bearer pat-…). The action upsert_contact creates or
// updates the contact of an email in one call, POST
// /crm/v3/objects/contacts/batch/upsert with idProperty "email", so a
// repeated run updates the same contact rather than making another.
//
// HubSpot's errors ({"status":"error","message","category",…}) are the
// run's error and log. A 429 is retried after its Retry-After, else after
// the rest of HubSpot's rate-limit window
// (X-HubSpot-RateLimit-Interval-Milliseconds when
// X-HubSpot-RateLimit-Remaining is 0; an hour when the daily limit is
// spent); 5xx are retried; 401 and 403 refuse the credentials.
package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/internal/remote"
)

// DefaultBaseURL is HubSpot's API; api_base_url overrides it.
const DefaultBaseURL = "https://api.hubapi.com"

// Action names.
const ActionUpsertContact = "upsert_contact"

// HubSpot's rate-limit headers.
const (
	HeaderIntervalMS     = "X-HubSpot-RateLimit-Interval-Milliseconds"
	HeaderMax            = "X-HubSpot-RateLimit-Max"
	HeaderRemaining      = "X-HubSpot-RateLimit-Remaining"
	HeaderDaily          = "X-HubSpot-RateLimit-Daily"
	HeaderDailyRemaining = "X-HubSpot-RateLimit-Daily-Remaining"
)

// dailyWait is how long a run waits when the daily limit is spent: the
// limit resets at midnight in the account's time zone, which Switchboard
// does not know, so it tries again every hour.
const dailyWait = time.Hour

// Provider is the hubspot integration type. It is stateless and safe for
// concurrent use.
type Provider struct{}

var _ sb.IntegrationProvider = (*Provider)(nil)

// New returns the hubspot provider.
func New() *Provider { return &Provider{} }

// Spec describes the hubspot type.
func (*Provider) Spec() *sb.IntegrationSpec { return spec }

var spec = &sb.IntegrationSpec{
	Type:        sb.IntegrationHubSpot,
	Description: "A HubSpot account: conversations create or update contacts by email.",
	Fields: []sb.IntegrationField{
		{Name: "access_token", Secret: true, Required: true, Description: "A private app's access token (pat-…) with the crm.objects.contacts.write scope."},
	},
	Actions: []sb.ActionSpec{{
		Name:        ActionUpsertContact,
		Description: "Creates or updates the HubSpot contact of the email (the contact's unless params say), with the contact's name and phone and the properties given.",
		Params: json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{` +
			`"email":{"type":"string","description":"The contact's email; default: the Switchboard contact's."},` +
			`"first_name":{"type":"string"},"last_name":{"type":"string","description":"Default: from the contact's name."},` +
			`"phone":{"type":"string","description":"Default: the contact's."},"company":{"type":"string"},` +
			`"properties":{"type":"object","additionalProperties":{"type":"string"},"description":"More contact properties by internal name, such as {\"lifecyclestage\": \"lead\"}."}}}`),
	}},
}

// params are upsert_contact's params.
type params struct {
	Email      string            `json:"email"`
	FirstName  string            `json:"first_name"`
	LastName   string            `json:"last_name"`
	Phone      string            `json:"phone"`
	Company    string            `json:"company"`
	Properties map[string]string `json:"properties"`
}

type upsertInput struct {
	IDProperty string            `json:"idProperty"`
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

// Run runs upsert_contact.
func (*Provider) Run(ctx context.Context, call *sb.ActionCall) (*sb.ActionResult, error) {
	if call.Action != ActionUpsertContact {
		return nil, &sb.ActionError{Message: "hubspot: no action " + call.Action}
	}
	in, aerr := input(call)
	if aerr != nil {
		return nil, aerr
	}
	token := call.Integration.Setting("access_token")
	if token == "" {
		return nil, &sb.ActionError{CredentialsRefused: true, Message: "hubspot: the integration has no access_token"}
	}
	body, _ := json.Marshal(map[string][]upsertInput{"inputs": {*in}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, call.Integration.APIBaseURL(DefaultBaseURL)+"/crm/v3/objects/contacts/batch/upsert", bytes.NewReader(body))
	if err != nil {
		return nil, &sb.ActionError{Message: "hubspot: the api_base_url is not valid"}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, raw, aerr := remote.Do(call.Client, "hubspot: upsert contact", req)
	if aerr != nil {
		return nil, apiError(aerr, raw, call.Now)
	}
	return result(resp.StatusCode, raw)
}

// input builds the upsert's input from the params and the contact.
func input(call *sb.ActionCall) (*upsertInput, *sb.ActionError) {
	var p params
	if len(call.Params) > 0 && string(call.Params) != "null" {
		if err := json.Unmarshal(call.Params, &p); err != nil {
			return nil, &sb.ActionError{Message: "hubspot: upsert_contact: params: " + err.Error()}
		}
	}
	c := call.Contact
	if c == nil {
		c = &sb.Contact{}
	}
	email := strings.TrimSpace(p.Email)
	if email == "" {
		email = strings.TrimSpace(c.Email)
	}
	if email == "" {
		return nil, &sb.ActionError{Message: "hubspot: upsert_contact: no email: the contact has none and params.email is not set"}
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return nil, &sb.ActionError{Message: "hubspot: upsert_contact: " + email + " is not an email address"}
	}
	props := map[string]string{}
	for k, v := range p.Properties {
		props[k] = v
	}
	first, last := p.FirstName, p.LastName
	if first == "" && last == "" {
		first, last = splitName(c.Name)
	}
	phone := p.Phone
	if phone == "" {
		phone = c.Phone
	}
	for k, v := range map[string]string{"firstname": first, "lastname": last, "phone": phone, "company": p.Company} {
		if v = strings.TrimSpace(v); v != "" {
			props[k] = v
		}
	}
	delete(props, "email") // the id is the email
	return &upsertInput{IDProperty: "email", ID: email, Properties: props}, nil
}

// splitName splits "María José López" into "María José" and "López"; a
// single word is a first name.
func splitName(name string) (first, last string) {
	words := strings.Fields(name)
	switch len(words) {
	case 0:
		return "", ""
	case 1:
		return words[0], ""
	}
	return strings.Join(words[:len(words)-1], " "), words[len(words)-1]
}

// batchAnswer is the answer of a batch upsert: 200 when every input
// succeeded, 207 with errors when some did not.
type batchAnswer struct {
	Status  string `json:"status"`
	Results []struct {
		ID  string `json:"id"`
		New bool   `json:"new"`
	} `json:"results"`
	NumErrors int `json:"numErrors"`
	Errors    []struct {
		Message  string `json:"message"`
		Category string `json:"category"`
	} `json:"errors"`
}

// result reads the batch's one result; an input HubSpot refused (a 207
// with errors) is a permanent error carrying its message.
func result(status int, raw []byte) (*sb.ActionResult, error) {
	var ans batchAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, &sb.ActionError{StatusCode: status, Message: "hubspot: upsert contact: the answer is not the JSON expected", Response: sb.ResponseHead(raw)}
	}
	if len(ans.Results) == 0 {
		msg := "hubspot: upsert contact: no result"
		if len(ans.Errors) > 0 {
			msg = "hubspot: upsert contact: " + ans.Errors[0].Category + ": " + ans.Errors[0].Message
		}
		return nil, &sb.ActionError{StatusCode: status, Message: msg, Response: sb.ResponseHead(raw)}
	}
	out, _ := json.Marshal(map[string]any{"id": ans.Results[0].ID, "created": ans.Results[0].New})
	return &sb.ActionResult{Output: out, StatusCode: status, ResponseHead: sb.ResponseHead(raw)}, nil
}

// apiError names HubSpot's error ({"status":"error","message",
// "category"}) and, for a 429, sets the wait HubSpot asks for.
func apiError(e *sb.ActionError, raw []byte, now time.Time) *sb.ActionError {
	var ans struct {
		Message    string `json:"message"`
		Category   string `json:"category"`
		ErrorType  string `json:"errorType"`
		PolicyName string `json:"policyName"`
	}
	if json.Unmarshal(raw, &ans) == nil && ans.Message != "" {
		kind := ans.Category
		if kind == "" {
			kind = ans.ErrorType
		}
		name, _, _ := strings.Cut(e.Message, ": the system answered")
		e.Message = name + ": " + strings.TrimPrefix(kind+": ", ": ") + ans.Message
	}
	if e.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = rateLimitWait(e.Header, ans.PolicyName, now)
	}
	return e
}

// rateLimitWait is how long a 429 asks to wait: its Retry-After; else
// when the daily limit is spent, dailyWait; else when the rolling window
// is spent, its interval; else 0 (the retry schedule decides).
func rateLimitWait(h http.Header, policy string, now time.Time) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs > 0 {
			return time.Duration(secs) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil && t.After(now) {
			return t.Sub(now)
		}
	}
	if h.Get(HeaderDailyRemaining) == "0" || strings.EqualFold(policy, "DAILY") {
		return dailyWait
	}
	if h.Get(HeaderRemaining) == "0" {
		if ms, err := strconv.Atoi(h.Get(HeaderIntervalMS)); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	return 0
}
