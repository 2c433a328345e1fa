package browsertest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/dashboard"
	"github.com/switchboardhq/switchboard/internal/browsertest"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// The policies of the test pages: no inline script, only scripts of the
// page's own origin; pages as the dashboard's (their styles and images
// from the same origin), or nothing else at all.
const (
	strictCSP  = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'"
	scriptOnly = "default-src 'none'; script-src 'self'"
)

// site serves pages (path → HTML, or CSS for a .css path), /logo.png and
// /app.js under the strict CSP.
func site(t *testing.T, pages map[string]string) *httptest.Server {
	return siteWith(t, strictCSP, pages)
}

// siteWith serves them under the policy csp.
func siteWith(t *testing.T, csp string, pages map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		if r.URL.Path == "/logo.png" {
			w.Header().Set("Content-Type", "image/png")
			_ = png.Encode(w, image.NewGray(image.Rect(0, 0, 8, 8)))
			return
		}
		if r.URL.Path == "/app.js" {
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write([]byte(`console.error("the widget could not start:", 42); null.boom;`))
			return
		}
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if strings.HasSuffix(r.URL.Path, ".css") {
			w.Header().Set("Content-Type", "text/css")
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func page(title, body string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>` + title + `</title></head>
<body><main><h1>` + title + `</h1>` + body + `</main></body></html>`
}

var (
	// The inline script is refused: the policy is in force.
	badPage = page("Bad", `<script>document.title = 'ran'</script><img src="/logo.png">
<form><input id="q" name="q" type="text"></form>`)
	goodPage = page("Good", `<img src="/logo.png" alt="Switchboard">
<form><label for="q">Search</label> <input id="q" name="q" type="text"></form>`)
)

// TestAxeUnderStrictCSP injects axe-core into pages whose policy allows
// no inline script and nothing but scripts of their own origin: it finds
// the missing alt text and the missing label of the bad page, naming the
// rule, its impact, its help and the element, and nothing on the good
// page; injecting and running it reports no CSP violation.
func TestAxeUnderStrictCSP(t *testing.T) {
	srv := siteWith(t, scriptOnly, map[string]string{"/bad": badPage, "/good": goodPage})
	b := browsertest.New(t)
	console, err := browsertest.WatchConsole(b.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	open := func(path string) {
		t.Helper()
		if err := chromedp.Do(b.Ctx, chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatal(err)
		}
	}

	open("/bad")
	if title, _ := chromedp.Run(b.Ctx, chromedp.Title()); title != "Bad" {
		t.Fatalf("the inline script ran (title %q): the page is not under the strict policy", title)
	}
	if ps := console.Problems(); len(ps) == 0 || !ps[0].CSP() || !strings.Contains(ps[0].Text, "inline script") {
		t.Fatalf("the refused inline script: %v", ps)
	}
	console.Reset() // the page's own (its image is refused too)

	vs, err := browsertest.Axe(b.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	byRule := map[string]browsertest.Violation{}
	for _, v := range vs {
		byRule[v.ID] = v
		if !v.Serious() {
			t.Errorf("Axe returned a %s violation: %s", v.Impact, v)
		}
	}
	img, label := byRule["image-alt"], byRule["label"]
	if img.ID == "" || label.ID == "" {
		t.Fatalf("want image-alt and label among the violations, got %v", vs)
	}
	if img.Impact != "critical" || len(img.Nodes) != 1 || img.Nodes[0].Target != "img" || !strings.Contains(img.Nodes[0].HTML, `src="/logo.png"`) {
		t.Errorf("image-alt: %+v", img)
	}
	if len(label.Nodes) != 1 || label.Nodes[0].Target != "#q" {
		t.Errorf("label: %+v", label)
	}
	msg := img.String()
	for _, want := range []string{"image-alt (critical)", img.Help, "dequeuniversity.com", "at img: <img", "Fix any of the following"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message %q lacks %q", msg, want)
		}
	}
	// A second run on the same page reuses the injected copy.
	again, err := browsertest.Axe(b.Ctx)
	if err != nil || len(again) != len(vs) {
		t.Fatalf("second run: %d violations (%v), want %d", len(again), err, len(vs))
	}
	if ps := console.Problems(); len(ps) != 0 {
		t.Fatalf("injecting and running axe-core under the policy reported %v", ps)
	}

	open("/good")
	console.Reset()
	all, err := browsertest.AxeAll(b.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range all {
		t.Errorf("the good page breaks %s", v)
	}
	if ps := console.Problems(); len(ps) != 0 {
		t.Fatalf("running axe-core under the policy reported %v", ps)
	}
}

// TestCheckAxeFailsTheTest runs CheckAxe on the bad page with a recorder
// in place of the test: it reports one error per violation.
func TestCheckAxeFailsTheTest(t *testing.T) {
	srv := site(t, map[string]string{"/bad": badPage, "/good": goodPage})
	b := browsertest.New(t)
	for path, want := range map[string]int{"/bad": 2, "/good": 0} {
		if err := chromedp.Do(b.Ctx, chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{TB: t}
		browsertest.CheckAxe(rec, b.Ctx)
		if len(rec.errors) != want {
			t.Fatalf("%s: %d errors, want %d: %q", path, len(rec.errors), want, rec.errors)
		}
		for _, e := range rec.errors {
			if !strings.HasPrefix(e, srv.URL+path+": accessibility: ") {
				t.Errorf("the error does not name the page: %q", e)
			}
		}
	}
}

// TestCheckPages opens pages one after the other: the bad one fails the
// test for its two violations and its refused inline script, a missing
// one for its status, the good one not at all.
func TestCheckPages(t *testing.T) {
	srv := site(t, map[string]string{"/bad": badPage, "/good": goodPage})
	b := browsertest.New(t)
	rec := &recorder{TB: t}
	browsertest.CheckPages(rec, b.Ctx, srv.URL, "/good", "/bad", "/missing", "/good")
	var got []string
	for _, e := range rec.errors {
		e = strings.ReplaceAll(e, srv.URL, "")
		e, _, _ = strings.Cut(e, ":")
		got = append(got, e)
	}
	if strings.Join(got, " ") != "/bad /bad /bad /missing answered 404 Not Found" {
		t.Fatalf("errors: %q", rec.errors)
	}
	if !strings.Contains(rec.errors[2], "the page reported log (security)") || !strings.Contains(rec.errors[2], "inline script") {
		t.Errorf("the refused inline script: %q", rec.errors[2])
	}
}

// TestOverflow measures pages on a phone: one with a 600 px wide block
// after the body's 8 px margin scrolls sideways by 233 px, and CheckPages
// says so; one whose wide table
// scrolls in a wrapper of its own does not.
func TestOverflow(t *testing.T) {
	css := `.wide { width: 600px } .wrap { overflow-x: auto } table { width: 900px }`
	head := `</title><link rel="stylesheet" href="/phone.css">`
	srv := site(t, map[string]string{
		"/phone.css": css,
		"/wide":      strings.Replace(page("Wide", `<div class="wide">Too wide</div>`), "</title>", head, 1),
		"/wrapped":   strings.Replace(page("Wrapped", `<div class="wrap"><table><tr><th scope="col">A</th></tr><tr><td>1</td></tr></table></div>`), "</title>", head, 1),
	})
	b := browsertest.New(t)
	phone := b.NewTab(browsertest.Phone)
	for path, want := range map[string]int{"/wide": 8 + 600 - 375, "/wrapped": 0} {
		if err := chromedp.Do(phone, chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatal(err)
		}
		if n, err := browsertest.Overflow(phone); err != nil || n != want {
			t.Errorf("%s overflows by %d px (%v), want %d", path, n, err, want)
		}
	}
	rec := &recorder{TB: t}
	browsertest.CheckPages(rec, phone, srv.URL, "/wide")
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "/wide: the page is 233 px wider than the window: it scrolls sideways") {
		t.Errorf("CheckPages: %q", rec.errors)
	}
}

// TestConsoleProblems collects what pages report: an inline script the
// policy refused, a console.error and an uncaught exception from the
// page's own script, a resource that failed to load; and nothing for a
// quiet page.
func TestConsoleProblems(t *testing.T) {
	srv := site(t, map[string]string{
		"/inline": page("Inline", `<script>document.title = 'ran'</script>`),
		"/script": page("Script", `<script src="/app.js"></script>`),
		"/broken": page("Broken", `<img src="/missing.png" alt="Missing">`),
		"/quiet":  goodPage,
	})
	b := browsertest.New(t)
	console, err := browsertest.WatchConsole(b.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	open := func(path string) []browsertest.Problem {
		t.Helper()
		console.Reset()
		if err := chromedp.Do(b.Ctx, chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatal(err)
		}
		// Loading the image and reporting its failure may end after the
		// load event.
		_ = browsertest.WaitFor(b.Ctx, "a problem", `false`, 300*time.Millisecond)
		return console.Problems()
	}

	ps := open("/inline")
	if len(ps) != 1 || !ps[0].CSP() || ps[0].Kind != "log" || ps[0].Source != "security" || !strings.Contains(ps[0].Text, "inline script") {
		t.Errorf("inline script under the policy: %v", ps)
	}
	if title, _ := chromedp.Run(b.Ctx, chromedp.Title()); title != "Inline" {
		t.Errorf("the inline script ran: title %q", title)
	}

	ps = open("/script")
	var kinds []string
	for _, p := range ps {
		kinds = append(kinds, p.Kind)
	}
	if strings.Join(kinds, " ") != "console.error exception" ||
		ps[0].Text != "the widget could not start: 42" || !strings.HasSuffix(ps[0].URL, "/app.js") ||
		!strings.Contains(ps[1].Text, "TypeError") {
		t.Errorf("the page's script: %v", ps)
	}

	ps = open("/broken")
	if len(ps) != 1 || ps[0].Source != "network" || !strings.Contains(ps[0].Text, "404") || !strings.HasSuffix(ps[0].URL, "/missing.png") {
		t.Errorf("a missing image: %v", ps)
	}

	if ps := open("/quiet"); len(ps) != 0 {
		t.Errorf("a quiet page: %v", ps)
	}

	// Check reports each problem as an error of the test, then forgets them.
	open("/script")
	rec := &recorder{TB: t}
	console.Check(rec)
	if len(rec.errors) != 2 || !strings.HasPrefix(rec.errors[0], "the page reported console.error: the widget could not start: 42 [") {
		t.Errorf("Check: %q", rec.errors)
	}
	if ps := console.Problems(); len(ps) != 0 {
		t.Errorf("after Check: %v", ps)
	}
}

// TestScreenshotWidth takes full-page screenshots of a page taller than
// the window: PNGs as wide as the viewport (desktop, then phone) and as
// tall as the page.
func TestScreenshotWidth(t *testing.T) {
	srv := site(t, map[string]string{
		"/long":     strings.Replace(page("Long", `<div class="tall">Tall</div>`), "</title>", `</title><link rel="stylesheet" href="/long.css">`, 1),
		"/long.css": `.tall { height: 2000px; background: #eef }`,
	})
	b := browsertest.New(t)
	phone := b.NewTab(browsertest.Phone)
	for _, c := range []struct {
		ctx   context.Context
		width int
	}{{b.Ctx, 1280}, {phone, 375}} {
		if err := chromedp.Do(c.ctx, chromedp.Navigate(srv.URL+"/long")); err != nil {
			t.Fatal(err)
		}
		shot, err := chromedp.Run(c.ctx, browsertest.Screenshot())
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		if cfg.Width != c.width || cfg.Height < 2000 {
			t.Errorf("screenshot %dx%d, want %d wide and at least 2000 tall", cfg.Width, cfg.Height, c.width)
		}
	}
	if w, err := chromedp.Run(phone, chromedp.Evaluate[int](`window.innerWidth`)); err != nil || w != 375 {
		t.Errorf("the phone tab is %d px wide (%v)", w, err)
	}
}

// TestSignInThroughTheDashboard signs in with the dashboard's real form
// and session cookie; a wrong password is an error quoting the page. The
// sign-in page has no serious accessibility violation and reports no
// problem.
func TestSignInThroughTheDashboard(t *testing.T) {
	db := pgtest.OpenWith(t, "sqlite://"+filepath.Join(t.TempDir(), "sb.db"), store.Options{})
	ctx := context.Background()
	ws := &sb.Workspace{Name: "default"}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	svc := app.New(app.Config{}, app.Deps{Store: db})
	if _, err := svc.CreateUser(ctx, ws.ID, &app.CreateUserParams{Email: "ada@example.com", Role: sb.RoleAdmin, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	pages := dashboard.New(dashboard.Config{PublicURL: "http://127.0.0.1", SetupWorkspace: ws.ID}, dashboard.Deps{App: svc})
	pages.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer pages.Close() // ends the pages' live streams, which the server's Close waits for

	b := browsertest.New(t)
	console, err := browsertest.WatchConsole(b.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = browsertest.SignIn(b.Ctx, srv.URL, "ada@example.com", "not the password")
	if err == nil || !strings.Contains(err.Error(), "the page says") {
		t.Fatalf("a wrong password: %v", err)
	}
	browsertest.CheckAxe(t, b.Ctx)
	if err := browsertest.SignIn(b.Ctx, srv.URL, "ada@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	// Signing in leads to the dashboard's overview, which names who is
	// signed in.
	who, err := chromedp.Run(b.Ctx, chromedp.Text(`.who`))
	if err != nil || !strings.HasPrefix(who, "ada@example.com") {
		t.Fatalf("signed in as %q (%v)", who, err)
	}
	// A sign-in page that sends a signed-in browser on is an error at once,
	// not a wait for a form that never comes.
	mux.HandleFunc("GET /elsewhere/signin", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	err = browsertest.SignIn(b.Ctx, srv.URL+"/elsewhere", "ada@example.com", "correct horse battery")
	if err == nil || !strings.Contains(err.Error(), "the sign-in page sent the browser to "+srv.URL+"/ (") {
		t.Fatalf("a sign-in page that redirects: %v", err)
	}
	for _, p := range console.Problems() {
		// The refused sign-in answers 401: the browser logs that load.
		if p.Source == "network" && strings.Contains(p.Text, "401") {
			continue
		}
		t.Errorf("the sign-in pages reported %s", p)
	}
}

// TestFind looks for the browser where the documentation says.
func TestFind(t *testing.T) {
	missing := func(string) (os.FileInfo, error) { return nil, os.ErrNotExist }
	present := func(string) (os.FileInfo, error) { return nil, nil }
	noPath := func(string) (string, error) { return "", errors.New("not found") }
	env := func(vars ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(vars); i += 2 {
				if vars[i] == k {
					return vars[i+1]
				}
			}
			return ""
		}
	}
	if p, err := browsertest.FindWith(env(), present, noPath); p != browsertest.Debian || err != nil {
		t.Errorf("Debian's chromium: %q %v", p, err)
	}
	if p, err := browsertest.FindWith(env(browsertest.EnvPath, "/opt/chrome"), present, noPath); p != "/opt/chrome" || err != nil {
		t.Errorf("CHROMIUM_PATH: %q %v", p, err)
	}
	if _, err := browsertest.FindWith(env(browsertest.EnvPath, "/opt/chrome"), missing, noPath); err == nil || !strings.Contains(err.Error(), "/opt/chrome") {
		t.Errorf("a CHROMIUM_PATH that does not exist: %v", err)
	}
	onPath := func(name string) (string, error) {
		if name == "google-chrome" {
			return "/usr/local/bin/google-chrome", nil
		}
		return "", errors.New("not found")
	}
	if p, err := browsertest.FindWith(env(), missing, onPath); p != "/usr/local/bin/google-chrome" || err != nil {
		t.Errorf("on PATH: %q %v", p, err)
	}
	_, err := browsertest.FindWith(env(), missing, noPath)
	if err == nil || !strings.Contains(err.Error(), "/usr/bin/chromium is missing") || !strings.Contains(err.Error(), "chromium-browser") {
		t.Errorf("nothing found: %v", err)
	}
}

// TestRequireSkipsOrFails: without a browser a test is skipped, with a
// message saying what is missing and how to install it, except in CI
// where it fails.
func TestRequireSkipsOrFails(t *testing.T) {
	none := func() (string, error) { return "", errors.New("no Chromium: /usr/bin/chromium is missing") }
	for _, c := range []struct {
		ci       string
		skipped  bool
		contains string
	}{
		{"", true, "no Chromium: /usr/bin/chromium is missing: apt-get install chromium"},
		{"false", true, "apt-get install chromium"},
		{"true", false, "in CI the browser tests must run: .ci/run installs Debian's chromium package"},
	} {
		rec := &recorder{TB: t}
		done := make(chan string)
		go func() {
			defer func() { done <- "stopped" }()
			browsertest.RequireWith(rec, none, func(k string) string {
				if k == "CI" {
					return c.ci
				}
				return ""
			})
			done <- "went on"
		}()
		if got := <-done; got != "stopped" {
			t.Fatalf("CI=%q: the test went on without a browser", c.ci)
		}
		msg := rec.skip
		if !c.skipped {
			msg = rec.fatal
		}
		if msg == "" || (c.skipped && rec.fatal != "") || (!c.skipped && rec.skip != "") || !strings.Contains(msg, c.contains) {
			t.Errorf("CI=%q: skip %q, fatal %q; want %q in the %s", c.ci, rec.skip, rec.fatal, c.contains,
				map[bool]string{true: "skip", false: "failure"}[c.skipped])
		}
	}
	found := func() (string, error) { return "/usr/bin/chromium", nil }
	if p := browsertest.RequireWith(&recorder{TB: t}, found, os.Getenv); p != "/usr/bin/chromium" {
		t.Errorf("with a browser: %q", p)
	}
}

// recorder stands in for the test that a function of the package fails or
// skips: it records, and stops the goroutine as the real ones do.
type recorder struct {
	testing.TB
	errors      []string
	skip, fatal string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
