package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/channel/webchat"
	"github.com/switchboardhq/switchboard/dashboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/httpapi"
	"github.com/switchboardhq/switchboard/internal/connlimit"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/secret"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/telemetry"
	"github.com/switchboardhq/switchboard/webhook"
	"go.opentelemetry.io/otel/trace"
)

// Main is one Switchboard process: the configuration and everything wired
// from it.
type Main struct {
	Config Config
	Stdout io.Writer // where the first-start key and the URLs are printed
	Logger *slog.Logger
	Clock  sb.Clock // the one clock of the process (nil: the system's)
	// TracerProvider receives the process's spans (package telemetry).
	// Nil: Start sets up the OTLP exporter when OTEL_EXPORTER_OTLP_ENDPOINT
	// is set, and tracing stays off otherwise.
	TracerProvider trace.TracerProvider
	tracer         trace.Tracer
	stopTracing    func(context.Context) error

	DB *store.DB
	// Channels and Engines are the providers of this build (providers.go).
	Channels sb.Channels
	Engines  sb.Engines
	App      *app.Service       // the business operations, for every front end
	Pipeline *pipeline.Pipeline // inbound messages, bot turns, sends
	Webchat  *webchat.Handler   // the web chat widget's WebSocket
	hub      *webchat.Hub       // web chat messages, from the pipeline's sends to the widgets
	auth     *auth.Authenticator
	Listener net.Listener
	HTTP     *http.Server
	Addr     string // the address actually listened on

	Dispatcher *webhook.Dispatcher // outbound webhook delivery (delivery.go)

	// Integrations are the integration types (integrations.go).
	Integrations sb.Integrations
	// Identity (identity.go): the OAuth 2.0 authorization server, the
	// dashboard's pages, and the setup link printed at a start without users.
	OAuth     *auth.OAuthServer
	Dashboard *dashboard.Handler
	setupLink string
	masterKey []byte
	api       *httpapi.Server
}

// Open opens and migrates the database and makes sure the default workspace
// (and the bootstrap key) exist.
func (m *Main) Open(ctx context.Context) error {
	key, err := secret.LoadOrCreateKey(m.Config.SecretKey, m.Config.DataDir)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	m.masterKey = key
	box, err := secret.New(key)
	if err != nil {
		return err
	}
	m.DB, err = store.Open(ctx, m.Config.DatabaseURL, store.Options{Sealer: box, Logger: m.Logger, Clock: m.clock(),
		SharedCaches: true, DirectURL: m.Config.DatabaseDirectURL})
	if err != nil {
		return fmt.Errorf("opening the database: %w", err)
	}
	if err := m.DB.Migrate(ctx); err != nil {
		return fmt.Errorf("migrating the database: %w", err)
	}
	return nil
}

// Migrate applies the migrations and exits.
func (m *Main) Migrate(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.DB.Close()
	fmt.Fprintln(m.Stdout, "migrations applied to", redactURL(m.Config.DatabaseURL))
	return nil
}

// Serve runs until ctx is cancelled, then drains: it stops accepting,
// finishes in-flight requests (bounded by the shutdown timeout) and returns
// nil.
func (m *Main) Serve(ctx context.Context) error {
	if err := m.Start(ctx); err != nil {
		m.Close()
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- m.HTTP.Serve(m.Listener) }()
	select {
	case err := <-errc:
		m.Close()
		return err
	case <-ctx.Done():
	}
	m.Logger.Info("shutting down: draining in-flight requests", "timeout", m.Config.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	// Everything stops taking work at once and finishes what is in flight.
	// Deliveries not yet started are released, and those of events that the
	// pipeline's last jobs emit are left unleased: the next process to run
	// (or another one on the same PostgreSQL) sends them.
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		m.stopDelivery(sctx)
	}()
	err := m.HTTP.Shutdown(sctx)
	m.Webchat.Close() // WebSockets are not drained by Shutdown: 1001 tells the widgets to reconnect
	if perr := m.Pipeline.Stop(sctx); perr != nil {
		m.Logger.Warn("stopping the pipeline: jobs cut short run again at the next start", "error", perr)
	}
	<-delivered
	m.Close()
	if err != nil {
		return fmt.Errorf("draining: %w", err)
	}
	m.Logger.Info("stopped")
	return nil
}

// clock is the process's clock.
func (m *Main) clock() sb.Clock {
	if m.Clock == nil {
		return sb.SystemClock{}
	}
	return m.Clock
}

// Start opens everything and listens, without serving yet.
func (m *Main) Start(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		return err
	}
	created, err := m.bootstrap(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	m.Listener = connlimit.PerIP(ln, m.Config.MaxConnsPerIP)
	m.Addr = m.Listener.Addr().String()
	if m.Config.PublicURL == "http://"+m.Config.Addr && m.Addr != m.Config.Addr {
		m.Config.PublicURL = "http://" + m.Addr // port 0: show the real one
	}
	if err := m.startTracing(ctx); err != nil {
		return err
	}
	m.auth = auth.New(m.DB, m.Logger, m.clock())
	m.hub = webchat.NewHub()
	m.Channels, m.Engines = m.providers(m.hub)
	if err := m.newDelivery(); err != nil {
		return err
	}
	m.Pipeline = m.newPipeline()
	m.App = app.New(app.Config{
		PublicURL: m.Config.PublicURL,
		// Endpoint URLs are checked as the dispatcher will connect.
		WebhookPolicy: egress.Policy{AllowPrivate: m.Config.WebhookAllowPrivate},
	}, app.Deps{Store: m.DB, Pipeline: m.Pipeline, Channels: m.Channels, Engines: m.Engines,
		Events: m.Dispatcher.Publisher(), Keys: m.auth, Clock: m.clock(), Integrations: m.newIntegrations()})
	// Automations run from every event published, from the first.
	m.Dispatcher.Publisher().Observe(m.App)
	m.Pipeline.QueueActionsWith(m.App) // builtin intents' actions
	m.Pipeline.ToolsWith(m.App)        // the llm engine's tools
	if err := m.startIdentity(ctx); err != nil {
		return err
	}
	// Started after app registered its jobs' workers (training, runs);
	// stopped by Serve's drain or Close.
	m.Pipeline.Start(context.Background())
	m.Webchat = m.newWebchat()
	m.startDelivery(ctx)
	m.HTTP = &http.Server{
		Handler:           closeAfterChunked(m.handler()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.HTTP.RegisterOnShutdown(m.Dashboard.Close) // the dashboard's live streams never end by themselves
	go m.purgeLoop(ctx)
	m.printBanner(created)
	return nil
}

// MaxHeaderBytes bounds the request line and headers of one request
// (Go's default is 1 MiB); a request with more is answered 431. No client
// of Switchboard needs more than a few KiB (an API key, a platform's
// signature headers, a browser's cookies for the widget; proxies such as
// nginx stop at 8 to 32 KiB), and each connection holding an unfinished
// header can pin this much memory: with the per-IP connection cap it keeps
// what one address can hold to tens of MiB instead of hundreds.
const MaxHeaderBytes = 64 << 10

// closeAfterChunked closes the connection after answering a request whose
// body came with a Transfer-Encoding. A request with both Content-Length
// and Transfer-Encoding may be an attempt to smuggle a second request past
// a proxy that reads the other length: RFC 9112 §6.3 asks a server that
// answers it to close the connection afterwards. Go's server lets the
// chunked encoding win and drops Content-Length before handlers run, so
// they cannot tell the two cases apart; every request with a
// Transfer-Encoding is closed after, which costs only keep-alive on
// chunked uploads (platforms send a Content-Length).
func closeAfterChunked(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 && r.ProtoMajor == 1 {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

func (m *Main) handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerPoolMetrics(reg, "writer", m.DB.Stats)
	reg.MustRegister(m.Dispatcher.Collectors()...)
	reg.MustRegister(m.Pipeline.Collectors()...)
	if m.DB.Dialect() == "sqlite" {
		registerPoolMetrics(reg, "reader", m.DB.ReaderStats)
	}
	return m.withPages(httpapi.New(httpapi.Config{
		PublicURL:      m.Config.PublicURL,
		RateLimit:      m.Config.RateLimit,
		RateBurst:      m.Config.RateBurst,
		MetricsToken:   m.Config.MetricsToken,
		TrustedProxies: m.Config.TrustedProxies,
	}, httpapi.Deps{
		App:          m.App,
		Idempotency:  m.DB,
		Auth:         m.auth,
		Tracer:       m.tracer,
		SharedLimits: m.sharedLimits(),
		Clock:        m.clock(),
		Logger:       m.Logger,
		Ready:        m.DB.Ready,
		Registry:     reg,
		Webchat:      m.Webchat,
		OAuth:        m.OAuth,
		Authorize:    m.Dashboard.Authorize(),
	}))
}

// bootstrap creates the default workspace, the bootstrap key if one is
// configured, and otherwise an admin key if the workspace has none. It
// returns the secret of a key it created and must show, or "".
func (m *Main) bootstrap(ctx context.Context) (string, error) {
	ws, err := ensureWorkspace(ctx, m.DB, sb.DefaultWorkspace)
	if err != nil {
		return "", err
	}
	if k := m.Config.BootstrapKey; k != "" {
		_, err := m.DB.GetAPIKeyByHash(ctx, auth.Hash(k))
		if sb.ErrorCode(err) != sb.ENotFound {
			return "", err
		}
		err = m.DB.CreateAPIKey(ctx, auth.NewAPIKey(ws.ID, "bootstrap", []string{sb.ScopeAdmin}, k))
		if sb.ErrorCode(err) == sb.EConflict { // another process created it
			err = nil
		}
		return "", err
	}
	keys, err := m.DB.ListAPIKeys(ctx, ws.ID, sb.Page{Limit: 1})
	if err != nil || len(keys) > 0 {
		return "", err
	}
	secretValue, _ := auth.NewKey()
	return secretValue, m.DB.CreateAPIKey(ctx, auth.NewAPIKey(ws.ID, "admin", []string{sb.ScopeAdmin}, secretValue))
}

// ensureWorkspace finds a workspace by name, creating it if it is missing.
func ensureWorkspace(ctx context.Context, db sb.Store, name string) (*sb.Workspace, error) {
	ws, err := db.GetWorkspaceByName(ctx, name)
	if sb.ErrorCode(err) != sb.ENotFound {
		return ws, err
	}
	ws = &sb.Workspace{ID: sb.NewID(sb.PrefixWorkspace), Name: name}
	if err := db.CreateWorkspace(ctx, ws); sb.ErrorCode(err) == sb.EConflict {
		return db.GetWorkspaceByName(ctx, name) // created meanwhile by another process
	} else if err != nil {
		return nil, err
	}
	return ws, nil
}

func (m *Main) printBanner(createdKey string) {
	base := "http://" + m.Addr
	fmt.Fprintf(m.Stdout, "Switchboard %s is running on %s\n", Version(), redactURL(m.Config.DatabaseURL))
	fmt.Fprintf(m.Stdout, "  Dashboard:  %s/\n", base)
	fmt.Fprintf(m.Stdout, "  API:        %s/api/v1  (OpenAPI document: %s/api/v1/openapi.json)\n", base, base)
	if createdKey != "" {
		fmt.Fprintf(m.Stdout, "\nAdmin API key for the default workspace (shown once; store it now):\n  %s\n\n", createdKey)
		fmt.Fprintf(m.Stdout, "Try it:\n  curl -H 'Authorization: Bearer %s' %s/api/v1/bots\n\n", createdKey, base)
	}
	m.printSetupLink()
	fmt.Fprintln(m.Stdout, "Press Ctrl+C to stop.")
}

// purgeLoop removes expired idempotency records and knowledge facts every
// hour.
func (m *Main) purgeLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := m.DB.DeleteIdempotencyRecordsBefore(ctx, m.clock().Now().Add(-httpapi.IdempotencyTTL))
		if err != nil && !errors.Is(err, context.Canceled) {
			m.Logger.Warn("purging idempotency records", "error", err)
		} else if n > 0 {
			m.Logger.Debug("purged idempotency records", "count", n)
		}
		// A bucket idle for an hour is full again: forgetting it changes
		// nothing.
		if _, err := m.DB.PurgeRateLimits(ctx, m.clock().Now().Add(-time.Hour)); err != nil && !errors.Is(err, context.Canceled) {
			m.Logger.Warn("purging idle rate-limit buckets", "error", err)
		}
		if n, err := m.App.PurgeExpiredFacts(ctx); err != nil && !errors.Is(err, context.Canceled) {
			m.Logger.Warn("purging expired facts", "error", err)
		} else if n > 0 {
			m.Logger.Debug("purged expired facts", "count", n)
		}
		if n, err := m.App.PurgeIntegrationHistory(ctx, m.Config.Retention); err != nil && !errors.Is(err, context.Canceled) {
			m.Logger.Warn("purging integration runs and hooks", "error", err)
		} else if n > 0 {
			m.Logger.Debug("purged integration runs and hooks", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close closes the web chat's WebSockets, stops the pipeline (if Serve has
// not) and releases the database.
func (m *Main) Close() {
	if m.Webchat != nil {
		m.Webchat.Close()
	}
	if m.Pipeline != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = m.Pipeline.Stop(ctx)
		cancel()
	}
	if m.Dispatcher != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		m.stopDelivery(ctx) // a no-op after Serve's drain
		cancel()
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil {
			m.Logger.Warn("closing the database", "error", err)
		}
	}
	if m.stopTracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := m.stopTracing(ctx); err != nil {
			m.Logger.Warn("flushing traces", "error", err)
		}
		cancel()
	}
}

// sharedLimits are the rate-limit buckets every process on the database
// shares: on PostgreSQL, where several processes may serve; nil on SQLite.
func (m *Main) sharedLimits() sb.TokenBuckets {
	if m.DB.Dialect() == store.DialectPostgres {
		return m.DB
	}
	return nil
}

// startTracing sets up the process's tracer: the given TracerProvider, or
// the OTLP exporter the environment configures, or none.
func (m *Main) startTracing(ctx context.Context) error {
	if m.TracerProvider == nil {
		tp, shutdown, err := telemetry.Start(ctx, Version())
		if err != nil {
			return fmt.Errorf("tracing: %w", err)
		}
		m.TracerProvider, m.stopTracing = tp, shutdown
		if tp != nil {
			m.Logger.Info("tracing: exporting spans over OTLP")
		}
	}
	m.tracer = telemetry.Tracer(m.TracerProvider)
	return nil
}

// redactURL hides the password of a database URL.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if user, _, ok := strings.Cut(rest[:at], ":"); ok {
				return s[:i+3] + user + ":xxxxx" + rest[at:]
			}
		}
	}
	return s
}
