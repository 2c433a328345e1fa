package dashboard

import (
	"context"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// The console: the pages a signed-in person works in. Each page is one
// file of handlers here (inbox.go, webhooks.go, ...) and one template in
// templates/pages/, rendered inside templates/console.html (the layout
// with the navigation) with the partials of templates/parts/.
//
// A handler gets a *visit: who is signed in, in which workspace, with the
// CSRF token forms must carry. It reads and writes only through the
// business operations (h.app), as the REST API does. Forms post back to
// the page's own URL family; after a change the handler redirects (POST,
// redirect, GET) with a notice, so a reload never repeats a change.
// Destructive actions first show a confirmation page (h.confirm) that
// names what they destroy.

// visit is one request of a signed-in person.
type visit struct {
	User      *sb.User
	Workspace string
	CSRF      string
	// Notice is the message left by the change before the redirect.
	Notice string
	// LiveSince is where the page's live stream starts (live.go).
	LiveSince string
}

// Admin reports whether the person is an admin (agents see the inbox only).
func (v *visit) Admin() bool { return v.User.Role == sb.RoleAdmin }

// pageView is what templates/console.html and every console page receive.
type pageView struct {
	Title string
	// Section is the navigation entry highlighted ("inbox", "webhooks").
	Section string
	*visit
	// Error is a message about the whole form; Fields the messages about
	// its fields, by field name as the API names it.
	Error  string
	Fields map[string]string
	// Data is the page's own.
	Data any
}

// FieldError returns the message about a field, or "".
func (p *pageView) FieldError(name string) string { return p.Fields[name] }

// section is one entry of the navigation.
type section struct {
	Key, Title, Path string
	AdminOnly        bool
}

// sections are the console's pages, in the navigation's order.
var sections = []section{
	{"overview", "Overview", "/", true},
	{"inbox", "Inbox", "/inbox", false},
	{"bots", "Bots", "/bots", true},
	{"channels", "Channels", "/channels", true},
	{"webhooks", "Webhooks", "/webhooks", true},
	{"integrations", "Integrations", "/integrations", true},
	{"knowledge", "Knowledge", "/knowledge", true},
	{"events", "Events", "/events", true},
	{"settings", "Settings", "/settings", true},
}

// Nav returns the navigation entries the person may open.
func (p *pageView) Nav() []section {
	var out []section
	for _, s := range sections {
		if !s.AdminOnly || p.Admin() {
			out = append(out, s)
		}
	}
	return out
}

// parseConsole parses every page of templates/pages with the layout and
// the partials.
func parseConsole() map[string]*template.Template {
	pages := map[string]*template.Template{}
	names, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		t := template.New("").Funcs(funcs)
		t = template.Must(t.ParseFS(files, "templates/console.html", "templates/parts/*.html", name))
		pages[strings.TrimSuffix(path.Base(name), ".html")] = t
	}
	return pages
}

// funcs are the template functions of the console.
var funcs = template.FuncMap{
	"ago":  ago,
	"time": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"join": strings.Join,
}

// ago says how long ago t was, for lists ("3 min ago").
func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h ago"
	default:
		return strconv.Itoa(int(d.Hours()/24)) + " days ago"
	}
}

// page wraps a console handler: the person must be signed in (else they
// are sent to sign-in and back), an admin unless the page is the inbox's,
// and every POST must carry the session's CSRF token and come from this
// origin.
func (h *Handler) page(adminOnly bool, fn func(w http.ResponseWriter, r *http.Request, v *visit)) http.Handler {
	return h.consoleHeaders(h.origins.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, u := h.session(r)
		if u == nil {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		v := &visit{User: u, Workspace: sess.WorkspaceID, CSRF: sess.CSRFToken, LiveSince: h.liveSince()}
		if adminOnly && !v.Admin() {
			h.problem(w, v, http.StatusForbidden, "Not for agents", "This page is for admins. Agents work in the inbox.")
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if !equal(sess.CSRFToken, r.PostFormValue("csrf_token")) {
				h.problem(w, v, http.StatusForbidden, "Form expired", "This form expired. Go back, reload the page and try again.")
				return
			}
		}
		if c, err := r.Cookie(h.cookieName(noticeCookie)); err == nil {
			v.Notice, _ = url.QueryUnescape(c.Value)
			h.clearCookie(w, noticeCookie)
		}
		fn(w, r, v)
	})))
}

// consoleCSP is the Content-Security-Policy of console pages: the
// identity pages' policy plus our own scripts and the live stream.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (h *Handler) consoleHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w, "")
		w.Header().Set("Content-Security-Policy", consoleCSP)
		next.ServeHTTP(w, r)
	})
}

const noticeCookie = "sb_notice"

// done ends a change: it leaves a notice for the next page and redirects
// there (POST, redirect, GET).
func (h *Handler) done(w http.ResponseWriter, r *http.Request, to, notice string) {
	if notice != "" {
		http.SetCookie(w, &http.Cookie{Name: h.cookieName(noticeCookie), Value: url.QueryEscape(notice), Path: "/",
			HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode, MaxAge: 60})
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// show renders a console page.
func (h *Handler) show(w http.ResponseWriter, status int, page string, p *pageView) {
	t, ok := h.console[page]
	if !ok {
		panic("dashboard: no page template " + page)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "console", p); err != nil {
		h.log.Warn("rendering a page", "page", page, "error", err)
	}
}

// problem renders a page that only says what went wrong.
func (h *Handler) problem(w http.ResponseWriter, v *visit, status int, title, msg string) {
	h.show(w, status, "problem", &pageView{Title: title, visit: v, Error: msg})
}

// failed renders the page of an operation's error: a missing resource is
// a 404 page, an operation refused in the resource's state a 422 page
// saying why, a refused input re-renders the form (p) with the messages
// of its fields, anything else a 500 page (logged).
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, err error, page string, p *pageView) {
	var e *sb.Error
	switch {
	case errors.As(err, &e) && e.Code == sb.ENotFound:
		h.problem(w, p.visit, http.StatusNotFound, "Not found", e.Message)
	case errors.As(err, &e) && e.Code == sb.EUnprocessable:
		h.problem(w, p.visit, http.StatusUnprocessableEntity, "Not done", e.Message)
	case errors.As(err, &e) && (e.Code == sb.EInvalid || e.Code == sb.EConflict || e.Code == sb.EForbidden):
		status := map[string]int{sb.EInvalid: http.StatusBadRequest, sb.EConflict: http.StatusConflict, sb.EForbidden: http.StatusForbidden}[e.Code]
		p.Error = e.Message
		p.Fields = map[string]string{}
		for _, f := range e.Fields {
			p.Fields[f.Field] = f.Message
		}
		if page == "" {
			h.problem(w, p.visit, status, "Not done", fieldsSentence(e))
			return
		}
		h.show(w, status, page, p)
	default:
		h.log.Error("dashboard operation", "path", r.URL.Path, "error", err)
		h.problem(w, p.visit, http.StatusInternalServerError, "Something went wrong", "That did not work. Try again; if it keeps failing, the server's log says why.")
	}
}

// fieldsSentence says an invalid input's message with its fields.
func fieldsSentence(e *sb.Error) string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return e.Message + " (" + strings.Join(parts, "; ") + ")"
}

// confirmation is the page shown before a destructive action: it names
// what will be destroyed and posts to Action when confirmed.
type confirmation struct {
	// Question is the heading ("Delete the endpoint https://…?").
	Question string
	// Consequences say what is destroyed or stops, one per line.
	Consequences []string
	// Action is the URL the confirming form posts to; Button its label.
	Action, Button string
	// Back is where "Cancel" leads.
	Back string
	// Hidden are extra form fields posted with the confirmation.
	Hidden map[string]string
}

// confirm renders a confirmation page.
func (h *Handler) confirm(w http.ResponseWriter, v *visit, section string, c *confirmation) {
	h.show(w, http.StatusOK, "confirm", &pageView{Title: c.Question, Section: section, visit: v, Data: c})
}

// deleteNamed is the POST of a confirmed deletion of a resource the
// notice names: it reads the resource, deletes it and goes to the list
// (to), saying what went.
func deleteNamed[T any](h *Handler, section, to string, get func(ctx context.Context, ws, id string) (T, error),
	del func(ctx context.Context, ws, id string) error, notice func(T) string) func(http.ResponseWriter, *http.Request, *visit) {
	return func(w http.ResponseWriter, r *http.Request, v *visit) {
		x, err := get(r.Context(), v.Workspace, r.PathValue("id"))
		if err == nil {
			err = del(r.Context(), v.Workspace, r.PathValue("id"))
		}
		if err != nil {
			h.failed(w, r, err, "", &pageView{Title: "Not deleted", Section: section, visit: v})
			return
		}
		h.done(w, r, to, notice(x))
	}
}

// pageSize is the number of rows of a console list.
const pageSize = 50

// listPage reads a list's page from the request (?after=CURSOR) the way
// the API does: rows after the cursor, one more than shown to know
// whether there is a next page.
func listPage(r *http.Request) sb.Page {
	return sb.Page{Limit: pageSize + 1, After: r.URL.Query().Get("after")}
}

// pager is the navigation under a list: the link to the next page (the
// same URL with after= the last row shown), and back to the first.
type pager struct {
	Next, First string
}

// paginate cuts a list read with listPage to the page's size and returns
// it with its pager; id names a row's cursor.
func paginate[T any](r *http.Request, rows []T, id func(T) string) ([]T, pager) {
	var p pager
	if r.URL.Query().Get("after") != "" {
		p.First = withQuery(r.URL, "after", "")
	}
	if len(rows) > pageSize {
		rows = rows[:pageSize]
		p.Next = withQuery(r.URL, "after", id(rows[len(rows)-1]))
	}
	return rows, p
}

// withQuery returns the path and query of u with key set to value (or
// removed when value is empty).
func withQuery(u *url.URL, key, value string) string {
	q := u.Query()
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return u.Path
	}
	return u.Path + "?" + q.Encode()
}
