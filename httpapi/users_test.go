package httpapi_test

import (
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestUsersAndOAuthClients runs the users and OAuth clients resources on
// both databases: secrets never listed, conflicts, patches, workspace
// isolation and deletion.
func TestUsersAndOAuthClients(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		u := e.must(201, "POST", "/api/v1/users", e.admin, map[string]any{"email": "Ana@Example.com", "name": "Ana", "role": "agent", "password": "correct horse battery"}).obj(t)
		if u["email"] != "ana@example.com" || u["last_login_at"] != nil || u["password"] != nil || u["password_hash"] != nil {
			t.Fatalf("created user: %v", u)
		}
		id := u["id"].(string)
		e.call("POST", "/api/v1/users", e.admin, map[string]any{"email": "ana@example.com", "role": "admin", "password": "correct horse battery"}).problem(t, 409, sb.EConflict, "")
		e.call("POST", "/api/v1/users", e.admin, map[string]any{"email": "b@example.com", "role": "owner", "password": "correct horse battery"}).problem(t, 400, sb.EInvalid, "role")
		e.call("POST", "/api/v1/users", e.admin, map[string]any{"email": "not an email", "role": "agent", "password": "correct horse battery"}).problem(t, 400, sb.EInvalid, "email")
		got := e.must(200, "PATCH", "/api/v1/users/"+id, e.admin, map[string]any{"role": "admin"}).obj(t)
		if got["role"] != "admin" || got["name"] != "Ana" {
			t.Fatalf("patched user: %v", got)
		}
		if list := e.must(200, "GET", "/api/v1/users", e.admin, nil).data(t); len(list) != 1 || list[0]["id"] != id {
			t.Fatalf("users: %v", list)
		}
		e.call("GET", "/api/v1/users/"+id, e.other, nil).problem(t, 404, sb.ENotFound, "")
		e.must(204, "DELETE", "/api/v1/users/"+id, e.admin, nil)
		e.call("GET", "/api/v1/users/"+id, e.admin, nil).problem(t, 404, sb.ENotFound, "")

		c := e.must(201, "POST", "/api/v1/oauth-clients", e.admin, map[string]any{"name": "App", "redirect_uris": []string{"https://app.example/cb"},
			"grant_types": []string{"authorization_code", "refresh_token"}, "scopes": []string{"read:bots"}}).obj(t)
		if !strings.HasPrefix(c["client_secret"].(string), "sbcs_") || c["confidential"] != true {
			t.Fatalf("created client: %v", c)
		}
		cid := c["id"].(string)
		if got := e.must(200, "GET", "/api/v1/oauth-clients/"+cid, e.admin, nil).obj(t); got["client_secret"] != nil {
			t.Fatalf("a read shows the secret: %v", got)
		}
		pub := e.must(201, "POST", "/api/v1/oauth-clients", e.admin, map[string]any{"name": "SPA", "redirect_uris": []string{"http://localhost:3000/cb"},
			"grant_types": []string{"authorization_code"}, "scopes": []string{"read:bots"}, "confidential": false}).obj(t)
		if _, has := pub["client_secret"]; has || pub["confidential"] != false {
			t.Fatalf("public client: %v", pub)
		}
		for field, body := range map[string]map[string]any{
			"redirect_uris":    {"name": "x", "grant_types": []string{"authorization_code"}, "scopes": []string{"read:bots"}},
			"redirect_uris[0]": {"name": "x", "redirect_uris": []string{"http://app.example/cb"}, "grant_types": []string{"authorization_code"}, "scopes": []string{"read:bots"}},
			"grant_types[0]":   {"name": "x", "grant_types": []string{"client_credentials"}, "scopes": []string{"read:bots"}, "confidential": false},
			"grant_types[1]":   {"name": "x", "grant_types": []string{"client_credentials", "password"}, "scopes": []string{"read:bots"}},
		} {
			e.call("POST", "/api/v1/oauth-clients", e.admin, body).problem(t, 400, sb.EInvalid, field)
		}
		if got := e.must(200, "PATCH", "/api/v1/oauth-clients/"+cid, e.admin, map[string]any{"scopes": []string{"admin"}}).obj(t); got["scopes"].([]any)[0] != "admin" {
			t.Fatalf("patched client: %v", got)
		}
		e.call("DELETE", "/api/v1/oauth-clients/"+cid, e.other, nil).problem(t, 404, sb.ENotFound, "")
		e.must(204, "DELETE", "/api/v1/oauth-clients/"+cid, e.admin, nil)
		e.call("GET", "/api/v1/oauth-clients/"+cid, e.admin, nil).problem(t, 404, sb.ENotFound, "")
	})
}
