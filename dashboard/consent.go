package dashboard

import (
	"net/http"
	"net/url"
	"slices"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/auth"
)

// scopeDescriptions say in words what each scope lets a client do.
var scopeDescriptions = map[string]string{
	sb.ScopeReadBots:           "read your bots",
	sb.ScopeWriteBots:          "create, change and delete bots",
	sb.ScopeReadChannels:       "read your channels",
	sb.ScopeWriteChannels:      "create, change and delete channels",
	sb.ScopeReadConversations:  "read conversations and contacts",
	sb.ScopeWriteConversations: "start, change and end conversations, and change contacts",
	sb.ScopeReadMessages:       "read messages",
	sb.ScopeWriteMessages:      "send messages",
	sb.ScopeReadWebhooks:       "read webhook endpoints, events and deliveries",
	sb.ScopeWriteWebhooks:      "manage webhook endpoints and deliveries",
	sb.ScopeAdmin:              "manage everything in the workspace: users, API keys, OAuth clients and all resources",
}

// authorize serves /oauth/authorize: the request is checked first (a bad
// client or redirect URI is never redirected to), then the browser signs
// in if it has not, then the user consents (GET shows the page, POST
// carries the decision).
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	if h.oauth == nil {
		http.NotFound(w, r)
		return
	}
	a, err := h.oauth.ParseAuthorization(r)
	if err != nil {
		setHeaders(w, "")
		h.oauth.Deny(w, r, a, err)
		return
	}
	target := formTarget(a.RedirectURI)
	setHeaders(w, target)
	sess, u := h.session(r)
	if u == nil {
		if r.Method != http.MethodGet {
			h.message(w, http.StatusForbidden, "Signed out", "Your session ended. Start again from the application.")
			return
		}
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if a.Client.WorkspaceID != u.WorkspaceID {
		h.oauth.Deny(w, r, a, auth.ErrAccessDenied)
		return
	}
	if r.Method == http.MethodGet {
		h.consentPage(w, r, a, sess, u)
		return
	}
	if !equal(sess.CSRFToken, r.PostFormValue("csrf_token")) {
		h.message(w, http.StatusForbidden, "Not authorized", "This form expired. Start again from the application.")
		return
	}
	if r.PostFormValue("decision") != "allow" {
		h.oauth.Deny(w, r, a, auth.ErrAccessDenied)
		return
	}
	h.oauth.Approve(w, r, a, u)
}

func (h *Handler) consentPage(w http.ResponseWriter, r *http.Request, a *auth.Authorization, sess *sb.DashboardSession, u *sb.User) {
	asked := a.Scopes()
	granted := auth.GrantableScopes(asked, u)
	if len(granted) == 0 {
		h.oauth.Deny(w, r, a, auth.ErrAccessDenied)
		return
	}
	v := &view{Title: "Authorize " + a.Client.Name, User: u, CSRF: sess.CSRFToken, Client: a.Client.Name, RedirectURI: a.RedirectURI}
	for _, sc := range granted {
		v.Scopes = append(v.Scopes, scopeView{Name: sc, Description: scopeDescriptions[sc]})
	}
	for _, sc := range asked {
		if !slices.Contains(granted, sc) {
			v.Dropped = append(v.Dropped, sc)
		}
	}
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "csrf_token" && k != "decision" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, val := range q[k] {
			v.Params = append(v.Params, param{Name: k, Value: val})
		}
	}
	h.render(w, http.StatusOK, "consent", v)
}

// formTarget is the CSP source of a redirect URI: its origin for http(s),
// its scheme for an application's own scheme.
func formTarget(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil || u.Scheme == "" {
		return ""
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + ":"
}
