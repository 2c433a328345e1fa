package dashboard_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/dashboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/internal/providers"
	"github.com/switchboardhq/switchboard/retry"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/webhook"
)

// The admin pages' tests run on a stack with the channel types of this
// build and a running webhook dispatcher, with private addresses allowed
// so that fake platforms and receivers can listen on loopback (the
// default policy refuses them).

const (
	hostile        = `<img src=x onerror=alert(1)>`
	hostileEscaped = `&lt;img src=x onerror=alert(1)&gt;`
	adminEmail     = "ada@example.com"
	adminPassword  = "correct horse battery"
	publicURL      = "https://sb.example.com"
)

// newAdminStack is newStack with channels, a webhook dispatcher (started;
// no retries: a failed attempt fails its delivery) and private
// addresses allowed. The admin ada@example.com is signed in.
func newAdminStack(t *testing.T) *stack {
	t.Helper()
	db := pgtest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "sb.db"))
	ctx := context.Background()
	ws := &sb.Workspace{Name: "default"}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	policy := egress.Policy{AllowPrivate: true}
	client := egress.NewClient(policy, 5*time.Second)
	disp, err := webhook.New(db, webhook.Config{Schedule: retry.Schedule{}, Client: client})
	if err != nil {
		t.Fatal(err)
	}
	disp.Start(ctx)
	t.Cleanup(func() { _ = disp.Stop(context.Background()) })
	channels, engines := providers.New(client, client, "test", nil)
	svc := app.New(app.Config{PublicURL: publicURL, WebhookPolicy: policy},
		app.Deps{Store: db, Channels: channels, Engines: engines, Events: disp.Publisher()})
	if _, err := svc.CreateUser(ctx, ws.ID, &app.CreateUserParams{Email: adminEmail, Role: sb.RoleAdmin, Password: adminPassword}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	dashboard.New(dashboard.Config{PublicURL: "http://example.test", SetupWorkspace: ws.ID}, dashboard.Deps{App: svc,
		Logger: slog.New(slog.NewTextHandler(testLog{t}, nil))}).Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	s := &stack{srv: srv, app: svc, db: db, ws: ws.ID, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	s.signIn(t, adminEmail, adminPassword)
	return s
}

// testLog writes the pages' log to the test's.
type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// token returns the CSRF token of the signed-in session, read from a page.
func (s *stack) token(t *testing.T) string {
	t.Helper()
	_, body := s.do(t, "GET", "/settings", nil)
	m := csrf.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on /settings")
	}
	return m[1]
}

// post posts a console form with the session's CSRF token.
func (s *stack) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", s.token(t))
	return s.do(t, "POST", path, form)
}

// page GETs a console page and checks what every page promises.
func (s *stack) page(t *testing.T, path string, want int) string {
	t.Helper()
	res, body := s.do(t, "GET", path, nil)
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d\n%s", path, res.StatusCode, want, body)
	}
	checkConsolePage(t, path, res, body)
	return body
}

// follow checks that a post redirected (POST, redirect, GET) and returns
// the page it led to, with its notice.
func (s *stack) follow(t *testing.T, res *http.Response, body string) (string, string) {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("%s %s: %d, want a redirect\n%s", res.Request.Method, res.Request.URL.Path, res.StatusCode, body)
	}
	to := res.Header.Get("Location")
	_, page := s.do(t, "GET", to, nil)
	return to, page
}

// confirmFirst checks that GET path is a confirmation page that names
// every one of wants and posts to path; nothing is done yet.
func confirmFirst(t *testing.T, s *stack, path string, wants ...string) {
	t.Helper()
	body := s.page(t, path, http.StatusOK)
	if !strings.Contains(body, `<form method="post" action="`+path+`"`) || !strings.Contains(body, `class="consequences"`) {
		t.Fatalf("%s is not a confirmation page\n%s", path, body)
	}
	for _, w := range wants {
		if !strings.Contains(html.UnescapeString(body), w) {
			t.Errorf("the confirmation %s does not say %q", path, w)
		}
	}
}

// fieldError checks that body shows a message tied to the control of the
// field named by the API's name (id ID-error, aria-invalid) .
func fieldError(t *testing.T, what, body, name, id string) {
	t.Helper()
	if !strings.Contains(body, "<code>"+name+"</code>") {
		t.Errorf("%s: the error summary does not name %s", what, name)
	}
	if !strings.Contains(body, `id="`+id+`-error"`) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("%s: no message by the control %s", what, id)
	}
}

var idIn = func(prefix string) *regexp.Regexp { return regexp.MustCompile(`/(` + prefix + `_[0-9A-Za-z]+)`) }

// receiver is a webhook endpoint on loopback that records the requests it
// gets and answers 200, or 502 while failing.
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []*http.Request
	fail bool
	// delay is how long it takes to answer.
	delay time.Duration
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, r)
		fail, delay := rc.fail, rc.delay
		rc.mu.Unlock()
		time.Sleep(delay)
		if fail {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "receiver down "+hostile)
			return
		}
		_, _ = io.WriteString(w, "thanks")
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setFail(v bool) {
	rc.mu.Lock()
	rc.fail = v
	rc.mu.Unlock()
}

func (rc *receiver) setDelay(d time.Duration) {
	rc.mu.Lock()
	rc.delay = d
	rc.mu.Unlock()
}

// settled waits for a delivery to leave pending.
func settled(t *testing.T, s *stack, id string) *app.DeliveryWithAttempts {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := s.app.GetDelivery(context.Background(), s.ws, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != sb.DeliveryPending {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s still pending", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
