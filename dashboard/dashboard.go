// Package dashboard serves Switchboard's web pages: rendered on the
// server with html/template, embedded in the binary, without inline
// scripts or styles, under a strict Content-Security-Policy. This file has
// the pages of identity: sign-in, sign-out, the one-time setup of the
// first admin, and the consent page of the OAuth 2.0 authorization
// endpoint. console.go has the frame of the pages a signed-in person works
// in; each of those pages is a file of its own (events.go, inbox.go, ...).
//
// Every form carries a CSRF token: the session's for signed-in pages, a
// double-submit cookie's before sign-in; cross-origin POSTs are refused
// besides (net/http.CrossOriginProtection). Session cookies are HttpOnly,
// SameSite=Lax, and Secure when the public URL is https.
package dashboard

import (
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/auth"
)

//go:embed templates static/*
var files embed.FS

// OAuth is what the consent page needs of the authorization server.
type OAuth interface {
	ParseAuthorization(r *http.Request) (*auth.Authorization, error)
	Deny(w http.ResponseWriter, r *http.Request, a *auth.Authorization, err error)
	Approve(w http.ResponseWriter, r *http.Request, a *auth.Authorization, u *sb.User)
}

// Config is what the pages need to know of the configuration.
type Config struct {
	// PublicURL is the base URL of the server; https makes the cookies
	// Secure.
	PublicURL string
	// SetupWorkspace is the workspace in which the setup link creates the
	// first admin.
	SetupWorkspace string
	// LivePoll, LiveHeartbeat and LiveLookBack tune the live stream
	// (live.go); zero means the default.
	LivePoll, LiveHeartbeat, LiveLookBack time.Duration
}

// Deps are the collaborators of the pages.
type Deps struct {
	// App is the business operations: the pages call the same functions
	// as the REST API and hold no rules of their own.
	App   *app.Service
	OAuth OAuth // nil: no consent page
	Clock sb.Clock
	// ClientIP names the client of a request, for the per-IP sign-in
	// throttle (the HTTP layer knows the trusted proxies).
	ClientIP func(r *http.Request) string
	Logger   *slog.Logger
}

// Handler serves the pages.
type Handler struct {
	cfg      Config
	app      *app.Service
	oauth    OAuth
	clock    sb.Clock
	clientIP func(r *http.Request) string
	log      *slog.Logger
	throttle *auth.SignInThrottle
	pages    map[string]*template.Template // the identity pages
	console  map[string]*template.Template // the console's pages
	secure   bool
	origins  *http.CrossOriginProtection
	liveHub  *liveHub // the live stream's feeds (live.go)
}

// New builds the pages.
func New(cfg Config, d Deps) *Handler {
	if d.Clock == nil {
		d.Clock = sb.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.ClientIP == nil {
		d.ClientIP = func(r *http.Request) string {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				return r.RemoteAddr
			}
			return host
		}
	}
	h := &Handler{cfg: cfg, app: d.App, oauth: d.OAuth, clock: d.Clock, clientIP: d.ClientIP, log: d.Logger,
		throttle: auth.NewSignInThrottle(d.Clock), pages: map[string]*template.Template{},
		secure: strings.HasPrefix(cfg.PublicURL, "https://"), origins: http.NewCrossOriginProtection(),
		console: parseConsole()}
	for _, name := range []string{"signin", "setup", "consent", "message"} {
		h.pages[name] = template.Must(template.New("").ParseFS(files, "templates/layout.html", "templates/"+name+".html"))
	}
	return h
}

// Mount registers the pages on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /dashboard/static/", h.headers(http.StripPrefix("/dashboard/static/", http.FileServerFS(static)), ""))
	mux.Handle("GET /signin", h.headers(http.HandlerFunc(h.signinPage), ""))
	mux.Handle("POST /signin", h.headers(h.origins.Handler(http.HandlerFunc(h.signin)), ""))
	mux.Handle("POST /signout", h.headers(h.origins.Handler(http.HandlerFunc(h.signout)), ""))
	mux.Handle("GET /setup", h.headers(http.HandlerFunc(h.setupPage), ""))
	mux.Handle("POST /setup", h.headers(h.origins.Handler(http.HandlerFunc(h.setup)), ""))
	h.mountOverview(mux)
	h.mountEvents(mux)
	h.mountChannels(mux)
	h.mountWebhooks(mux)
	h.mountSettings(mux)
	h.mountBots(mux)
	h.mountIntegrations(mux)
	h.mountKnowledge(mux)
	h.mountInbox(mux)
}

// Authorize is the handler of GET and POST /oauth/authorize: sign-in if
// needed, then the consent page, then the answer to the client.
func (h *Handler) Authorize() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			h.origins.Handler(http.HandlerFunc(h.authorize)).ServeHTTP(w, r)
			return
		}
		h.authorize(w, r)
	})
}

// csp is the Content-Security-Policy of every page: nothing but our own
// stylesheet, no scripts at all, forms only to this origin (and, on the
// consent page, to the client's redirect URI, where the answer goes).
func csp(formTarget string) string {
	action := "'self'"
	if formTarget != "" {
		action += " " + formTarget
	}
	return "default-src 'none'; style-src 'self'; img-src 'self'; form-action " + action +
		"; frame-ancestors 'none'; base-uri 'none'"
}

// headers sets the security headers of a page.
func (h *Handler) headers(next http.Handler, formTarget string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w, formTarget)
		next.ServeHTTP(w, r)
	})
}

func setHeaders(w http.ResponseWriter, formTarget string) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp(formTarget))
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
}

// view is what every page's template receives.
type view struct {
	Title       string
	User        *sb.User
	CSRF        string
	Error       string
	Message     string
	Link        string
	LinkText    string
	Next        string
	Email       string
	Name        string
	Token       string
	MinPassword int
	// The consent page's.
	Client      string
	RedirectURI string
	Scopes      []scopeView
	Dropped     []string
	Params      []param
}

type scopeView struct{ Name, Description string }
type param struct{ Name, Value string }

func (h *Handler) render(w http.ResponseWriter, status int, page string, v *view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := h.pages[page].ExecuteTemplate(w, "layout", v); err != nil {
		h.log.Warn("rendering a page", "page", page, "error", err)
	}
}

func (h *Handler) message(w http.ResponseWriter, status int, title, msg string) {
	h.render(w, status, "message", &view{Title: title, Message: msg, Error: "yes", Link: "/signin", LinkText: "Sign in"})
}

// Cookies. With an https public URL they take the __Host- prefix, which
// browsers accept only when Secure, on path / and without a domain.
func (h *Handler) cookieName(base string) string {
	if h.secure {
		return "__Host-" + base
	}
	return base
}

func (h *Handler) setCookie(w http.ResponseWriter, base, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(base), Value: value, Path: "/", HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds())})
}

func (h *Handler) clearCookie(w http.ResponseWriter, base string) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(base), Value: "", Path: "/", HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

const (
	sessionCookie = "sb_session"
	csrfCookie    = "sb_csrf"
)

// session returns the signed-in session of a request, if any.
func (h *Handler) session(r *http.Request) (*sb.DashboardSession, *sb.User) {
	c, err := r.Cookie(h.cookieName(sessionCookie))
	if err != nil || c.Value == "" {
		return nil, nil
	}
	sess, u, err := h.app.Session(r.Context(), c.Value)
	if err != nil {
		if sb.ErrorCode(err) != sb.ENotFound {
			h.log.Warn("reading a dashboard session", "error", err)
		}
		return nil, nil
	}
	return sess, u
}

// preSessionCSRF returns the double-submit token of a browser that has not
// signed in, setting its cookie if missing.
func (h *Handler) preSessionCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(h.cookieName(csrfCookie)); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	token := auth.RandomToken()
	h.setCookie(w, csrfCookie, token, 12*time.Hour)
	return token
}

// checkPreSessionCSRF checks the double-submit token of a form posted
// before sign-in.
func (h *Handler) checkPreSessionCSRF(r *http.Request) bool {
	c, err := r.Cookie(h.cookieName(csrfCookie))
	return err == nil && len(c.Value) >= 32 && equal(c.Value, r.PostFormValue("csrf_token"))
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// localNext returns next if it is a path on this server, else "/".
func localNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

func (h *Handler) signinPage(w http.ResponseWriter, r *http.Request) {
	next := localNext(r.URL.Query().Get("next"))
	if _, u := h.session(r); u != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.render(w, http.StatusOK, "signin", &view{Title: "Sign in", CSRF: h.preSessionCSRF(w, r), Next: next})
}

func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	email, password := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	next := localNext(r.PostFormValue("next"))
	again := func(status int, msg string) {
		h.render(w, status, "signin", &view{Title: "Sign in", CSRF: h.preSessionCSRF(w, r), Next: next, Email: email, Error: msg})
	}
	if !h.checkPreSessionCSRF(r) {
		again(http.StatusForbidden, "This form expired. Please sign in again.")
		return
	}
	ip := h.clientIP(r)
	if ok, wait := h.throttle.Allow(email, ip); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		again(http.StatusTooManyRequests, "Too many failed sign-in attempts. Wait "+humanWait(wait)+" and try again.")
		return
	}
	u, err := h.app.SignIn(r.Context(), email, password)
	if sb.ErrorCode(err) == sb.EUnauthorized {
		h.throttle.Fail(email, ip)
		again(http.StatusUnauthorized, "The email or the password is wrong.")
		return
	} else if err != nil {
		h.log.Error("signing in", "error", err)
		again(http.StatusInternalServerError, "Signing in failed. Please try again.")
		return
	}
	h.throttle.Succeed(email)
	if !h.startSession(w, r, u) {
		again(http.StatusInternalServerError, "Signing in failed. Please try again.")
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, u *sb.User) bool {
	cookie, _, err := h.app.StartSession(r.Context(), u)
	if err != nil {
		h.log.Error("starting a dashboard session", "error", err)
		return false
	}
	h.setCookie(w, sessionCookie, cookie, app.SessionTTL)
	h.clearCookie(w, csrfCookie)
	return true
}

func (h *Handler) signout(w http.ResponseWriter, r *http.Request) {
	sess, _ := h.session(r)
	if sess != nil {
		if !equal(sess.CSRFToken, r.PostFormValue("csrf_token")) {
			h.message(w, http.StatusForbidden, "Not signed out", "This form expired. Reload the page and try again.")
			return
		}
		c, _ := r.Cookie(h.cookieName(sessionCookie))
		if err := h.app.EndSession(r.Context(), c.Value); err != nil {
			h.log.Error("ending a dashboard session", "error", err)
			h.message(w, http.StatusInternalServerError, "Not signed out", "Signing out failed. Please try again.")
			return
		}
	}
	h.clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (h *Handler) setupPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		h.message(w, http.StatusNotFound, "No setup link", "Open the setup link that `switchboard serve` printed at its first start.")
		return
	}
	h.render(w, http.StatusOK, "setup", &view{Title: "Set up Switchboard", CSRF: h.preSessionCSRF(w, r), Token: token,
		MinPassword: auth.MinPasswordLength})
}

func (h *Handler) setup(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	req := &app.CreateUserParams{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Password: r.PostFormValue("password")}
	token := r.PostFormValue("token")
	again := func(status int, msg string) {
		h.render(w, status, "setup", &view{Title: "Set up Switchboard", CSRF: h.preSessionCSRF(w, r), Token: token,
			Email: req.Email, Name: req.Name, Error: msg, MinPassword: auth.MinPasswordLength})
	}
	if !h.checkPreSessionCSRF(r) {
		again(http.StatusForbidden, "This form expired. Please submit it again.")
		return
	}
	u, err := h.app.SetupAdmin(r.Context(), h.cfg.SetupWorkspace, token, req)
	var e *sb.Error
	switch {
	case errors.As(err, &e) && e.Code == sb.EInvalid:
		msg := e.Message
		if len(e.Fields) > 0 {
			msg = "The " + e.Fields[0].Field + " " + e.Fields[0].Message + "."
		}
		again(http.StatusBadRequest, msg)
		return
	case errors.As(err, &e) && (e.Code == sb.EForbidden || e.Code == sb.EConflict):
		h.message(w, http.StatusForbidden, "Setup link not valid", e.Message)
		return
	case err != nil:
		h.log.Error("creating the first admin", "error", err)
		again(http.StatusInternalServerError, "Creating the admin failed. Please try again.")
		return
	}
	if !h.startSession(w, r, u) {
		h.message(w, http.StatusInternalServerError, "Admin created", "The admin was created, but signing in failed: sign in.")
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// humanWait says a wait in words.
func humanWait(d time.Duration) string {
	s := int(d.Seconds()) + 1
	if s < 60 {
		return strconv.Itoa(s) + " seconds"
	}
	return strconv.Itoa((s+59)/60) + " minutes"
}
