package switchboard

import (
	"encoding/json"
	"sort"
	"time"
	"unicode/utf16"
)

// Channel types.
const (
	ChannelTelegram  = "telegram"
	ChannelSlack     = "slack"
	ChannelWhatsApp  = "whatsapp"
	ChannelMessenger = "messenger"
	ChannelTwilio    = "twilio"
	ChannelWebchat   = "webchat"
	ChannelAPI       = "api"
)

// Channel statuses.
const (
	ChannelConnected    = "connected"
	ChannelDisconnected = "disconnected"
	ChannelError        = "error"
)

// Channel connects a bot to one account on a messaging platform.
// Config holds the public settings; Secrets the secret ones, encrypted at rest
// and never returned by the API (except a secret that Switchboard generated,
// once, on create).
type Channel struct {
	ID          string            `json:"id"`
	WorkspaceID string            `json:"-"`
	Type        string            `json:"type"`
	Name        string            `json:"name"`
	BotID       *string           `json:"bot_id"`
	Status      string            `json:"status"`
	Config      map[string]any    `json:"config"`
	Secrets     map[string]string `json:"-"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// ConfigField describes one configuration field of a channel type.
type ConfigField struct {
	Name     string
	Secret   bool // write-only; encrypted at rest
	Required bool
	List     bool // a list of strings rather than a string
	URL      bool // must be an absolute http(s) URL
}

// ChannelTextLimits is the longest text each platform takes in one message,
// in UTF-16 code units (TextLength); a type not listed takes any text the
// API accepts. The API refuses a longer message; a bot's longer reply is
// sent in parts.
var ChannelTextLimits = map[string]int{
	ChannelTelegram:  4096,
	ChannelWhatsApp:  4096,
	ChannelMessenger: 2000,
	ChannelTwilio:    1600,
}

// TextLength is the length of s in UTF-16 code units, as Telegram counts
// it: a character beyond the Basic Multilingual Plane (most emoji) counts
// two.
func TextLength(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// ChannelTypes describes the configuration of every channel type, as in the
// contract's channel table. Every type also accepts api_base_url.
var ChannelTypes = map[string][]ConfigField{
	ChannelTelegram: {
		{Name: "bot_token", Secret: true, Required: true},
		{Name: "secret_token", Secret: true},
	},
	ChannelSlack: {
		{Name: "bot_token", Secret: true, Required: true},
		{Name: "signing_secret", Secret: true, Required: true},
	},
	ChannelWhatsApp: {
		{Name: "access_token", Secret: true, Required: true},
		{Name: "phone_number_id", Required: true},
		{Name: "app_secret", Secret: true, Required: true},
		{Name: "verify_token", Secret: true, Required: true},
	},
	ChannelMessenger: {
		{Name: "page_access_token", Secret: true, Required: true},
		{Name: "app_secret", Secret: true, Required: true},
		{Name: "verify_token", Secret: true, Required: true},
	},
	ChannelTwilio: {
		{Name: "account_sid", Required: true},
		{Name: "auth_token", Secret: true, Required: true},
		{Name: "from", Required: true},
	},
	ChannelWebchat: {
		{Name: "allowed_origins", List: true},
		{Name: "session_secret", Secret: true},
	},
	ChannelAPI: {
		{Name: "callback_url", URL: true},
		{Name: "secret", Secret: true},
	},
}

// ChannelTypeNames returns the channel types in sorted order.
func ChannelTypeNames() []string {
	names := make([]string, 0, len(ChannelTypes))
	for n := range ChannelTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParseChannelConfig validates raw as the configuration of a channel of type
// typ, merged over the existing settings (nil on create), and splits it into
// public settings and secrets. A field given as null is removed. Field names
// in errors are prefixed with "config.".
func ParseChannelConfig(typ string, raw json.RawMessage, oldConfig map[string]any, oldSecrets map[string]string) (map[string]any, map[string]string, error) {
	fields, ok := ChannelTypes[typ]
	if !ok {
		return nil, nil, Invalid("type", "must be one of "+joinNames(ChannelTypeNames()))
	}
	in := map[string]any{}
	if len(raw) > 0 && string(raw) != "null" {
		if err := DecodeStrict(raw, &in, "config"); err != nil {
			return nil, nil, err
		}
	}
	config := map[string]any{}
	for k, v := range oldConfig {
		config[k] = v
	}
	secrets := map[string]string{}
	for k, v := range oldSecrets {
		secrets[k] = v
	}
	all := append([]ConfigField{{Name: "api_base_url", URL: true}}, fields...)
	known := map[string]ConfigField{}
	for _, f := range all {
		known[f.Name] = f
	}
	var v Validation
	for name, value := range in {
		f, ok := known[name]
		if !ok {
			v.Add("config."+name, "is not a setting of a "+typ+" channel")
			continue
		}
		if value == nil {
			delete(config, name)
			delete(secrets, name)
			continue
		}
		if f.List {
			list, ok := stringList(value)
			if !ok {
				v.Add("config."+name, "must be an array of strings")
				continue
			}
			config[name] = list
			continue
		}
		s, ok := value.(string)
		if !ok {
			v.Add("config."+name, "must be a string")
			continue
		}
		if f.URL {
			if msg := checkHTTPURL(s); msg != "" {
				v.Add("config."+name, msg)
				continue
			}
		}
		if f.Secret {
			secrets[name] = s
		} else {
			config[name] = s
		}
	}
	for _, f := range fields {
		if !f.Required {
			continue
		}
		_, inConfig := config[f.Name]
		_, inSecrets := secrets[f.Name]
		if !inConfig && !inSecrets {
			v.Add("config."+f.Name, "is required for a "+typ+" channel")
		}
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	return config, secrets, nil
}

func stringList(v any) ([]string, bool) {
	items, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
