package api

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

// TestIdentitySchemas checks the schemas of users and OAuth clients
// against what the root package and app marshal, their enums against the
// root package, and their id patterns against the prefixes.
func TestIdentitySchemas(t *testing.T) {
	doc := loadDocument(t)
	now := time.Date(2026, 1, 15, 10, 30, 0, 123e6, time.UTC)
	u := &switchboard.User{ID: switchboard.NewID(switchboard.PrefixUser), Email: "ana@example.com", Role: switchboard.RoleAgent,
		CreatedAt: now, UpdatedAt: now, PasswordHash: "$argon2id$…"}
	validate(t, doc, "User", u)
	u.LastLoginAt, u.Name = &now, "Ana"
	validate(t, doc, "User", u)
	c := &switchboard.OAuthClient{ID: switchboard.NewID(switchboard.PrefixOAuthClient), Name: "App", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{switchboard.GrantAuthorizationCode}, Scopes: []string{switchboard.ScopeReadBots}, Confidential: true, CreatedAt: now, UpdatedAt: now}
	validate(t, doc, "OAuthClient", c)
	validate(t, doc, "OAuthClientWithSecret", &app.OAuthClientWithSecret{OAuthClient: c, ClientSecret: "sbcs_x"})

	enum := func(name string) []string {
		var out []string
		for _, v := range doc.Components.Schemas[name].Value.Enum {
			out = append(out, v.(string))
		}
		return out
	}
	if got := enum("Role"); !slices.Equal(got, []string{switchboard.RoleAdmin, switchboard.RoleAgent}) {
		t.Errorf("Role enum = %v", got)
	}
	if got := enum("GrantType"); !slices.Equal(got, []string{switchboard.GrantAuthorizationCode, switchboard.GrantClientCredentials, switchboard.GrantRefreshToken}) {
		t.Errorf("GrantType enum = %v", got)
	}
	for name, prefix := range map[string]string{"UserID": switchboard.PrefixUser, "OAuthClientID": switchboard.PrefixOAuthClient} {
		s := doc.Components.Schemas[name].Value
		re := regexp.MustCompile(s.Pattern)
		if !re.MatchString(switchboard.NewID(prefix)) || re.MatchString(switchboard.NewID("x")) || !strings.Contains(s.Description, "`"+prefix+"_`") {
			t.Errorf("%s: pattern %s or description wrong", name, s.Pattern)
		}
	}
	flows := doc.Components.SecuritySchemes["oauth2"].Value.Flows
	for _, f := range []map[string]string{flows.AuthorizationCode.Scopes, flows.ClientCredentials.Scopes} {
		for _, sc := range switchboard.AllScopes {
			if f[sc] == "" {
				t.Errorf("the oauth2 scheme does not list the scope %s", sc)
			}
		}
	}
}
