package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/dashboard"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

type stack struct {
	srv    *httptest.Server
	app    *app.Service
	db     *store.DB
	ws     string
	client *http.Client
}

func newStack(t *testing.T) *stack {
	t.Helper()
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
	dashboard.New(dashboard.Config{PublicURL: "http://example.test", SetupWorkspace: ws.ID}, dashboard.Deps{App: svc}).Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &stack{srv: srv, app: svc, db: db, ws: ws.ID, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (s *stack) do(t *testing.T, method, path string, form url.Values, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.srv.URL+path, strings.NewReader(form.Encode()))
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

var (
	inputID = regexp.MustCompile(`<input id="([^"]+)"`)
	csrf    = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
)

// TestPagesAreSafeAndLabelled checks what every page promises: a strict
// CSP without scripts, no framing, no inline style or script, and a label
// for each visible control.
func TestPagesAreSafeAndLabelled(t *testing.T) {
	s := newStack(t)
	for _, path := range []string{"/signin", "/setup?token=x"} {
		res, body := s.do(t, "GET", path, nil)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if res.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", path, res.Header.Get("X-Frame-Options"))
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "style=") || strings.Contains(body, "<style") {
			t.Errorf("%s has inline script or style", path)
		}
		ids := inputID.FindAllStringSubmatch(body, -1)
		if len(ids) < 2 {
			t.Fatalf("%s: no inputs found", path)
		}
		for _, m := range ids {
			if !strings.Contains(body, `<label for="`+m[1]+`">`) {
				t.Errorf("%s: input %s has no label", path, m[1])
			}
		}
	}
	res, _ := s.do(t, "GET", "/dashboard/static/style.css", nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("stylesheet: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// TestSignInAndOut covers the forms' CSRF protection, the refusal of
// cross-origin posts, and a sign-out that ends the session on the server.
func TestSignInAndOut(t *testing.T) {
	s := newStack(t)
	_, page := s.do(t, "GET", "/signin", nil)
	token := csrf.FindStringSubmatch(page)[1]
	good := url.Values{"csrf_token": {token}, "email": {"ada@example.com"}, "password": {"correct horse battery"}, "next": {"/x?y=1"}}

	noToken := url.Values{"email": good["email"], "password": good["password"]}
	if res, _ := s.do(t, "POST", "/signin", noToken); res.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in without the CSRF token: %d", res.StatusCode)
	}
	if res, _ := s.do(t, "POST", "/signin", good, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin sign-in: %d", res.StatusCode)
	}
	evil := url.Values{"csrf_token": {token}, "email": good["email"], "password": good["password"], "next": {"//evil.example/"}}
	res, _ := s.do(t, "POST", "/signin", evil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("sign-in with an off-site next: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	var cookie string
	for _, c := range res.Cookies() {
		if c.Name == "sb_session" {
			cookie = c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("session cookie %+v", c)
			}
		}
	}
	sess, u, err := s.app.Session(context.Background(), cookie)
	if err != nil || u.Email != "ada@example.com" || u.LastLoginAt == nil {
		t.Fatalf("session after sign-in: %v %+v", err, u)
	}
	if res, _ := s.do(t, "POST", "/signout", url.Values{"csrf_token": {"wrong"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-out with a wrong CSRF token: %d", res.StatusCode)
	}
	if res, _ := s.do(t, "POST", "/signout", url.Values{"csrf_token": {sess.CSRFToken}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", res.StatusCode)
	}
	if _, _, err := s.app.Session(context.Background(), cookie); sb.ErrorCode(err) != sb.ENotFound {
		t.Fatalf("the session outlived sign-out: %v", err)
	}
}
