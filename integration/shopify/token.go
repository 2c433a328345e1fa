package shopify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/internal/remote"
	"github.com/switchboardhq/switchboard/integration/internal/tokencache"
)

// tokenMargin is how long before its end a granted token is replaced.
const tokenMargin = time.Minute

// source returns how an Admin API call of the integration gets its token:
// the static access_token, else a token granted for client_id and the
// client secret (the webhook_secret), kept until it expires (judged at
// now; the zero time keeps it until the API refuses it) and fetched again
// when the API refused the one given (stale).
func (p *Provider) source(in *sb.Integration, client *http.Client, base string, now time.Time) func(ctx context.Context, stale string) (string, *sb.ActionError) {
	if t := in.Setting("access_token"); t != "" {
		return func(context.Context, string) (string, *sb.ActionError) { return t, nil }
	}
	clientID, secret := in.Setting("client_id"), in.Setting("webhook_secret")
	if clientID == "" {
		return func(context.Context, string) (string, *sb.ActionError) {
			return "", &sb.ActionError{Message: "shopify: the integration has no access_token nor client_id to call the Admin API"}
		}
	}
	key := tokencache.Key(in.ID, base, clientID, secret)
	return func(ctx context.Context, stale string) (string, *sb.ActionError) {
		t, err := p.tokens.Get(ctx, key, now, stale, func(ctx context.Context) (*tokencache.Token[struct{}], *sb.ActionError) {
			return grant(ctx, client, base, clientID, secret, now)
		})
		if err != nil {
			return "", err
		}
		return t.Access, nil
	}
}

// grant asks the shop for an Admin API token with the client-credentials
// grant (POST /admin/oauth/access_token). A refusal of the credentials
// (400 with an OAuth error, 401, 403) refuses them.
func grant(ctx context.Context, client *http.Client, base, clientID, secret string, now time.Time) (*tokencache.Token[struct{}], *sb.ActionError) {
	const name = "shopify: access token"
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/admin/oauth/access_token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &sb.ActionError{Message: name + ": the shop's URL is not valid"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	_, body, aerr := remote.Do(client, name, req)
	if aerr != nil {
		var oauth struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &oauth) == nil && oauth.Error != "" {
			aerr.Message = name + ": " + oauth.Error
			if oauth.Description != "" {
				aerr.Message += ": " + oauth.Description
			}
			if aerr.StatusCode == http.StatusBadRequest {
				aerr.CredentialsRefused = true
			}
		} else if aerr.StatusCode != 0 {
			aerr.Message = name + ": " + errorText(body)
		}
		return nil, aerr
	}
	var ans struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || ans.AccessToken == "" {
		return nil, &sb.ActionError{Message: name + ": the answer has no access_token", Response: sb.ResponseHead(body)}
	}
	t := &tokencache.Token[struct{}]{Access: ans.AccessToken}
	if ans.ExpiresIn > 0 && !now.IsZero() {
		t.Expires = now.Add(time.Duration(ans.ExpiresIn)*time.Second - tokenMargin)
	}
	return t, nil
}
