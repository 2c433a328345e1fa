package switchboard

import (
	"encoding/json"
	"slices"
	"strings"
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
	CIDRs    bool // a list of CIDRs (allowed_ips), stored in canonical form
	URL      bool // must be an absolute http(s) URL
	// Generate makes the field's value when a channel is created without
	// one (the api channel's whsec_ secret); nil: nothing is made. A
	// generated secret is shown once, in the create response, unless
	// Internal.
	Generate func() string
	// Internal marks a generated value only the server uses (the web
	// chat's session secret): it is never shown.
	Internal bool
	// OneOf, if set, lists the values the field may take.
	OneOf []string
}

// ChannelSpec is what a channel adapter says about its type: the
// configuration it takes, what its platform accepts and how it copes with
// a repeated send. Every type also takes api_base_url, send_guarantee and allowed_ips
// (Fields need not list them).
type ChannelSpec struct {
	Type   string
	Fields []ConfigField
	// TextLimit is the longest text the platform takes in one message, in
	// UTF-16 code units (TextLength); 0: any text the API accepts. The API
	// refuses a longer message; a bot's longer reply is sent in parts.
	TextLimit int
	// RepeatSafe says that the receivers drop a repeated send (the api
	// channel's webhook-id is the message id): a send interrupted by a
	// crash is tried again. Elsewhere it ends failed, so that a contact
	// never receives a message twice, unless the channel's send_guarantee
	// says otherwise (Channel.RetriesInterruptedSends).
	RepeatSafe bool
	// Check, if set, validates the merged settings beyond what Fields say,
	// once every field passed (on create, before generated values are
	// made). Its errors name fields as "config.<name>".
	Check func(config map[string]any, secrets map[string]string) error
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

// Send guarantees: what a channel's send_guarantee setting may say about a
// send interrupted by a crash while the platform was being called (it may
// or may not have arrived).
const (
	// SendAtMostOnce ends such a send failed: the contact never receives
	// a message twice, and may miss one. The default on channels whose
	// receivers cannot drop repeats.
	SendAtMostOnce = "at_most_once"
	// SendAtLeastOnce sends it again: the contact never misses a message,
	// and may receive one twice. The default where receivers drop
	// repeats (RepeatSafe).
	SendAtLeastOnce = "at_least_once"
)

// The settings every channel type takes.
var (
	apiBaseURL    = ConfigField{Name: "api_base_url", URL: true}
	sendGuarantee = ConfigField{Name: "send_guarantee", OneOf: []string{SendAtMostOnce, SendAtLeastOnce}}
)

// RetriesInterruptedSends says whether a send interrupted by a crash while
// the platform was being called is sent again on channel c of a type with
// spec: c's send_guarantee if it has one, else the spec's RepeatSafe.
func (s ChannelSpec) RetriesInterruptedSends(c *Channel) bool {
	switch c.Config[sendGuarantee.Name] {
	case SendAtLeastOnce:
		return true
	case SendAtMostOnce:
		return false
	}
	return s.RepeatSafe
}

// URLFields names the fields of this type that hold a URL Switchboard
// calls: api_base_url and every field marked URL.
func (s ChannelSpec) URLFields() []string {
	names := []string{apiBaseURL.Name}
	for _, f := range s.Fields {
		if f.URL {
			names = append(names, f.Name)
		}
	}
	return names
}

// ParseConfig validates raw as the configuration of a channel of this
// type, merged over the existing settings (nil on create), and splits it
// into public settings and secrets. A field given as null is removed.
// Field names in errors are prefixed with "config.".
func (s ChannelSpec) ParseConfig(raw json.RawMessage, oldConfig map[string]any, oldSecrets map[string]string) (map[string]any, map[string]string, error) {
	in := map[string]any{}
	if len(raw) > 0 && string(raw) != "null" {
		if err := DecodeStrict(raw, &in, "config"); err != nil {
			return nil, nil, err
		}
	}
	config, secrets := mergeBase(oldConfig, oldSecrets)
	known := map[string]ConfigField{apiBaseURL.Name: apiBaseURL, sendGuarantee.Name: sendGuarantee, allowedIPs.Name: allowedIPs}
	for _, f := range s.Fields {
		known[f.Name] = f
	}
	var v Validation
	for name, value := range in {
		f, ok := known[name]
		if !ok {
			v.Add("config."+name, "is not a setting of a "+s.Type+" channel")
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
			if f.CIDRs {
				if list, ok = checkCIDRs(&v, "config."+name, list); !ok {
					continue
				}
			}
			config[name] = list
			continue
		}
		str, ok := value.(string)
		if !ok {
			v.Add("config."+name, "must be a string")
			continue
		}
		if f.URL {
			if msg := CheckHTTPURL(str); msg != "" {
				v.Add("config."+name, msg)
				continue
			}
		}
		if f.OneOf != nil && !slices.Contains(f.OneOf, str) {
			v.Add("config."+name, "must be one of "+strings.Join(f.OneOf, ", "))
			continue
		}
		if f.Secret {
			secrets[name] = str
		} else {
			config[name] = str
		}
	}
	required := requiredNames(s.Fields, func(f ConfigField) (string, bool) { return f.Name, f.Required })
	if err := settle(&v, s.Type+" channel", required, config, secrets, s.Check); err != nil {
		return nil, nil, err
	}
	return config, secrets, nil
}

// GenerateSecrets makes the values of the fields with a Generate function
// that secrets lacks (or has empty), on create, adds them to secrets and
// returns those to be shown once (all but the Internal ones).
func (s ChannelSpec) GenerateSecrets(secrets map[string]string) map[string]string {
	shown := map[string]string{}
	for _, f := range s.Fields {
		if f.Generate == nil || secrets[f.Name] != "" {
			continue
		}
		secrets[f.Name] = f.Generate()
		if !f.Internal {
			shown[f.Name] = secrets[f.Name]
		}
	}
	return shown
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
