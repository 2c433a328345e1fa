package dashboard

import (
	"net/http"
	"slices"
	"sort"
	"strings"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/auth"
)

// The Settings pages: API keys (create with scopes, the key shown once;
// revoke), OAuth clients (create, the secret of a confidential one shown
// once; edit redirect URIs, grant types and scopes; delete) and users
// (create with a role and an initial password, change the role, delete).

func (h *Handler) mountSettings(mux *http.ServeMux) {
	mux.Handle("GET /settings", h.page(true, h.keysPage))
	mux.Handle("POST /settings/api-keys", h.page(true, h.createKey))
	mux.Handle("GET /settings/api-keys/{id}/revoke", h.page(true, h.confirmRevokeKey))
	mux.Handle("POST /settings/api-keys/{id}/revoke", h.page(true, h.revokeKey))
	mux.Handle("GET /settings/oauth-clients", h.page(true, h.clientsPage))
	mux.Handle("POST /settings/oauth-clients", h.page(true, h.createClient))
	mux.Handle("GET /settings/oauth-clients/{id}", h.page(true, h.clientPage))
	mux.Handle("POST /settings/oauth-clients/{id}", h.page(true, h.editClient))
	mux.Handle("GET /settings/oauth-clients/{id}/delete", h.page(true, h.confirmDeleteClient))
	mux.Handle("POST /settings/oauth-clients/{id}/delete", h.page(true, h.deleteClient))
	mux.Handle("GET /settings/users", h.page(true, h.usersPage))
	mux.Handle("POST /settings/users", h.page(true, h.createUser))
	mux.Handle("POST /settings/users/{id}/role", h.page(true, h.changeRole))
	mux.Handle("GET /settings/users/{id}/delete", h.page(true, h.confirmDeleteUser))
	mux.Handle("POST /settings/users/{id}/delete", h.page(true, h.deleteUser))
}

// ListError returns the first message about a list field or one of its
// items ("scopes", "scopes[2]"), or "".
func (p *pageView) ListError(name string) string { return listError(p.Fields, name) }

func listError(fields map[string]string, name string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if k == name || strings.HasPrefix(k, name+"[") {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	return fields[keys[0]]
}

// choice is a checkbox of a list: a scope, a grant type.
type choice struct {
	Value   string
	Checked bool
}

func choices(all, chosen []string) []choice {
	out := make([]choice, len(all))
	for i, v := range all {
		out[i] = choice{v, slices.Contains(chosen, v)}
	}
	return out
}

// keysView is the API keys page; NewKey is a key just created (its
// secret shown this once).
type keysView struct {
	Keys   []*sb.APIKey
	Pager  pager
	NewKey *app.APIKeyWithSecret
	Name   string
	Scopes []choice
}

func (h *Handler) keysPage(w http.ResponseWriter, r *http.Request, v *visit) {
	h.showKeys(w, r, &pageView{visit: v}, &keysView{Scopes: choices(sb.AllScopes, nil)}, http.StatusOK)
}

func (h *Handler) showKeys(w http.ResponseWriter, r *http.Request, p *pageView, data *keysView, status int) {
	p.Title, p.Section, p.Data = "API keys", "settings", data
	page := listPage(r)
	if r.Method == http.MethodPost {
		page = sb.Page{Limit: pageSize + 1}
	}
	rows, err := h.app.ListAPIKeys(r.Context(), p.Workspace, page)
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	data.Keys, data.Pager = paginate(r, rows, func(k *sb.APIKey) string { return k.ID })
	h.show(w, status, "settings", p)
}

func (h *Handler) createKey(w http.ResponseWriter, r *http.Request, v *visit) {
	req := &app.CreateAPIKeyParams{Name: strings.TrimSpace(r.PostFormValue("name")), Scopes: r.PostForm["scopes"]}
	key, err := h.app.CreateAPIKey(r.Context(), v.Workspace, req)
	if err != nil {
		if p, ok := invalidPage(v, err); ok {
			h.showKeys(w, r, p, &keysView{Name: req.Name, Scopes: choices(sb.AllScopes, req.Scopes)}, http.StatusBadRequest)
			return
		}
		h.failed(w, r, err, "", &pageView{Title: "API keys", Section: "settings", visit: v})
		return
	}
	v.Notice = "API key " + key.Name + " created. Copy it now: it is shown only this once."
	h.showKeys(w, r, &pageView{visit: v}, &keysView{NewKey: key, Scopes: choices(sb.AllScopes, nil)}, http.StatusOK)
}

func (h *Handler) confirmRevokeKey(w http.ResponseWriter, r *http.Request, v *visit) {
	k, err := h.app.GetAPIKey(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", &pageView{Title: "API key", Section: "settings", visit: v})
		return
	}
	h.confirm(w, v, "settings", &confirmation{
		Question: "Revoke the API key " + k.Name + " (" + k.Prefix + "…)?",
		Consequences: []string{
			"Every request made with it is refused (401) from now on.",
			"Whatever uses it (" + strings.Join(k.Scopes, ", ") + ") stops working until it gets a new key.",
			"A revoked key cannot be restored.",
		},
		Action: "/settings/api-keys/" + k.ID + "/revoke", Button: "Revoke the key", Back: "/settings",
	})
}

func (h *Handler) revokeKey(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := h.app.RevokeAPIKey(r.Context(), v.Workspace, r.PathValue("id")); err != nil {
		h.failed(w, r, err, "", &pageView{Title: "API key", Section: "settings", visit: v})
		return
	}
	h.done(w, r, "/settings", "API key revoked.")
}

// grantTypes are the grants a client may be given, in the forms' order.
var grantTypes = []string{sb.GrantAuthorizationCode, sb.GrantRefreshToken, sb.GrantClientCredentials}

// clientForm is the create and edit form of an OAuth client.
type clientForm struct {
	ID           string
	Name         string
	RedirectURIs string
	Grants       []choice
	Scopes       []choice
	Confidential bool
}

type clientsView struct {
	Clients   []*sb.OAuthClient
	Pager     pager
	NewClient *app.OAuthClientWithSecret
	Form      *clientForm
}

func newClientForm() *clientForm {
	return &clientForm{Grants: choices(grantTypes, []string{sb.GrantAuthorizationCode, sb.GrantRefreshToken}),
		Scopes: choices(sb.AllScopes, nil), Confidential: true}
}

func (h *Handler) clientsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	h.showClients(w, r, &pageView{visit: v}, &clientsView{Form: newClientForm()}, http.StatusOK)
}

func (h *Handler) showClients(w http.ResponseWriter, r *http.Request, p *pageView, data *clientsView, status int) {
	p.Title, p.Section, p.Data = "OAuth clients", "settings", data
	page := listPage(r)
	if r.Method == http.MethodPost {
		page = sb.Page{Limit: pageSize + 1}
	}
	rows, err := h.app.ListOAuthClients(r.Context(), p.Workspace, page)
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	data.Clients, data.Pager = paginate(r, rows, func(c *sb.OAuthClient) string { return c.ID })
	h.show(w, status, "settings_clients", p)
}

// formLines reads a textarea of one item a line.
func formLines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (h *Handler) createClient(w http.ResponseWriter, r *http.Request, v *visit) {
	confidential := r.PostFormValue("confidential") == "true"
	req := &app.CreateOAuthClientParams{Name: strings.TrimSpace(r.PostFormValue("name")), RedirectURIs: formLines(r.PostFormValue("redirect_uris")),
		GrantTypes: r.PostForm["grant_types"], Scopes: r.PostForm["scopes"], Confidential: &confidential}
	c, err := h.app.CreateOAuthClient(r.Context(), v.Workspace, req)
	if err != nil {
		if p, ok := invalidPage(v, err); ok {
			form := &clientForm{Name: req.Name, RedirectURIs: r.PostFormValue("redirect_uris"), Grants: choices(grantTypes, req.GrantTypes),
				Scopes: choices(sb.AllScopes, req.Scopes), Confidential: confidential}
			h.showClients(w, r, p, &clientsView{Form: form}, http.StatusBadRequest)
			return
		}
		h.failed(w, r, err, "", &pageView{Title: "OAuth clients", Section: "settings", visit: v})
		return
	}
	v.Notice = "OAuth client " + c.Name + " registered."
	if c.ClientSecret != "" {
		v.Notice += " Copy its secret now: it is shown only this once."
	}
	h.showClients(w, r, &pageView{visit: v}, &clientsView{NewClient: c, Form: newClientForm()}, http.StatusOK)
}

func (h *Handler) clientPage(w http.ResponseWriter, r *http.Request, v *visit) {
	c, err := h.app.GetOAuthClient(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", &pageView{Title: "OAuth client", Section: "settings", visit: v})
		return
	}
	form := &clientForm{ID: c.ID, Name: c.Name, RedirectURIs: strings.Join(c.RedirectURIs, "\n"), Grants: choices(grantTypes, c.GrantTypes),
		Scopes: choices(sb.AllScopes, c.Scopes), Confidential: c.Confidential}
	h.show(w, http.StatusOK, "settings_client", &pageView{Title: c.Name, Section: "settings", visit: v, Data: &clientsView{Form: form}})
}

func (h *Handler) editClient(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	req := &app.UpdateOAuthClientParams{Name: sb.Optional[string]{Set: true, Value: strings.TrimSpace(r.PostFormValue("name"))},
		RedirectURIs: sb.Optional[[]string]{Set: true, Value: formLines(r.PostFormValue("redirect_uris"))},
		GrantTypes:   sb.Optional[[]string]{Set: true, Value: orEmpty(r.PostForm["grant_types"])},
		Scopes:       sb.Optional[[]string]{Set: true, Value: orEmpty(r.PostForm["scopes"])}}
	if _, err := h.app.UpdateOAuthClient(r.Context(), v.Workspace, id, req); err != nil {
		if p, ok := invalidPage(v, err); ok {
			p.Title, p.Section = req.Name.Value, "settings"
			p.Data = &clientsView{Form: &clientForm{ID: id, Name: req.Name.Value, RedirectURIs: r.PostFormValue("redirect_uris"),
				Grants: choices(grantTypes, req.GrantTypes.Value), Scopes: choices(sb.AllScopes, req.Scopes.Value),
				Confidential: r.PostFormValue("confidential") == "true"}}
			h.show(w, http.StatusBadRequest, "settings_client", p)
			return
		}
		h.failed(w, r, err, "", &pageView{Title: "OAuth client", Section: "settings", visit: v})
		return
	}
	h.done(w, r, "/settings/oauth-clients", "OAuth client saved.")
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func (h *Handler) confirmDeleteClient(w http.ResponseWriter, r *http.Request, v *visit) {
	c, err := h.app.GetOAuthClient(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", &pageView{Title: "OAuth client", Section: "settings", visit: v})
		return
	}
	h.confirm(w, v, "settings", &confirmation{
		Question: "Delete the OAuth client " + c.Name + "?",
		Consequences: []string{
			"Every access and refresh token issued to it stops working at once.",
			"The application can no longer sign people in or get tokens: it needs a new client.",
		},
		Action: "/settings/oauth-clients/" + c.ID + "/delete", Button: "Delete the client", Back: "/settings/oauth-clients",
	})
}

func (h *Handler) deleteClient(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := h.app.DeleteOAuthClient(r.Context(), v.Workspace, r.PathValue("id")); err != nil {
		h.failed(w, r, err, "", &pageView{Title: "OAuth client", Section: "settings", visit: v})
		return
	}
	h.done(w, r, "/settings/oauth-clients", "OAuth client deleted.")
}

// usersView is the users page with the form of a new user.
type usersView struct {
	Users       []*sb.User
	Pager       pager
	Email, Name string
	Role        string
	Roles       []string
	MinPassword int
}

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request, v *visit) {
	h.showUsers(w, r, &pageView{visit: v}, &usersView{Role: sb.RoleAgent}, http.StatusOK)
}

func (h *Handler) showUsers(w http.ResponseWriter, r *http.Request, p *pageView, data *usersView, status int) {
	p.Title, p.Section, p.Data = "Users", "settings", data
	data.Roles, data.MinPassword = []string{sb.RoleAgent, sb.RoleAdmin}, auth.MinPasswordLength
	page := listPage(r)
	if r.Method == http.MethodPost {
		page = sb.Page{Limit: pageSize + 1}
	}
	rows, err := h.app.ListUsers(r.Context(), p.Workspace, page)
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	data.Users, data.Pager = paginate(r, rows, func(u *sb.User) string { return u.ID })
	h.show(w, status, "settings_users", p)
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, v *visit) {
	req := &app.CreateUserParams{Email: r.PostFormValue("email"), Name: strings.TrimSpace(r.PostFormValue("name")),
		Role: r.PostFormValue("role"), Password: r.PostFormValue("password")}
	email := req.Email
	u, err := h.app.CreateUser(r.Context(), v.Workspace, req)
	if err != nil {
		p, ok := invalidPage(v, err)
		if sb.ErrorCode(err) == sb.EConflict {
			p, ok = &pageView{visit: v, Error: "Not created.", Fields: map[string]string{"email": "is already used by another user"}}, true
		}
		if ok {
			status := map[bool]int{true: http.StatusConflict, false: http.StatusBadRequest}[sb.ErrorCode(err) == sb.EConflict]
			h.showUsers(w, r, p, &usersView{Email: email, Name: req.Name, Role: req.Role}, status)
			return
		}
		h.failed(w, r, err, "", &pageView{Title: "Users", Section: "settings", visit: v})
		return
	}
	h.done(w, r, "/settings/users", "User "+u.Email+" created as "+u.Role+": give them their password to sign in.")
}

func (h *Handler) changeRole(w http.ResponseWriter, r *http.Request, v *visit) {
	id, role := r.PathValue("id"), r.PostFormValue("role")
	u, err := h.app.UpdateUserBy(r.Context(), v.Workspace, v.User.ID, id, &app.UpdateUserParams{Role: sb.Optional[string]{Set: true, Value: role}})
	if err != nil {
		h.failed(w, r, err, "", &pageView{Title: "Role not changed", Section: "settings", visit: v})
		return
	}
	if u.ID == v.User.ID && u.Role != sb.RoleAdmin {
		h.done(w, r, "/inbox", "You are now an agent: the inbox is yours.")
		return
	}
	h.done(w, r, "/settings/users", u.Email+" is now "+u.Role+".")
}

func (h *Handler) confirmDeleteUser(w http.ResponseWriter, r *http.Request, v *visit) {
	u, err := h.app.GetUser(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", &pageView{Title: "User", Section: "settings", visit: v})
		return
	}
	who := u.Email
	if u.ID == v.User.ID {
		who = "yourself (" + u.Email + ")"
	}
	h.confirm(w, v, "settings", &confirmation{
		Question: "Delete the user " + who + "?",
		Consequences: []string{
			"They are signed out everywhere and can no longer sign in.",
			"Every OAuth token issued to them stops working at once.",
			"Their account cannot be restored: a new user would have to be created.",
		},
		Action: "/settings/users/" + u.ID + "/delete", Button: "Delete the user", Back: "/settings/users",
	})
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	if err := h.app.DeleteUserBy(r.Context(), v.Workspace, v.User.ID, id); err != nil {
		h.failed(w, r, err, "", &pageView{Title: "User not deleted", Section: "settings", visit: v})
		return
	}
	if id == v.User.ID {
		h.done(w, r, "/signin", "")
		return
	}
	h.done(w, r, "/settings/users", "User deleted.")
}
