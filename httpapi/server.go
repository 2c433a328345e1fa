// Package httpapi serves Switchboard over HTTP: the REST API under /api/v1,
// the inbound hooks of the platforms under /hooks, the web chat's routes and
// the operational endpoints. Its handlers decode a request, call the
// business operations of package app, and encode the result: they hold no
// business rules. It authenticates, limits rates, keeps the idempotency
// records of POSTs, maps error codes to statuses and logs only internal
// errors.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/api"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/telemetry"
	"go.opentelemetry.io/otel/trace"
)

// Config is what the HTTP layer needs to know of the configuration.
type Config struct {
	PublicURL string  // the public base URL, as platforms call it (Twilio signs it)
	RateLimit float64 // requests per second per API key (and per IP without one)
	RateBurst int     // bucket size
	// MetricsToken, if set, is the bearer token /metrics requires; unset,
	// /metrics is open and serves no per-workspace series.
	MetricsToken string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed
	// (clientIP); none: the peer of the connection is the client.
	TrustedProxies []netip.Prefix
	// HookIPRefusals and HookChannelRefusals are the budgets of refused
	// /hooks requests per client IP and per channel; zero values: the
	// defaults (DefaultHookIPRefusals, DefaultHookChannelRefusals).
	HookIPRefusals      Budget
	HookChannelRefusals Budget
	// RefusalLogInterval is how often the refusals of /hooks from one
	// client IP are logged, counted, after the first; 0: a minute.
	RefusalLogInterval time.Duration
}

// IdempotencyStore keeps the responses of POSTs that carry an
// Idempotency-Key.
type IdempotencyStore interface {
	CreateIdempotencyRecord(ctx context.Context, r *sb.IdempotencyRecord) error
	GetIdempotencyRecord(ctx context.Context, scope, key string) (*sb.IdempotencyRecord, error)
	CompleteIdempotencyRecord(ctx context.Context, r *sb.IdempotencyRecord) error
	DeleteIdempotencyRecord(ctx context.Context, scope, key string) error
}

// Server is the HTTP face of Switchboard.
type Server struct {
	app     *app.Service
	records IdempotencyStore
	auth    *auth.Authenticator
	clock   sb.Clock
	cfg     Config
	log     *slog.Logger
	ready   func(context.Context) error
	metrics *metrics
	limits  *limiters
	hooks   *hookGuard
	gather  prometheus.Gatherer
	routes  []Route
	mux     *http.ServeMux
	webchat Webchat
	tracer  trace.Tracer

	oauth     OAuth        // nil: the OAuth endpoints answer 404
	authorize http.Handler // nil: /oauth/authorize answers 404
}

// Route is one registered operation.
type Route struct {
	Method string
	Path   string
	Scope  string // "" for routes that need no credentials
}

// Deps are the collaborators of the server.
type Deps struct {
	App         *app.Service     // the business operations
	Idempotency IdempotencyStore // where the responses of POSTs with an Idempotency-Key are kept
	Auth        *auth.Authenticator
	Clock       sb.Clock // nil: the system clock
	Logger      *slog.Logger
	Ready       func(context.Context) error // nil: always ready
	Registry    *prometheus.Registry        // metrics are registered here and served at /metrics
	Webchat     Webchat                     // nil: the web chat routes answer 404
	// Tracer starts the trace of each inbound hook request (nil: off).
	Tracer trace.Tracer
	// SharedLimits, if set, holds the API's rate-limit buckets for every
	// process on the database (PostgreSQL); nil keeps them in memory.
	SharedLimits sb.TokenBuckets
	OAuth        OAuth        // the authorization server; nil: its endpoints answer 404
	Authorize    http.Handler // the sign-in and consent pages of /oauth/authorize; nil: 404
}

// New builds the server and its routes.
func New(cfg Config, d Deps) *Server {
	if d.Ready == nil {
		d.Ready = func(context.Context) error { return nil }
	}
	if d.Clock == nil {
		d.Clock = sb.SystemClock{}
	}
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = 100
	}
	if d.Tracer == nil {
		d.Tracer = telemetry.Off
	}
	s := &Server{
		app: d.App, records: d.Idempotency, auth: d.Auth, clock: d.Clock, cfg: cfg, log: d.Logger, ready: d.Ready,
		metrics: newMetrics(d.Registry), limits: newLimiters(cfg.RateLimit, cfg.RateBurst),
		gather: d.Registry, mux: http.NewServeMux(), webchat: d.Webchat, oauth: d.OAuth, authorize: d.Authorize,
		tracer: d.Tracer,
	}
	if d.SharedLimits != nil {
		s.limits.share(d.SharedLimits, d.Logger)
	}
	s.hooks = newHookGuard(cfg, d.Logger)
	s.registerRoutes()
	return s
}

// Routes lists every operation the server answers.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// ServeHTTP answers a request; unknown paths and methods get problem+json.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) registerRoutes() {
	s.handle("GET /healthz", "", s.healthz)
	s.handle("GET /readyz", "", s.readyz)
	s.raw("GET /metrics", s.metricsHandler())
	s.handle("GET /api/v1/openapi.json", "", s.openapi)
	s.handle("GET /webchat/widget.js", "", s.webchatWidget)
	s.handle("GET /webchat/{channel_id}/ws", "", s.webchatWS)

	s.api1("GET /api/v1/api-keys", sb.ScopeAdmin, listPage(sb.PrefixAPIKey, s.app.ListAPIKeys, func(k *sb.APIKey) string { return k.ID }))
	s.api1("POST /api/v1/api-keys", sb.ScopeAdmin, create(decode, http.StatusCreated, s.app.CreateAPIKey))
	s.api1("GET /api/v1/api-keys/{id}", sb.ScopeAdmin, byID(kindAPIKey, s.app.GetAPIKey))
	s.api1("DELETE /api/v1/api-keys/{id}", sb.ScopeAdmin, deleteByID(kindAPIKey, s.app.RevokeAPIKey))

	s.api1("GET /api/v1/bots", sb.ScopeReadBots, listPage(sb.PrefixBot, s.app.ListBots, func(b *sb.Bot) string { return b.ID }))
	s.api1("POST /api/v1/bots", sb.ScopeWriteBots, create(decode, http.StatusCreated, s.app.CreateBot))
	s.api1("GET /api/v1/bots/{id}", sb.ScopeReadBots, byID(kindBot, s.app.GetBot))
	s.api1("DELETE /api/v1/bots/{id}", sb.ScopeWriteBots, deleteByID(kindBot, s.app.DeleteBot))
	s.api1("PUT /api/v1/bots/{id}/config", sb.ScopeWriteBots, s.putBotConfig)
	s.api1("POST /api/v1/bots/{id}/train", sb.ScopeWriteBots, s.trainBot)
	s.api1("POST /api/v1/bots/{id}/deploy", sb.ScopeWriteBots, changeByID(kindBot, decodeOptions, http.StatusOK, s.app.DeployBot))
	s.api1("GET /api/v1/bots/{id}/versions", sb.ScopeReadBots, s.listBotVersions)
	// A dry run: nothing is stored or sent, so reading bots is enough.
	s.api1("POST /api/v1/bots/{id}/parse", sb.ScopeReadBots, changeByID(kindBot, decodeObject, http.StatusOK, s.app.ParseBot))

	s.api1("GET /api/v1/channels", sb.ScopeReadChannels, listPage(sb.PrefixChannel, s.app.ListChannels, func(v app.ChannelView) string { return v.ID }))
	s.api1("POST /api/v1/channels", sb.ScopeWriteChannels, create(decode, http.StatusCreated, s.app.CreateChannel))
	s.api1("GET /api/v1/channels/{id}", sb.ScopeReadChannels, byID(kindChannel, s.app.GetChannel))
	s.api1("PATCH /api/v1/channels/{id}", sb.ScopeWriteChannels, changeByID(kindChannel, decode, http.StatusOK, s.app.UpdateChannel))
	s.api1("DELETE /api/v1/channels/{id}", sb.ScopeWriteChannels, deleteByID(kindChannel, s.app.DeleteChannel))
	// A refusal by the platform is 422 (nothing changed; try again).
	s.api1("POST /api/v1/channels/{id}/register", sb.ScopeWriteChannels, byID(kindChannel, s.app.RegisterChannel))
	s.handle("POST /hooks/channels/{id}", "", s.hook)
	s.handle("GET /hooks/channels/{id}", "", s.hook)

	s.api1("GET /api/v1/contacts", sb.ScopeReadConversations, s.listContacts)
	s.api1("GET /api/v1/contacts/{id}", sb.ScopeReadConversations, byID(kindContact, s.app.GetContact))
	s.api1("PATCH /api/v1/contacts/{id}", sb.ScopeWriteConversations, changeByID(kindContact, decode, http.StatusOK, s.app.UpdateContact))

	s.api1("GET /api/v1/conversations", sb.ScopeReadConversations, s.listConversations)
	s.api1("POST /api/v1/conversations", sb.ScopeWriteConversations, create(decode, http.StatusCreated, s.app.StartConversation))
	s.api1("GET /api/v1/conversations/{id}", sb.ScopeReadConversations, byID(kindConversation, s.app.GetConversation))
	s.api1("PUT /api/v1/conversations/{id}", sb.ScopeWriteConversations, changeByID(kindConversation, decode, http.StatusOK, s.app.UpdateConversation))
	s.api1("DELETE /api/v1/conversations/{id}", sb.ScopeWriteConversations, deleteByID(kindConversation, s.app.DeleteConversation))

	s.api1("GET /api/v1/conversations/{id}/messages", sb.ScopeReadMessages, s.listMessages)
	// A message from an agent or the bot to the contact: 202, sent through
	// the channel afterwards.
	s.api1("POST /api/v1/conversations/{id}/messages", sb.ScopeWriteMessages, changeByID(kindConversation, decode, http.StatusAccepted, s.app.Reply))
	s.api1("GET /api/v1/conversations/{id}/messages/{message_id}", sb.ScopeReadMessages, s.getMessage)
	// A proactive message to a platform user: 202, as above.
	s.api1("POST /api/v1/messages", sb.ScopeWriteMessages, create(decode, http.StatusAccepted, s.app.Send))

	s.api1("GET /api/v1/knowledge", sb.ScopeReadKnowledge, s.listFacts)
	// An upsert on (key, subject): 201 for a new fact, 200 for a replaced one.
	s.api1("POST /api/v1/knowledge", sb.ScopeWriteKnowledge, s.putFact)
	s.api1("GET /api/v1/knowledge/{id}", sb.ScopeReadKnowledge, byID(kindFact, s.app.GetFact))
	s.api1("DELETE /api/v1/knowledge/{id}", sb.ScopeWriteKnowledge, deleteByID(kindFact, s.app.DeleteFact))

	s.api1("GET /api/v1/events", sb.ScopeReadWebhooks, s.listEvents)
	s.api1("GET /api/v1/events/{id}", sb.ScopeReadWebhooks, byID(kindEvent, s.app.GetEvent))
	s.api1("GET /api/v1/event-types", sb.ScopeReadWebhooks, s.listEventTypes)

	s.api1("GET /api/v1/webhooks", sb.ScopeReadWebhooks, listPage(sb.PrefixEndpoint, s.app.ListWebhooks, func(e *sb.WebhookEndpoint) string { return e.ID }))
	s.api1("POST /api/v1/webhooks", sb.ScopeWriteWebhooks, create(decodeObject, http.StatusCreated, s.app.CreateWebhook))
	s.api1("GET /api/v1/webhooks/{id}", sb.ScopeReadWebhooks, byID(kindEndpoint, s.app.GetWebhook))
	s.api1("PATCH /api/v1/webhooks/{id}", sb.ScopeWriteWebhooks, changeByID(kindEndpoint, decodeObject, http.StatusOK, s.app.UpdateWebhook))
	s.api1("DELETE /api/v1/webhooks/{id}", sb.ScopeWriteWebhooks, deleteByID(kindEndpoint, s.app.DeleteWebhook))
	s.api1("POST /api/v1/webhooks/{id}/rotate-secret", sb.ScopeWriteWebhooks, changeByID(kindEndpoint, decodeOptions, http.StatusOK, s.app.RotateWebhookSecret))
	// A webhook.test event to one endpoint, whatever its event types.
	s.api1("POST /api/v1/webhooks/{id}/test", sb.ScopeWriteWebhooks, changeByID(kindEndpoint, decodeOptions, http.StatusAccepted, s.app.TestWebhook))
	s.api1("POST /api/v1/webhooks/{id}/replay", sb.ScopeWriteWebhooks, s.replayWebhook)
	s.api1("GET /api/v1/webhooks/{id}/deliveries", sb.ScopeReadWebhooks, s.listDeliveries)
	s.api1("GET /api/v1/deliveries/{id}", sb.ScopeReadWebhooks, s.getDelivery)
	s.api1("POST /api/v1/deliveries/{id}/retry", sb.ScopeWriteWebhooks, s.retryDelivery)

	s.registerIntegrationRoutes()
	s.registerTurnRoutes()
	s.registerIdentityRoutes()

	s.mux.Handle("/", s.observe("unmatched", http.HandlerFunc(s.unmatched)))
}

// api1 registers an authenticated /api/v1 operation.
func (s *Server) api1(pattern, scope string, h handlerFunc) {
	s.add(pattern, scope)
	s.mux.Handle(pattern, s.observe(pattern, s.api(scope, h)))
}

// handle registers an operation that needs no credentials.
func (s *Server) handle(pattern, scope string, h handlerFunc) {
	s.add(pattern, scope)
	s.mux.Handle(pattern, s.observe(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})))
}

func (s *Server) raw(pattern string, h http.Handler) {
	s.add(pattern, "")
	s.mux.Handle(pattern, s.observe(pattern, h))
}

func (s *Server) add(pattern, scope string) {
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.TrimSuffix(path, "{$}") // "/{$}" is the exact path "/"
	s.routes = append(s.routes, Route{Method: method, Path: path, Scope: scope})
}

// unmatched answers paths no route has (404) and methods a path does not
// allow (405 with Allow), as problem+json.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) == 0 {
		s.fail(w, r, sb.Errorf(sb.ENotFound, "No such path: %s.", r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusMethodNotAllowed)
	_ = writeJSONProblem(w, r, http.StatusMethodNotAllowed, "Method not allowed",
		r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+strings.Join(allowed, ", ")+".")
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return respond(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.ready(r.Context()); err != nil {
		s.log.Warn("not ready", "error", err)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		return writeJSONProblem(w, r, http.StatusServiceUnavailable, "Not ready", err.Error())
	}
	return respond(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(api.Document)
	return err
}
