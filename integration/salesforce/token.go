package salesforce

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/internal/remote"
	"github.com/switchboardhq/switchboard/integration/internal/tokencache"
)

// DefaultTokenLifetime is how long an access token is used when the token
// endpoint does not say (Salesforce's usually does not: its answer has
// issued_at but no expires_in, and the lifetime is the org's session
// timeout, 2 hours by default, 15 minutes at the least). A token is kept
// for the shortest timeout an org can set, counted from issued_at, so it
// is never used past its end; a 401 refreshes it earlier anyway.
const DefaultTokenLifetime = 15 * time.Minute

// token is an access token and the instance URL of the org's API.
type token = tokencache.Token[string]

// getToken returns the integration's cached token if it is still valid at
// the call's time, else a new one. stale, if not empty, is a token the API
// refused (401): it is replaced rather than returned, unless another run
// already replaced it.
func (p *Provider) getToken(ctx context.Context, call *sb.ActionCall, stale string) (*token, *sb.ActionError) {
	in := call.Integration
	key := tokencache.Key(in.ID, loginURL(in), in.Setting("client_id"), in.Setting("client_secret"), in.Setting("refresh_token"))
	return p.tokens.Get(ctx, key, call.Now, stale, func(ctx context.Context) (*token, *sb.ActionError) {
		return requestToken(ctx, call.Client, in, call.Now)
	})
}

// loginURL is where tokens come from: login_url, else api_base_url (a
// test or a proxy serving both), else login.salesforce.com.
func loginURL(in *sb.Integration) string {
	if s := strings.TrimSuffix(in.Setting("login_url"), "/"); s != "" {
		return s
	}
	return in.APIBaseURL(DefaultLoginURL)
}

// tokenAnswer is the token endpoint's answer.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	InstanceURL string `json:"instance_url"`
	IssuedAt    string `json:"issued_at"` // milliseconds since the epoch, as a string
	ExpiresIn   int64  `json:"expires_in"`
	TokenType   string `json:"token_type"`
}

// requestToken asks the token endpoint for an access token with the
// refresh-token grant, or the client-credentials grant when there is no
// refresh token. Its refusals (invalid_grant, invalid_client, 401) refuse
// the credentials; 5xx and 429 are retryable.
func requestToken(ctx context.Context, client *http.Client, in *sb.Integration, now time.Time) (*token, *sb.ActionError) {
	const name = "salesforce: token"
	form := url.Values{"client_id": {in.Setting("client_id")}, "client_secret": {in.Setting("client_secret")}}
	if rt := in.Setting("refresh_token"); rt != "" {
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", rt)
	} else {
		form.Set("grant_type", "client_credentials")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, loginURL(in)+"/services/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &sb.ActionError{Message: name + ": the login_url is not valid"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	_, body, aerr := remote.Do(client, name, req)
	if aerr != nil {
		return nil, tokenError(aerr, body)
	}
	var ans tokenAnswer
	if err := json.Unmarshal(body, &ans); err != nil || ans.AccessToken == "" {
		return nil, &sb.ActionError{Message: name + ": the answer has no access_token", Response: sb.ResponseHead(body)}
	}
	issued := now
	if ms, err := strconv.ParseInt(ans.IssuedAt, 10, 64); err == nil && ms > 0 {
		issued = time.UnixMilli(ms)
	}
	lifetime := DefaultTokenLifetime
	if ans.ExpiresIn > 0 {
		lifetime = time.Duration(ans.ExpiresIn) * time.Second
	}
	if issued.After(now) || !issued.Add(lifetime).After(now) {
		issued = now // the clocks disagree: count from now
	}
	return &token{Access: ans.AccessToken, Data: strings.TrimSuffix(ans.InstanceURL, "/"), Expires: issued.Add(lifetime)}, nil
}

// tokenError names the token endpoint's refusal ({"error",
// "error_description"}). The OAuth errors that mean the credentials are
// wrong or revoked (invalid_grant, invalid_client_id, invalid_client,
// unauthorized_client) refuse them like a 401 does.
func tokenError(e *sb.ActionError, body []byte) *sb.ActionError {
	var ans struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &ans) == nil && ans.Error != "" {
		e.Message = "salesforce: token: " + ans.Error
		if ans.Description != "" {
			e.Message += ": " + ans.Description
		}
		switch ans.Error {
		case "invalid_grant", "invalid_client_id", "invalid_client", "unauthorized_client", "inactive_user", "inactive_org":
			e.CredentialsRefused = true
			e.Retryable = false
		}
	}
	if e.CredentialsRefused {
		e.Message += " (credentials refused)"
	}
	return e
}
