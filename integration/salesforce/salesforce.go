// Package salesforce pushes leads from conversations to Salesforce.
//
// Switchboard signs in as a connected app (an external client app) with
// OAuth 2.0: the refresh-token grant when refresh_token is set, else the
// client-credentials grant, at {login_url}/services/oauth2/token. The
// access token and the instance_url of its answer are kept per
// integration until the token expires (Salesforce says nothing of its
// lifetime: DefaultTokenLifetime from issued_at), and a 401 from the API
// (INVALID_SESSION_ID) fetches a new one once and tries again. A token
// endpoint that refuses the credentials (invalid_grant, invalid_client,
// 401), or a 401 with a fresh token, refuses the credentials: the run
// fails and the integration is marked error.
//
// The action upsert_lead finds the open Lead of the email with a SOQL
// query (the email quoted by Quote, never concatenated raw), then
// updates it (PATCH /sobjects/Lead/{id}) or creates it (POST
// /sobjects/Lead) with LeadSource "Chatbot" and the conversation's
// transcript as Description. Salesforce's errors
// ([{"message","errorCode"}]) are the run's error and log; 5xx and 429
// (and 403 REQUEST_LIMIT_EXCEEDED, the org's API quota) are retried.
package salesforce

import (
	"context"
	"encoding/json"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/internal/tokencache"
)

// Defaults of the settings.
const (
	DefaultLoginURL   = "https://login.salesforce.com"
	DefaultAPIVersion = "v60.0"
)

// Action names.
const ActionUpsertLead = "upsert_lead"

// Provider is the salesforce integration type. It keeps the access tokens
// of the integrations it ran; it is safe for concurrent use.
type Provider struct {
	tokens tokencache.Cache[string] // the instance URL with each token
}

var _ sb.IntegrationProvider = (*Provider)(nil)

// New returns the salesforce provider.
func New() *Provider { return &Provider{} }

// Spec describes the salesforce type.
func (*Provider) Spec() *sb.IntegrationSpec { return spec }

var spec = &sb.IntegrationSpec{
	Type:        sb.IntegrationSalesforce,
	Description: "A Salesforce org: conversations become Leads (found by email, then updated or created).",
	Fields: []sb.IntegrationField{
		{Name: "login_url", URL: true, Description: "Where tokens come from: https://login.salesforce.com (the default), https://test.salesforce.com for a sandbox, or the org's My Domain URL (required by the client-credentials grant)."},
		{Name: "client_id", Required: true, Description: "The connected app's consumer key."},
		{Name: "client_secret", Secret: true, Required: true, Description: "The connected app's consumer secret."},
		{Name: "refresh_token", Secret: true, Description: "A refresh token of the user Switchboard acts as; without it the client-credentials grant is used (its run-as user)."},
		{Name: "api_version", Description: "The REST API version, such as v60.0 (the default)."},
	},
	Actions: []sb.ActionSpec{{
		Name:        ActionUpsertLead,
		Description: "Finds the open Lead with the email (the contact's unless params say) and updates it, or creates one, with LeadSource Chatbot and the conversation's transcript as Description.",
		Params: json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{` +
			`"email":{"type":"string","description":"The Lead's email; default: the contact's."},` +
			`"first_name":{"type":"string"},"last_name":{"type":"string","description":"Default: the last word of the contact's name, else the email's local part."},` +
			`"company":{"type":"string","description":"Default on create: [not provided] (Salesforce requires a company)."},` +
			`"phone":{"type":"string","description":"Default: the contact's."},` +
			`"description":{"type":"string","description":"Default: the conversation's transcript."},` +
			`"fields":{"type":"object","additionalProperties":true,"description":"More Lead fields by API name, such as {\"Industry\": \"Retail\"}."}}}`),
	}},
	Check: checkConfig,
}

// checkConfig refuses an api_version that is not vNN.N.
func checkConfig(config map[string]any, _ map[string]string) error {
	v, _ := config["api_version"].(string)
	if v == "" {
		return nil
	}
	if len(v) < 4 || v[0] != 'v' || !validVersion(v[1:]) {
		return sb.Invalid("config.api_version", "must be a version such as v60.0")
	}
	return nil
}

func validVersion(s string) bool {
	dot := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return dot
}

// Run runs upsert_lead.
func (p *Provider) Run(ctx context.Context, call *sb.ActionCall) (*sb.ActionResult, error) {
	if call.Action != ActionUpsertLead {
		return nil, &sb.ActionError{Message: "salesforce: no action " + call.Action}
	}
	res, err := p.upsertLead(ctx, call)
	if err != nil {
		return nil, err
	}
	return res, nil
}
