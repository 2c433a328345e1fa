package shopify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/internal/remote"
)

// tokenMargin is how long before its end a granted token is replaced.
const tokenMargin = time.Minute

// grantedToken is an Admin API token of the client-credentials grant.
type grantedToken struct {
	access  string
	expires time.Time
}

// tokens keeps the granted tokens of the integrations that use the
// client-credentials grant (an app of the Dev Dashboard: client_id and its
// client secret, the webhook_secret), one per integration and
// credentials. A run of one integration that finds none waits for the one
// request that gets it.
type tokens struct {
	mu      sync.Mutex
	entries map[string]*tokenEntry
}

type tokenEntry struct {
	mu  sync.Mutex
	tok *grantedToken
}

func (c *tokens) entry(key string) *tokenEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*tokenEntry{}
	}
	e := c.entries[key]
	if e == nil {
		e = &tokenEntry{}
		c.entries[key] = e
	}
	return e
}

// source returns how an Admin API call of the integration gets its token:
// the static access_token, else a token granted for client_id and the
// client secret, kept until it expires (judged at now; the zero time
// keeps it until the API refuses it) and fetched again when the API
// refused the one given (stale).
func (c *tokens) source(in *sb.Integration, client *http.Client, base string, now time.Time) func(ctx context.Context, stale string) (string, *sb.ActionError) {
	if t := in.Setting("access_token"); t != "" {
		return func(context.Context, string) (string, *sb.ActionError) { return t, nil }
	}
	clientID, secret := in.Setting("client_id"), in.Setting("webhook_secret")
	if clientID == "" {
		return func(context.Context, string) (string, *sb.ActionError) {
			return "", &sb.ActionError{Message: "shopify: the integration has no access_token nor client_id to call the Admin API"}
		}
	}
	h := sha256.Sum256([]byte(base + "\x00" + clientID + "\x00" + secret))
	e := c.entry(in.ID + ":" + hex.EncodeToString(h[:]))
	return func(ctx context.Context, stale string) (string, *sb.ActionError) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if t := e.tok; t != nil && t.access != stale && (now.IsZero() || now.Before(t.expires)) {
			return t.access, nil
		}
		e.tok = nil
		t, err := grant(ctx, client, base, clientID, secret, now)
		if err != nil {
			return "", err
		}
		e.tok = t
		return t.access, nil
	}
}

// grant asks the shop for an Admin API token with the client-credentials
// grant (POST /admin/oauth/access_token). A refusal of the credentials
// (400 with an OAuth error, 401, 403) refuses them.
func grant(ctx context.Context, client *http.Client, base, clientID, secret string, now time.Time) (*grantedToken, *sb.ActionError) {
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
	t := &grantedToken{access: ans.AccessToken}
	if ans.ExpiresIn > 0 && !now.IsZero() {
		t.expires = now.Add(time.Duration(ans.ExpiresIn)*time.Second - tokenMargin)
	} else if !now.IsZero() {
		t.expires = now.Add(time.Hour) // no lifetime said: an hour, then ask again
	}
	return t, nil
}
