package switchboard

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Integration types.
const (
	IntegrationShopify    = "shopify"
	IntegrationSalesforce = "salesforce"
	IntegrationHubSpot    = "hubspot"
	IntegrationHTTP       = "http"
)

// Integration statuses: the same words as a channel's.
const (
	IntegrationConnected    = ChannelConnected
	IntegrationDisconnected = ChannelDisconnected
	IntegrationError        = ChannelError
)

// More id prefixes.
const (
	PrefixRun             = "run"
	PrefixAutomation      = "aut"
	PrefixIntegrationHook = "ih"
)

// Integration connects a workspace to one account of a business system
// (a Shopify shop, a Salesforce org, any HTTP API). Config holds the public
// settings; Secrets the secret ones, encrypted at rest and never returned
// by the API.
type Integration struct {
	ID          string            `json:"id"`
	WorkspaceID string            `json:"-"`
	Type        string            `json:"type"`
	Name        string            `json:"name"`
	Status      string            `json:"status"`
	Config      map[string]any    `json:"config"`
	Secrets     map[string]string `json:"-"`
	// WebhookURL is the inbound URL the system calls,
	// {PUBLIC_URL}/hooks/integrations/{id}, for types that take inbound
	// webhooks; empty otherwise. It is not stored.
	WebhookURL string    `json:"webhook_url,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// APIBaseURL returns the integration's api_base_url override, or def.
func (in *Integration) APIBaseURL(def string) string {
	if s, ok := in.Config[integrationBaseURL.Name].(string); ok && s != "" {
		return strings.TrimSuffix(s, "/")
	}
	return def
}

// Setting returns a string setting of the integration, secret or public.
func (in *Integration) Setting(name string) string {
	if s, ok := in.Secrets[name]; ok {
		return s
	}
	s, _ := in.Config[name].(string)
	return s
}

// Object returns an object setting (FieldObject) of the integration,
// secret or public, or nil when it is not set.
func (in *Integration) Object(name string) map[string]string {
	if s, ok := in.Secrets[name]; ok {
		var m map[string]string
		if json.Unmarshal([]byte(s), &m) == nil {
			return m
		}
		return nil
	}
	switch v := in.Config[name].(type) {
	case map[string]string:
		return v
	case map[string]any:
		m := make(map[string]string, len(v))
		for k, x := range v {
			if s, ok := x.(string); ok {
				m[k] = s
			}
		}
		return m
	}
	return nil
}

// Kinds of integration settings (IntegrationField.Kind).
const (
	FieldString   = ""         // a string
	FieldObject   = "object"   // an object of strings (headers, message templates)
	FieldDuration = "duration" // a duration such as "10s"
)

// IntegrationField describes one configuration field of an integration
// type.
type IntegrationField struct {
	Name        string
	Description string
	Kind        string // FieldString, FieldObject or FieldDuration
	Secret      bool   // write-only; encrypted at rest (an object is kept as its JSON text)
	Required    bool
	URL         bool     // an absolute http(s) URL Switchboard calls
	OneOf       []string // the values a string may take
	Keys        []string // the keys an object may have (nil: any)
	// Max bounds a duration (zero: no bound).
	Max time.Duration
}

// ActionSpec describes one action of an integration type.
type ActionSpec struct {
	Name        string
	Description string
	// Params is the JSON Schema (an object schema) of the action's params,
	// for the OpenAPI document and for validation. Params are templates:
	// a string value may hold placeholders ({{event.*}}, {{params.*}},
	// {{conversation.*}}, {{contact.*}}, {{knowledge.*}}), filled when
	// the action runs.
	Params json.RawMessage
}

// IntegrationSpec is what a provider says about its integration type: its
// configuration, its actions, and whether it takes inbound webhooks.
// Every type also takes api_base_url (Fields need not list it).
type IntegrationSpec struct {
	Type        string
	Description string
	Fields      []IntegrationField
	Actions     []ActionSpec
	// Inbound says that the type takes webhooks at
	// /hooks/integrations/{id} (the provider implements HookHandler).
	Inbound bool
	// Check, if set, validates the merged settings beyond what Fields
	// say, once every field passed. Its errors name "config.<field>".
	Check func(config map[string]any, secrets map[string]string) error
	// OutboundURLs, if set, returns the URLs the settings make
	// Switchboard call beyond the URL fields (a shop's domain), by field
	// name ("config.shop_domain"), to check against the address policy.
	OutboundURLs func(config map[string]any, secrets map[string]string) map[string]string
}

// integrationBaseURL is the setting every integration type takes.
var integrationBaseURL = IntegrationField{Name: "api_base_url", URL: true,
	Description: "Overrides the system's API base URL (tests, self-hosted systems)."}

// AllFields returns Fields with api_base_url first.
func (s *IntegrationSpec) AllFields() []IntegrationField {
	return append([]IntegrationField{integrationBaseURL}, s.Fields...)
}

// Action returns the spec of the named action.
func (s *IntegrationSpec) Action(name string) (ActionSpec, bool) {
	for _, a := range s.Actions {
		if a.Name == name {
			return a, true
		}
	}
	return ActionSpec{}, false
}

// ActionNames returns the names of the type's actions, in spec order.
func (s *IntegrationSpec) ActionNames() []string {
	names := make([]string, len(s.Actions))
	for i, a := range s.Actions {
		names[i] = a.Name
	}
	return names
}

// URLs returns the URLs the settings make Switchboard call, by field name
// ("config.api_base_url"): every URL field that is set, and what
// OutboundURLs adds. The API checks each against the address policy.
func (s *IntegrationSpec) URLs(config map[string]any, secrets map[string]string) map[string]string {
	out := map[string]string{}
	for _, f := range s.AllFields() {
		if !f.URL {
			continue
		}
		v, _ := config[f.Name].(string)
		if f.Secret {
			v = secrets[f.Name]
		}
		if v != "" && !strings.Contains(v, "{{") {
			out["config."+f.Name] = v
		}
	}
	if s.OutboundURLs != nil {
		maps.Copy(out, s.OutboundURLs(config, secrets))
	}
	return out
}

// ParseConfig validates raw as the configuration of an integration of
// this type, merged over the existing settings (nil on create), and splits
// it into public settings and secrets. A field given as null is removed;
// an object field given replaces the old one whole. Field names in errors
// are prefixed with "config.".
func (s *IntegrationSpec) ParseConfig(raw json.RawMessage, oldConfig map[string]any, oldSecrets map[string]string) (map[string]any, map[string]string, error) {
	in := map[string]json.RawMessage{}
	if len(raw) > 0 && string(raw) != "null" {
		if err := DecodeStrict(raw, &in, "config"); err != nil {
			return nil, nil, err
		}
	}
	config, secrets := mergeBase(oldConfig, oldSecrets)
	known := map[string]IntegrationField{}
	for _, f := range s.AllFields() {
		known[f.Name] = f
	}
	var v Validation
	for _, name := range slices.Sorted(maps.Keys(in)) {
		value := in[name]
		f, ok := known[name]
		field := "config." + name
		if !ok {
			v.Add(field, "is not a setting of a "+s.Type+" integration")
			continue
		}
		if string(value) == "null" {
			delete(config, name)
			delete(secrets, name)
			continue
		}
		if f.Kind == FieldObject {
			obj, ok := f.parseObject(&v, field, value)
			if !ok {
				continue
			}
			if f.Secret {
				b, _ := json.Marshal(obj)
				secrets[name] = string(b)
			} else {
				config[name] = obj
			}
			continue
		}
		var str string
		if json.Unmarshal(value, &str) != nil {
			v.Add(field, "must be a string")
			continue
		}
		if msg := f.checkString(str); msg != "" {
			v.Add(field, msg)
			continue
		}
		if f.Secret {
			secrets[name] = str
		} else {
			config[name] = str
		}
	}
	required := requiredNames(s.Fields, func(f IntegrationField) (string, bool) { return f.Name, f.Required })
	if err := settle(&v, s.Type+" integration", required, config, secrets, s.Check); err != nil {
		return nil, nil, err
	}
	return config, secrets, nil
}

// settle ends the parse of settings merged into config and secrets: each
// required field must be set (what names the type in the message, "telegram
// channel"), then check, if any, judges the whole. Errors name fields as
// "config.<name>".
func settle(v *Validation, what string, required []string, config map[string]any, secrets map[string]string, check func(map[string]any, map[string]string) error) error {
	for _, name := range required {
		_, inConfig := config[name]
		_, inSecrets := secrets[name]
		if !inConfig && !inSecrets {
			v.Add("config."+name, "is required for a "+what)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if check != nil {
		return check(config, secrets)
	}
	return nil
}

// requiredNames lists the names of the required fields of a spec.
func requiredNames[F any](fields []F, required func(F) (string, bool)) []string {
	var names []string
	for _, f := range fields {
		if name, ok := required(f); ok {
			names = append(names, name)
		}
	}
	return names
}

// mergeBase returns copies of the stored settings for new ones to be
// merged into (empty maps on create).
func mergeBase(oldConfig map[string]any, oldSecrets map[string]string) (map[string]any, map[string]string) {
	config, secrets := maps.Clone(oldConfig), maps.Clone(oldSecrets)
	if config == nil {
		config = map[string]any{}
	}
	if secrets == nil {
		secrets = map[string]string{}
	}
	return config, secrets
}

func (f IntegrationField) parseObject(v *Validation, field string, value json.RawMessage) (map[string]any, bool) {
	var obj map[string]any
	if json.Unmarshal(value, &obj) != nil || obj == nil {
		v.Add(field, "must be an object of strings")
		return nil, false
	}
	ok := true
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if _, isString := obj[k].(string); !isString {
			v.Add(field+"."+k, "must be a string")
			ok = false
		} else if f.Keys != nil && !slices.Contains(f.Keys, k) {
			v.Add(field+"."+k, "is not one of "+strings.Join(f.Keys, ", "))
			ok = false
		}
	}
	return obj, ok
}

func (f IntegrationField) checkString(s string) string {
	switch {
	case f.URL && !strings.Contains(s, "{{"):
		return CheckHTTPURL(s)
	case f.Kind == FieldDuration:
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return "must be a positive duration such as 10s"
		}
		if f.Max > 0 && d > f.Max {
			return "must be at most " + f.Max.String()
		}
	case f.OneOf != nil && !slices.Contains(f.OneOf, s):
		return "must be one of " + strings.Join(f.OneOf, ", ")
	case f.Required && s == "":
		return "must not be empty"
	}
	return ""
}

// IntegrationProvider is one type of business system. Providers are
// stateless: everything they need comes in the call (the integration with
// its opened secrets, the HTTP client to use). Each lives in its own
// package, integration/<type>, and describes its type itself (Spec);
// cmd/switchboard registers it (Integrations).
type IntegrationProvider interface {
	// Spec describes the type. It is the same on every call; callers must
	// not change it.
	Spec() *IntegrationSpec
	// Run runs one action once. The caller logs the attempt, and retries
	// it on an *ActionError that says so. Errors are *ActionError.
	Run(ctx context.Context, call *ActionCall) (*ActionResult, error)
}

// ActionCall is one attempt at an action of an integration.
type ActionCall struct {
	Integration *Integration
	Action      string
	// Params are the action's params with their placeholders filled.
	Params json.RawMessage
	// IdempotencyKey is the same for every attempt of one run, and
	// differs between runs: pass it where the system takes one.
	IdempotencyKey string
	Attempt        int // 1 for the first attempt, 2 for the first retry, ...
	// Conversation, Contact and Transcript are set when the run concerns
	// a conversation (nil and "" otherwise). Transcript is its messages,
	// one a line ("contact: hello").
	Conversation *Conversation
	Contact      *Contact
	Transcript   string
	// Fill fills a template from the integration's config ({{params.*}},
	// {{event.*}}, {{conversation.*}}, {{contact.*}}, {{knowledge.*}});
	// FillJSON does the same for a JSON document, each value written as
	// the contents of a JSON string (quotes and backslashes escaped).
	// Both fail with ErrorCode EInvalid when a placeholder cannot be
	// filled. Never nil.
	Fill     func(ctx context.Context, template string) (string, error)
	FillJSON func(ctx context.Context, template string) (string, error)
	// Client makes every outbound call (an egress client: the address
	// policy, no redirects, a timeout).
	Client *http.Client
	Now    time.Time
}

// ActionResult is what a successful action answered.
type ActionResult struct {
	// Output is the run's result, a JSON value shown in the API (the
	// record created, the answer of the API called).
	Output json.RawMessage
	// StatusCode and ResponseHead are those of the last response, for the
	// attempt log.
	StatusCode   int
	ResponseHead string
	// Facts are kept in the transaction that records the run
	// (integration/http's store_as).
	Facts []FactUpsert
}

// ActionError is a failed attempt at an action.
//
//   - Retryable: a network error, a 5xx or a 429; tried again after
//     RetryAfter if set, else after the retry schedule's delay (a 429 or
//     503's Retry-After in Header is honoured there).
//   - CredentialsRefused: the system refused the credentials (401, 403):
//     the run fails, the integration's status becomes error and
//     integration.disconnected is emitted.
//   - neither: a permanent failure (a 4xx, a bad answer); the run fails.
type ActionError struct {
	Retryable          bool
	CredentialsRefused bool
	RetryAfter         time.Duration
	StatusCode         int         // the system's HTTP status, 0 if none
	Header             http.Header // the response headers, if any
	Message            string      // what went wrong, in a few words
	// Response is the head of the system's error body, for the run's log.
	Response string
}

func (e *ActionError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("%s (status %d)", e.Message, e.StatusCode)
	}
	return e.Message
}

// ResponseHead is the first MaxResponseHead bytes of body (as webhook
// deliveries keep), cut on a character boundary.
func ResponseHead(body []byte) string {
	if len(body) <= MaxResponseHead {
		return strings.ToValidUTF8(string(body), "\uFFFD")
	}
	cut := MaxResponseHead
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return strings.ToValidUTF8(string(body[:cut]), "\uFFFD")
}

// StatusActionError classifies a non-2xx answer of a system: 401 and 403
// refuse the credentials; 429, 408 and 5xx are retryable; anything else is
// permanent. message names the call ("hubspot: batch upsert").
func StatusActionError(message string, status int, h http.Header, body []byte) *ActionError {
	return &ActionError{
		Retryable:          status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500,
		CredentialsRefused: status == http.StatusUnauthorized || status == http.StatusForbidden,
		StatusCode:         status,
		Header:             h,
		Message:            message,
		Response:           ResponseHead(body),
	}
}

// FactUpsert is a knowledge fact an integration keeps, upserted on (key,
// subject). The subject is at most one of ContactID, Email, Phone; none:
// the whole workspace. Its source is the integration.
type FactUpsert struct {
	Key       string          `json:"key"`
	ContactID string          `json:"contact_id,omitempty"`
	Email     string          `json:"email,omitempty"`
	Phone     string          `json:"phone,omitempty"`
	Text      string          `json:"text"`
	Data      json.RawMessage `json:"data,omitempty"`
	ExpiresAt *time.Time      `json:"expires_at,omitempty"`
	// AsOf is the time of the system's state the fact describes (an
	// order's updated_at): a fact of an older state never replaces it.
	AsOf *time.Time `json:"as_of,omitempty"`
}

// HookHandler is implemented by providers whose system sends webhooks
// (IntegrationSpec.Inbound): POST /hooks/integrations/{id}.
type HookHandler interface {
	// VerifyHook checks an inbound request with the system's own scheme
	// (its signature over the raw body, with the integration's secrets)
	// and names it: the system's delivery id, used to drop repeats (""
	// when the system sends none: the body's hash is used), and its topic.
	// An error answers 401 and nothing is stored.
	VerifyHook(in *Integration, h http.Header, body []byte) (*VerifiedHook, error)
	// ProcessHook turns a stored hook into effects, which the app applies
	// in one transaction. It runs after the hook was answered, perhaps
	// more than once for one hook (after a crash): effects must be the
	// same each time (the dedup keys make messages go once). An
	// *ActionError that is Retryable processes the hook again later; any
	// other error drops it (logged).
	ProcessHook(ctx context.Context, call *HookCall) (*HookEffects, error)
}

// VerifiedHook is what VerifyHook made of a request.
type VerifiedHook struct {
	DeliveryID string
	Topic      string
}

// IntegrationHook is an inbound webhook of an integration, as stored.
type IntegrationHook struct {
	ID            string          `json:"id"`
	WorkspaceID   string          `json:"-"`
	IntegrationID string          `json:"integration_id"`
	DeliveryID    string          `json:"delivery_id"`
	Topic         string          `json:"topic"`
	Body          json.RawMessage `json:"-"`
	ReceivedAt    time.Time       `json:"received_at"`
}

// HookCall is one processing of a stored hook.
type HookCall struct {
	Integration *Integration
	Hook        *IntegrationHook
	Client      *http.Client
	Now         time.Time
}

// HookEffects is what a hook changes, applied in one transaction.
type HookEffects struct {
	Facts    []FactUpsert
	Messages []ProactiveMessage
	Events   []*Event // events of the registered types (EventTypes)
}

// ProactiveMessage is a message Switchboard starts: sent to every contact
// of ChannelID whose email is Email or whose phone is Phone (either may be
// empty), at most once per (DedupKey, contact), whatever repeats of the
// hook or crashes happen.
type ProactiveMessage struct {
	ChannelID string
	Email     string
	Phone     string
	Text      string
	DedupKey  string
}

// HookRegistrar is implemented by providers whose system's API registers
// webhooks (Shopify's webhook subscriptions):
// POST /integrations/{id}/register.
type HookRegistrar interface {
	Register(ctx context.Context, call *RegisterCall) error
}

// RegisterCall is one registration of Switchboard's inbound URL.
type RegisterCall struct {
	Integration *Integration
	WebhookURL  string
	Client      *http.Client
}

// Runs: how they started, and where they are.
const (
	TriggerAPI        = "api"
	TriggerAutomation = "automation"
	TriggerIntent     = "intent"

	RunQueued    = "queued"
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
)

// Run is one run of an integration action, with its attempts.
type Run struct {
	ID            string `json:"id"`
	WorkspaceID   string `json:"-"`
	IntegrationID string `json:"integration_id"`
	Action        string `json:"action"`
	Status        string `json:"status"`
	Trigger       string `json:"trigger"`
	// TriggerID names what started the run: the automation (aut_), the
	// inbound message of the intent's turn (msg_); "" from the API.
	TriggerID string `json:"trigger_id,omitempty"`
	// DedupKey makes the run once per trigger (stored unique); "" from
	// the API.
	DedupKey       string          `json:"-"`
	EventID        string          `json:"event_id,omitempty"`
	ConversationID string          `json:"conversation_id,omitempty"`
	Params         json.RawMessage `json:"params"`
	IdempotencyKey string          `json:"idempotency_key"`
	Attempts       []RunAttempt    `json:"attempts"`
	Result         json.RawMessage `json:"result"`
	Error          *string         `json:"error"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	FinishedAt     *time.Time      `json:"finished_at"`
}

// RunAttempt is one attempt of a run, as logged.
type RunAttempt struct {
	Number       int       `json:"number"`
	AttemptedAt  time.Time `json:"attempted_at"`
	DurationMS   int64     `json:"duration_ms"`
	StatusCode   *int      `json:"status_code"`
	ResponseHead string    `json:"response_head"`
	Error        *string   `json:"error"`
}

// Automation runs an integration action for each event of its workspace
// that matches its event types and filter.
type Automation struct {
	ID            string          `json:"id"`
	WorkspaceID   string          `json:"-"`
	Name          string          `json:"name"`
	EventTypes    []string        `json:"event_types"`
	Filter        map[string]any  `json:"filter"`
	IntegrationID string          `json:"integration_id"`
	Action        string          `json:"action"`
	Params        json.RawMessage `json:"params"`
	Enabled       bool            `json:"enabled"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

// Matches reports whether the event e starts the automation: enabled, a
// matching type (an empty list matches all), and each filter path equal.
func (a *Automation) Matches(e *Event) bool {
	if !a.Enabled {
		return false
	}
	if len(a.EventTypes) > 0 && !slices.ContainsFunc(a.EventTypes, func(f string) bool { return MatchEventType(f, e.Type) }) {
		return false
	}
	if len(a.Filter) == 0 {
		return true
	}
	var doc map[string]any
	if json.Unmarshal(EventPayload(e), &doc) != nil {
		return false
	}
	for path, want := range a.Filter {
		if !jsonEqual(LookupPath(doc, path), want) {
			return false
		}
	}
	return true
}

// EventPayload is the event as subscribers receive it (its JSON document).
func EventPayload(e *Event) []byte {
	b, _ := json.Marshal(e)
	return b
}

// LookupPath follows a dotted path ("data.conversation.status") into a
// decoded JSON document; a step into an array takes an index
// ("items.0.sku"). Nil when a step is missing.
func LookupPath(doc any, path string) any {
	for step := range strings.SplitSeq(path, ".") {
		switch d := doc.(type) {
		case map[string]any:
			doc = d[step]
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(d) || strconv.Itoa(i) != step {
				return nil
			}
			doc = d[i]
		default:
			return nil
		}
	}
	return doc
}

func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// IntegrationQueries store integrations, their runs and inbound hooks, and
// automations.
//
// Errors: CreateRun and CreateIntegrationHook answer EConflict when the
// run's DedupKey, or the hook's (integration, delivery id), is already
// stored; CreateNotice when (dedup key, contact) is; the transaction stays
// usable.
type IntegrationQueries interface {
	CreateIntegration(ctx context.Context, in *Integration) error
	GetIntegration(ctx context.Context, workspaceID, id string) (*Integration, error)
	// GetIntegrationByID finds an integration in any workspace (for
	// inbound hooks, which carry no credentials but the system's
	// signature).
	GetIntegrationByID(ctx context.Context, id string) (*Integration, error)
	ListIntegrations(ctx context.Context, workspaceID string, p Page) ([]*Integration, error)
	// UpdateIntegration replaces name, status, config and secrets.
	UpdateIntegration(ctx context.Context, in *Integration) error
	DeleteIntegration(ctx context.Context, workspaceID, id string) error

	CreateRun(ctx context.Context, r *Run) error
	// GetRun returns a run with its attempts.
	GetRun(ctx context.Context, workspaceID, id string) (*Run, error)
	// ListRuns lists runs with their attempts; integrationID "" lists all.
	ListRuns(ctx context.Context, workspaceID, integrationID string, p Page) ([]*Run, error)
	// UpdateRun replaces a run's status, result, error and finished_at.
	UpdateRun(ctx context.Context, r *Run) error
	AddRunAttempt(ctx context.Context, runID string, a *RunAttempt) error

	CreateIntegrationHook(ctx context.Context, h *IntegrationHook) error
	GetIntegrationHook(ctx context.Context, workspaceID, id string) (*IntegrationHook, error)
	MarkIntegrationHookProcessed(ctx context.Context, workspaceID, id string, at time.Time) error
	// PurgeRuns deletes up to limit finished runs (with their attempts),
	// of any workspace, created before the given time, oldest first.
	// Queued and running runs are kept whatever their age.
	PurgeRuns(ctx context.Context, before time.Time, limit int) (int64, error)
	// PurgeIntegrationHooks deletes up to limit processed hooks, of any
	// workspace, received before the given time; unprocessed ones are
	// kept.
	PurgeIntegrationHooks(ctx context.Context, before time.Time, limit int) (int64, error)
	// CreateNotice records that the proactive message dedupKey goes to a
	// contact.
	CreateNotice(ctx context.Context, workspaceID, dedupKey, contactID string, at time.Time) error
	// FindContactsByEmailOrPhone returns the contacts of a channel whose
	// email or phone is given (empty values match nothing).
	FindContactsByEmailOrPhone(ctx context.Context, workspaceID, channelID, email, phone string) ([]*Contact, error)

	CreateAutomation(ctx context.Context, a *Automation) error
	GetAutomation(ctx context.Context, workspaceID, id string) (*Automation, error)
	ListAutomations(ctx context.Context, workspaceID string, p Page) ([]*Automation, error)
	// EnabledAutomations returns every enabled automation of a workspace.
	EnabledAutomations(ctx context.Context, workspaceID string) ([]*Automation, error)
	UpdateAutomation(ctx context.Context, a *Automation) error
	DeleteAutomation(ctx context.Context, workspaceID, id string) error
}
