package switchboard

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// Bot engines.
const (
	EngineBuiltin = "builtin" // intents learned from examples, knowledge, fallback, handoff
	EngineWebhook = "webhook" // logic in the customer's service, reached by a signed POST
	EngineLLM     = "llm"     // an OpenAI-compatible chat-completions endpoint
)

// Bot statuses.
const (
	BotDraft    = "draft"
	BotTraining = "training"
	BotTrained  = "trained"
	BotDeployed = "deployed"
	BotError    = "error"
)

// Bot answers the messages of the channels it is attached to.
// Config is the engine's configuration as JSON without its secrets; Secrets
// holds the secret fields (the llm engine's api_key), encrypted at rest and
// never returned.
type Bot struct {
	ID          string            `json:"id"`
	WorkspaceID string            `json:"-"`
	Name        string            `json:"name"`
	Engine      string            `json:"engine"`
	Config      json.RawMessage   `json:"config"`
	Secrets     map[string]string `json:"-"`
	Status      string            `json:"status"`
	Version     int               `json:"version"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// BuiltinConfig is the configuration of the builtin engine.
type BuiltinConfig struct {
	Intents       []Intent `json:"intents"`
	Fallback      string   `json:"fallback"`
	HandoffIntent string   `json:"handoff_intent,omitempty"`
	Language      string   `json:"language,omitempty"`
}

// Intent is one thing a user may want, recognised from its examples.
type Intent struct {
	Name      string   `json:"name"`
	Examples  []string `json:"examples"`
	Responses []string `json:"responses"`
}

// WebhookBotConfig is the configuration of the webhook engine. Secret (the
// whsec_ key that signs the calls) is secret; Switchboard generates one on
// create when none is given.
type WebhookBotConfig struct {
	URL    string `json:"url"`
	Secret string `json:"secret,omitempty"`
}

// LLMConfig is the configuration of the llm engine. APIKey is secret.
type LLMConfig struct {
	BaseURL      string   `json:"base_url"`
	Model        string   `json:"model"`
	APIKey       string   `json:"api_key,omitempty"`
	SystemPrompt string   `json:"system_prompt,omitempty"`
	Temperature  *float64 `json:"temperature,omitempty"`
}

// ValidEngine reports whether e names an engine.
func ValidEngine(e string) bool {
	return e == EngineBuiltin || e == EngineWebhook || e == EngineLLM
}

// ParseBotConfig validates raw as the configuration of engine. It returns the
// public configuration (secrets removed) and the secrets. Field names in
// errors are prefixed with "config.".
func ParseBotConfig(engine string, raw json.RawMessage) (json.RawMessage, map[string]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	var v Validation
	switch engine {
	case EngineBuiltin:
		var c BuiltinConfig
		if err := DecodeStrict(raw, &c, "config"); err != nil {
			return nil, nil, err
		}
		names := map[string]bool{}
		for i, in := range c.Intents {
			p := "config.intents[" + itoa(i) + "]"
			if in.Name == "" {
				v.Add(p+".name", "is required")
			} else if names[in.Name] {
				v.Add(p+".name", "is used by another intent")
			}
			names[in.Name] = true
			if len(in.Examples) == 0 {
				v.Add(p+".examples", "needs at least one example")
			}
			if len(in.Responses) == 0 && in.Name != c.HandoffIntent {
				v.Add(p+".responses", "needs at least one response")
			}
		}
		if c.HandoffIntent != "" && !names[c.HandoffIntent] {
			v.Add("config.handoff_intent", "names no intent")
		}
		if c.Intents == nil {
			c.Intents = []Intent{}
		}
		if c.Language == "" {
			c.Language = "en"
		}
		if err := v.Err(); err != nil {
			return nil, nil, err
		}
		out, _ := json.Marshal(c)
		return out, nil, nil
	case EngineWebhook:
		var c WebhookBotConfig
		if err := DecodeStrict(raw, &c, "config"); err != nil {
			return nil, nil, err
		}
		if msg := checkHTTPURL(c.URL); msg != "" {
			v.Add("config.url", msg)
		}
		if c.Secret != "" && !validWebhookSecret(c.Secret) {
			v.Add("config.secret", "must be whsec_ followed by base64")
		}
		if err := v.Err(); err != nil {
			return nil, nil, err
		}
		var secrets map[string]string
		if c.Secret != "" {
			secrets = map[string]string{"secret": c.Secret}
		}
		c.Secret = ""
		out, _ := json.Marshal(c)
		return out, secrets, nil
	case EngineLLM:
		var c LLMConfig
		if err := DecodeStrict(raw, &c, "config"); err != nil {
			return nil, nil, err
		}
		if msg := checkHTTPURL(c.BaseURL); msg != "" {
			v.Add("config.base_url", msg)
		}
		if c.Model == "" {
			v.Add("config.model", "is required")
		}
		if c.Temperature != nil && (*c.Temperature < 0 || *c.Temperature > 2) {
			v.Add("config.temperature", "must be between 0 and 2")
		}
		if err := v.Err(); err != nil {
			return nil, nil, err
		}
		var secrets map[string]string
		if c.APIKey != "" {
			secrets = map[string]string{"api_key": c.APIKey}
		}
		c.APIKey = ""
		out, _ := json.Marshal(c)
		return out, secrets, nil
	}
	return nil, nil, Invalid("engine", "must be one of builtin, webhook, llm")
}

// validWebhookSecret reports whether s is "whsec_" followed by non-empty
// standard base64.
func validWebhookSecret(s string) bool {
	key, ok := strings.CutPrefix(s, "whsec_")
	b, err := base64.StdEncoding.DecodeString(key)
	return ok && err == nil && len(b) > 0
}

// checkHTTPURL returns "" if s is an absolute http(s) URL, or what is wrong.
func checkHTTPURL(s string) string {
	if s == "" {
		return "is required"
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an absolute http or https URL"
	}
	return ""
}
