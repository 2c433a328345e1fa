package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/httpapi"
	"github.com/switchboardhq/switchboard/internal/providers"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/queue"
	"github.com/switchboardhq/switchboard/retry"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/webhook"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is a real server on loopback over a real database, with keys of two
// workspaces.
type env struct {
	t      testing.TB
	srv    *httptest.Server
	db     *store.DB
	api    *httpapi.Server
	ws     *sb.Workspace
	admin  string // admin key of the workspace under test
	other  string // admin key of another workspace
	reader string // key with read scopes only
	spec   *specChecker
	pipe   *pipeline.Pipeline  // not started: tests run its jobs with RunDue
	disp   *webhook.Dispatcher // not started unless a test starts it
	opts   envOptions
	jobs   *queue.Queue // integration runs and hooks; not started
	ops    *app.Service
}

type envOptions struct {
	rate         float64
	burst        int
	allowPrivate bool      // outbound URLs (webhooks, platforms, bots, callbacks) may be on loopback
	log          io.Writer // where the server logs (Info and above); nil: nowhere
	// trusted are the trusted proxies (X-Forwarded-For believed from them).
	trusted []netip.Prefix
	// hookIP and hookChannel are the refusal budgets of /hooks; zero: the
	// server's defaults.
	hookIP, hookChannel httpapi.Budget
	// engines replace the build's bot engines of the same names.
	engines []sb.BotEngine
	// integrations are integration types beyond those of this build.
	integrations []sb.IntegrationProvider
}

// platformsOnLoopback is the env of tests whose fake platforms, bots and
// callback receivers listen on loopback: private addresses are allowed.
var platformsOnLoopback = envOptions{rate: 10000, burst: 10000, allowPrivate: true}

// plenty is a refusal budget no test spends.
var plenty = httpapi.Budget{PerSecond: 10000, Burst: 10000}

func newEnv(t testing.TB, url string, opts ...envOptions) *env {
	t.Helper()
	o := envOptions{rate: 10000, burst: 10000, hookIP: plenty, hookChannel: plenty}
	if len(opts) > 0 {
		o = opts[0]
	}
	e := serveEnv(t, url, o)
	e.ws = e.workspace("default")
	e.admin = e.key(e.ws, sb.ScopeAdmin)
	e.other = e.key(e.workspace("other"), sb.ScopeAdmin)
	e.reader = e.key(e.ws, sb.ScopeReadBots, sb.ScopeReadChannels, sb.ScopeReadConversations, sb.ScopeReadMessages, sb.ScopeReadWebhooks)
	return e
}

// peer is a second server on the database of e, with its own store, caches
// and pipeline, as another process sharing a PostgreSQL database is; it
// uses the workspace and keys of e.
func (e *env) peer(t testing.TB, url string) *env {
	p := serveEnv(t, url, envOptions{rate: 10000, burst: 10000, hookIP: plenty, hookChannel: plenty,
		allowPrivate: e.opts.allowPrivate, engines: e.opts.engines})
	p.ws, p.admin, p.other, p.reader = e.ws, e.admin, e.other, e.reader
	return p
}

// serveEnv opens and migrates the database at url and serves the API over
// it on loopback.
func serveEnv(t testing.TB, url string, o envOptions) *env {
	t.Helper()
	logOut := o.log
	if logOut == nil {
		logOut = io.Discard
	}
	logger := slog.New(slog.NewTextHandler(logOut, nil))
	db := pgtest.Open(t, url)
	e := &env{t: t, db: db, spec: loadSpec(t), opts: o}
	// The dispatcher is built here so that events are published to it; it
	// runs once a test starts it (startDispatcher). No retries: a failed
	// attempt fails the delivery.
	disp, err := webhook.New(db, webhook.Config{Schedule: retry.Schedule{}, Client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	e.disp = disp
	// The providers of this build, calling customer URLs with the test
	// client (loopback allowed, for fake bots and api channels) and
	// platforms as the server does: through egress under the env's policy.
	platform := egress.NewClient(egress.Policy{AllowPrivate: o.allowPrivate}, 10*time.Second)
	channels, engines := providers.New(platform, testClient(), "test", nil)
	for _, en := range o.engines {
		engines[en.Name()] = en
	}
	e.pipe = newPipeline(db, disp.Publisher(), logger, channels, engines)
	authn := auth.New(db, logger, nil)
	ops := app.New(app.Config{PublicURL: "https://sb.example.com", WebhookPolicy: egress.Policy{AllowPrivate: o.allowPrivate}},
		app.Deps{Store: db, Pipeline: e.pipe, Channels: channels, Engines: engines, Events: disp.Publisher(), Keys: authn,
			Integrations: e.integrationDeps(o)})
	e.ops = ops
	e.pipe.ToolsWith(ops)
	e.api = httpapi.New(httpapi.Config{PublicURL: "https://sb.example.com", RateLimit: o.rate, RateBurst: o.burst,
		TrustedProxies: o.trusted, HookIPRefusals: o.hookIP, HookChannelRefusals: o.hookChannel},
		httpapi.Deps{App: ops, Idempotency: db, Auth: authn, Logger: logger, Registry: prometheus.NewRegistry(), Ready: db.Ready})
	e.srv = httptest.NewServer(e.api)
	t.Cleanup(func() {
		e.srv.Close()
		_ = e.pipe.Stop(context.Background())
	})
	return e
}

// integrationDeps are the integration types of this build and o's, their
// queue (e.jobs, not started) and a client that reaches loopback.
func (e *env) integrationDeps(o envOptions) app.IntegrationDeps {
	all := []sb.IntegrationProvider{}
	for _, p := range providers.Integrations() {
		all = append(all, p)
	}
	e.jobs = queue.New(queue.Config{}, queue.Deps{Store: e.db, Commit: writer(e.pipe.Write)})
	return app.IntegrationDeps{Providers: sb.NewIntegrations(append(all, o.integrations...)...), Jobs: e.jobs,
		Client: testClient(), Retry: retry.Schedule{time.Millisecond}}
}

// writer makes Pipeline.Write a queue.Committer.
type writer func(ctx context.Context, fn func(q sb.Queries) error) error

func (w writer) Do(ctx context.Context, fn func(q sb.Queries) error) error { return w(ctx, fn) }

func (w writer) DoKey(ctx context.Context, _ string, fn func(q sb.Queries) error) error {
	return w(ctx, fn)
}

func (e *env) workspace(name string) *sb.Workspace {
	ws := &sb.Workspace{ID: sb.NewID(sb.PrefixWorkspace), Name: name, CreatedAt: time.Now().UTC()}
	if err := e.db.CreateWorkspace(context.Background(), ws); err != nil {
		e.t.Fatal(err)
	}
	return ws
}

func (e *env) key(ws *sb.Workspace, scopes ...string) string {
	secretValue, _ := auth.NewKey()
	if err := e.db.CreateAPIKey(context.Background(), auth.NewAPIKey(ws.ID, "test", scopes, secretValue)); err != nil {
		e.t.Fatal(err)
	}
	return secretValue
}

// response is an answer of the server, already checked against the
// OpenAPI document.
type response struct {
	status int
	header http.Header
	body   []byte
}

// obj decodes the body as a JSON object.
func (r *response) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

func (r *response) str(t testing.TB, field string) string {
	t.Helper()
	s, _ := r.obj(t)[field].(string)
	return s
}

// data returns the items of a list response.
func (r *response) data(t testing.TB) []map[string]any {
	t.Helper()
	var l struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatalf("not a list: %v\n%s", err, r.body)
	}
	return l.Data
}

// call sends a request. body is sent as is if it is a string or []byte,
// else marshalled. headers are name, value pairs.
func (e *env) call(method, path, key string, body any, headers ...string) *response {
	e.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	r := &response{status: res.StatusCode, header: res.Header, body: out}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	e.spec.check(e.t, req, r)
	return r
}

// must sends a request and fails the test unless the status is want.
func (e *env) must(want int, method, path, key string, body any, headers ...string) *response {
	e.t.Helper()
	r := e.call(method, path, key, body, headers...)
	if r.status != want {
		e.t.Fatalf("%s %s = %d, want %d\n%s", method, path, r.status, want, r.body)
	}
	return r
}

// problem checks that r is a problem+json answer with the status and code,
// naming field if field is not empty.
func (r *response) problem(t testing.TB, status int, code, field string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p struct {
		Code      string          `json:"code"`
		Status    int             `json:"status"`
		RequestID string          `json:"request_id"`
		Errors    []sb.FieldError `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	replayed := r.header.Get("Idempotent-Replayed") == "true" // the body is the first request's
	if p.Code != code || p.Status != status || p.RequestID == "" || (!replayed && p.RequestID != r.header.Get("X-Request-Id")) {
		t.Fatalf("problem %+v, want code %s status %d and the request id\n%s", p, code, status, r.body)
	}
	if field == "" {
		return
	}
	for _, f := range p.Errors {
		if f.Field == field || strings.HasPrefix(f.Field, field+".") || strings.HasPrefix(f.Field, field+"[") {
			return
		}
	}
	t.Fatalf("errors %+v do not name %q", p.Errors, field)
}

func newRegistry() *prometheus.Registry { return prometheus.NewRegistry() }
