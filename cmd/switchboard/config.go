package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/switchboardhq/switchboard/app"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/auth"
	"github.com/switchboardhq/switchboard/internal/connlimit"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/retry"
	"github.com/switchboardhq/switchboard/webhook"
)

// Config is the whole configuration of a Switchboard process. Every field
// has a flag and an environment variable of the same meaning (flag
// --database-url = env SWITCHBOARD_DATABASE_URL); flags win.
type Config struct {
	Addr                string         // listen address
	DataDir             string         // embedded database and generated keys
	DatabaseURL         string         // sqlite://PATH or postgres://…; default sqlite://$DATA_DIR/switchboard.db
	DatabaseDirectURL   string         // postgres://… reaching PostgreSQL itself, for migrations and LISTEN; default DatabaseURL
	PublicURL           string         // base of inbound webhook URLs; default http://$ADDR
	BootstrapKey        string         // an admin API key with exactly this value exists after start
	SecretKey           string         // master key for secrets at rest; default generated into the data dir
	MetricsToken        string         // bearer token /metrics requires; unset: open, without per-workspace series
	WebhookAllowPrivate bool           // allow outbound calls to loopback and private addresses
	LogFormat           string         // text or json
	LogLevel            string         // debug, info, warn or error
	RateLimit           float64        // API requests per second per key
	RateBurst           int            // API request burst per key
	MaxConnsPerIP       int            // connections one client IP may hold open at once
	TrustedProxies      []netip.Prefix // proxies whose X-Forwarded-For is believed; none by default
	ShutdownTimeout     time.Duration  // how long SIGTERM waits for in-flight work
	InactivityTimeout   time.Duration  // a conversation idle this long ends
	SendRetry           retry.Schedule // retries of outbound sends to platforms
	BotRetry            retry.Schedule // retries of calls to a webhook bot's service
	Workers             int            // pipeline jobs (bot turns, sends) running at once
	IntegrationRetry    retry.Schedule // retries of integration action runs
	WebhookTimeout      time.Duration  // bound of each webhook delivery attempt
	WebhookRetry        retry.Schedule // delays between webhook delivery attempts
	WebhookConcurrency  int            // webhook requests in flight per endpoint
	WebhookLease        time.Duration  // how long a process holds a delivery it claimed
	WebhookPollInterval time.Duration  // how often due and orphaned deliveries are looked for
	WebhookDisableAfter time.Duration  // an endpoint failing this long is disabled
	Retention           time.Duration  // events, deliveries, attempts and finished integration runs older than this are purged

	AccessTokenTTL time.Duration // lifetime of OAuth access tokens (JWTs); default 15m
}

// setting describes one configuration field for the flag set and the
// environment.
type setting struct {
	name  string // flag name; env is SWITCHBOARD_ + NAME with - as _
	usage string
	value flag.Value
}

func (c *Config) settings() []setting {
	return []setting{
		{"addr", "listen address", (*stringValue)(&c.Addr)},
		{"data-dir", "where the embedded database and generated keys live", (*stringValue)(&c.DataDir)},
		{"database-url", "sqlite://PATH (default: sqlite://$DATA_DIR/switchboard.db) or postgres://…", (*stringValue)(&c.DatabaseURL)},
		{"database-direct-url", "postgres://… reaching PostgreSQL itself when database-url goes through a pooler in transaction mode (PgBouncer): the migrations and the connection listening for changes use it (default: database-url)", (*stringValue)(&c.DatabaseDirectURL)},
		{"public-url", "base URL of the inbound webhook URLs shown to users (default: http://$ADDR)", (*stringValue)(&c.PublicURL)},
		{"bootstrap-key", "if set, an admin API key with exactly this value exists in the default workspace", (*stringValue)(&c.BootstrapKey)},
		{"secret-key", "master key encrypting stored secrets (default: generated into the data dir)", (*stringValue)(&c.SecretKey)},
		{"metrics-token", "if set, /metrics requires Authorization: Bearer <this token> and serves per-endpoint series; unset, it is open and sums them", (*stringValue)(&c.MetricsToken)},
		{"webhook-allow-private", "allow outbound webhooks and bot/integration calls to loopback and private addresses", (*boolValue)(&c.WebhookAllowPrivate)},
		{"log-format", "text or json", (*stringValue)(&c.LogFormat)},
		{"log-level", "debug, info, warn or error", (*stringValue)(&c.LogLevel)},
		{"rate-limit", "API requests per second per API key", (*floatValue)(&c.RateLimit)},
		{"rate-burst", "API requests a key may make at once", (*intValue)(&c.RateBurst)},
		{"max-conns-per-ip", "connections one client IP address may hold open at once; more are closed when accepted (behind a reverse proxy every connection comes from the proxy: raise it)", (*intValue)(&c.MaxConnsPerIP)},
		{"trusted-proxies", "comma-separated CIDRs of the reverse proxies whose X-Forwarded-For is believed (default: none; the peer address is the client)", (*prefixListValue)(&c.TrustedProxies)},
		{"shutdown-timeout", "how long SIGTERM waits for in-flight requests", (*durationValue)(&c.ShutdownTimeout)},
		{"inactivity-timeout", "a conversation with no message for this long ends; the next message starts a new one", (*durationValue)(&c.InactivityTimeout)},
		{"send-retry-schedule", "delays between attempts to send a message to a platform (429 and 5xx)", (*scheduleValue)(&c.SendRetry)},
		{"bot-retry-schedule", "delays between attempts to call a webhook bot's service", (*scheduleValue)(&c.BotRetry)},
		{"workers", "bot turns and sends running at once", (*intValue)(&c.Workers)},
		{"integration-retry-schedule", "delays between attempts of an integration action run (network errors, 429 and 5xx; a Retry-After wins)", (*scheduleValue)(&c.IntegrationRetry)},
		{"webhook-timeout", "how long a webhook delivery attempt may take, reading the response included", (*durationValue)(&c.WebhookTimeout)},
		{"webhook-retry-schedule", "delays between webhook delivery attempts (each ±20 % jitter)", (*scheduleValue)(&c.WebhookRetry)},
		{"webhook-concurrency", "webhook requests in flight per endpoint", (*intValue)(&c.WebhookConcurrency)},
		{"webhook-lease", "how long a process holds a delivery it claimed (at least twice webhook-timeout)", (*durationValue)(&c.WebhookLease)},
		{"webhook-poll-interval", "how often due retries and deliveries left by stopped processes are looked for", (*durationValue)(&c.WebhookPollInterval)},
		{"webhook-disable-after", "an endpoint whose every attempt failed for this long is disabled", (*durationValue)(&c.WebhookDisableAfter)},
		{"retention", "events, deliveries, attempts and finished integration runs older than this are purged", (*durationValue)(&c.Retention)},
		{"access-token-ttl", "lifetime of the OAuth access tokens (JWTs) the server issues, from 1m to 24h", (*durationValue)(&c.AccessTokenTTL)},
	}
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./switchboard-data",
		LogFormat:       "text",
		LogLevel:        "info",
		RateLimit:       100,
		RateBurst:       200,
		MaxConnsPerIP:   connlimit.DefaultPerIP,
		ShutdownTimeout: 30 * time.Second,
		// The pipeline's own defaults, spelled out for the help text.
		InactivityTimeout: 24 * time.Hour,
		SendRetry:         append(retry.Schedule(nil), pipeline.DefaultSendRetry...),
		BotRetry:          append(retry.Schedule(nil), pipeline.DefaultBotRetry...),
		Workers:           pipeline.DefaultConcurrency,
		IntegrationRetry:  append(retry.Schedule(nil), app.DefaultRunRetry...),

		WebhookTimeout:      webhook.DefaultTimeout,
		WebhookRetry:        append(retry.Schedule(nil), webhook.DefaultSchedule...),
		WebhookConcurrency:  webhook.DefaultConcurrency,
		WebhookLease:        webhook.DefaultLease,
		WebhookPollInterval: webhook.DefaultPollInterval,
		WebhookDisableAfter: webhook.DefaultDisableAfter,
		Retention:           webhook.DefaultRetention,

		AccessTokenTTL: auth.DefaultAccessTokenTTL,
	}
}

// EnvName is the environment variable of a flag.
func EnvName(flagName string) string {
	return "SWITCHBOARD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// register adds the settings to fs, after applying the environment, so
// that flags override env which overrides defaults.
func (c *Config) register(fs *flag.FlagSet, getenv func(string) string) error {
	for _, s := range c.settings() {
		if v := getenv(EnvName(s.name)); v != "" {
			if err := s.value.Set(v); err != nil {
				return fmt.Errorf("%s: %v", EnvName(s.name), err)
			}
		}
		fs.Var(s.value, s.name, s.usage+" (env "+EnvName(s.name)+")")
	}
	return nil
}

// Finish fills in derived defaults and validates the configuration.
func (c *Config) Finish() error {
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite://" + filepath.Join(c.DataDir, "switchboard.db")
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q must be host:port", c.Addr))
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite://") && !isPostgresURL(c.DatabaseURL) {
		errs = append(errs, errors.New("database-url must start with sqlite:// or postgres://"))
	}
	if c.DatabaseDirectURL != "" {
		switch {
		case !isPostgresURL(c.DatabaseDirectURL):
			errs = append(errs, errors.New("database-direct-url must start with postgres://"))
		case !isPostgresURL(c.DatabaseURL):
			errs = append(errs, errors.New("database-direct-url needs a postgres:// database-url"))
		}
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("public-url %q must be an absolute http(s) URL", c.PublicURL))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format %q must be text or json", c.LogFormat))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.RateLimit <= 0 || c.RateBurst < 1 {
		errs = append(errs, errors.New("rate-limit must be positive and rate-burst at least 1"))
	}
	if c.MaxConnsPerIP < 1 {
		errs = append(errs, errors.New("max-conns-per-ip must be at least 1"))
	}
	if c.InactivityTimeout < time.Minute {
		errs = append(errs, errors.New("inactivity-timeout must be at least 1m"))
	}
	if c.Workers < 1 || c.Workers > 4096 {
		errs = append(errs, errors.New("workers must be from 1 to 4096"))
	}
	if c.BootstrapKey != "" && len(c.BootstrapKey) < 16 {
		errs = append(errs, errors.New("bootstrap-key must be at least 16 characters"))
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		errs = append(errs, errors.New("metrics-token must be at least 16 characters"))
	}
	if c.AccessTokenTTL < time.Minute || c.AccessTokenTTL > 24*time.Hour {
		errs = append(errs, errors.New("access-token-ttl must be from 1m to 24h"))
	}
	errs = append(errs, c.checkDelivery())
	return errors.Join(errs...)
}

// isPostgresURL reports whether u names a PostgreSQL database.
func isPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

type stringValue string

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) String() string     { return string(*v) }

type boolValue bool

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	*v = boolValue(b)
	return err
}
func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }

type floatValue float64

func (v *floatValue) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	*v = floatValue(f)
	return err
}
func (v *floatValue) String() string { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }

type intValue int

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	*v = intValue(n)
	return err
}
func (v *intValue) String() string { return strconv.Itoa(int(*v)) }

type scheduleValue retry.Schedule

func (v *scheduleValue) Set(s string) error {
	sched, err := retry.ParseSchedule(s)
	if err == nil {
		*v = scheduleValue(sched)
	}
	return err
}
func (v *scheduleValue) String() string { return retry.Schedule(*v).String() }

// prefixListValue is a comma-separated list of CIDRs; a bare address is
// one address.
type prefixListValue []netip.Prefix

func (v *prefixListValue) Set(s string) error {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		var p netip.Prefix
		var err error
		if strings.Contains(f, "/") {
			p, err = netip.ParsePrefix(f)
		} else {
			var a netip.Addr
			a, err = netip.ParseAddr(f)
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if err != nil {
			return fmt.Errorf("%q is not a CIDR or an IP address", f)
		}
		out = append(out, p.Masked())
	}
	*v = out
	return nil
}

func (v *prefixListValue) String() string {
	var s []string
	for _, p := range *v {
		s = append(s, p.String())
	}
	return strings.Join(s, ",")
}

type durationValue time.Duration

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	*v = durationValue(d)
	return err
}
func (v *durationValue) String() string { return time.Duration(*v).String() }
