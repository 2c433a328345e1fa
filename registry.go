package switchboard

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// Channels is the registry of channel adapters by channel type. It is
// assembled once, in cmd/switchboard (the only place that knows every
// adapter), and handed to those that need it.
type Channels map[string]ChannelAdapter

// NewChannels registers adapters under the type of their spec. Two
// adapters of the same type are a programming error: NewChannels panics.
func NewChannels(adapters ...ChannelAdapter) Channels {
	return register("channel type", adapters, func(a ChannelAdapter) string { return a.Spec().Type })
}

// Lookup returns the adapter of a channel type.
func (c Channels) Lookup(typ string) (ChannelAdapter, bool) {
	a, ok := c[typ]
	return a, ok
}

// Spec returns the spec of a channel type, or the zero spec (no fields, no
// text limit, repeats unsafe) for a type that is not registered.
func (c Channels) Spec(typ string) ChannelSpec {
	if a, ok := c[typ]; ok {
		return a.Spec()
	}
	return ChannelSpec{}
}

// Types returns the registered channel types, sorted.
func (c Channels) Types() []string { return slices.Sorted(maps.Keys(c)) }

// ParseConfig validates raw as the configuration of a channel of type typ
// (ChannelSpec.ParseConfig); a type that is not registered is an error
// naming "type" that lists the registered ones.
func (c Channels) ParseConfig(typ string, raw json.RawMessage, oldConfig map[string]any, oldSecrets map[string]string) (map[string]any, map[string]string, error) {
	a, ok := c[typ]
	if !ok {
		return nil, nil, Invalid("type", "must be one of "+strings.Join(c.Types(), ", "))
	}
	return a.Spec().ParseConfig(raw, oldConfig, oldSecrets)
}

// Engines is the registry of bot engines by name, assembled like Channels.
type Engines map[string]BotEngine

// NewEngines registers engines under their names; a name registered twice
// is a programming error: NewEngines panics.
func NewEngines(engines ...BotEngine) Engines {
	return register("bot engine", engines, BotEngine.Name)
}

// register maps providers by their names; an empty or repeated name is a
// programming error, so it panics.
func register[T any](kind string, providers []T, name func(T) string) map[string]T {
	m := make(map[string]T, len(providers))
	for _, p := range providers {
		n := name(p)
		if _, dup := m[n]; dup || n == "" {
			panic("switchboard: " + kind + " " + n + " registered twice or unnamed")
		}
		m[n] = p
	}
	return m
}

// Lookup returns the engine of a name.
func (e Engines) Lookup(name string) (BotEngine, bool) {
	en, ok := e[name]
	return en, ok
}

// Names returns the registered engine names, sorted.
func (e Engines) Names() []string { return slices.Sorted(maps.Keys(e)) }

// ParseConfig validates raw as the configuration of a bot of engine name
// (BotEngine.ParseConfig); an engine that is not registered is an error
// naming "engine" that lists the registered ones.
func (e Engines) ParseConfig(name string, raw json.RawMessage) (json.RawMessage, map[string]string, error) {
	en, ok := e[name]
	if !ok {
		return nil, nil, Invalid("engine", "must be one of "+strings.Join(e.Names(), ", "))
	}
	return en.ParseConfig(raw)
}

// Integrations is the registry of integration providers by type, assembled
// like Channels.
type Integrations map[string]IntegrationProvider

// NewIntegrations registers providers under the type of their spec; a type
// registered twice is a programming error: NewIntegrations panics.
func NewIntegrations(providers ...IntegrationProvider) Integrations {
	return register("integration type", providers, func(p IntegrationProvider) string { return p.Spec().Type })
}

// Lookup returns the provider of an integration type.
func (r Integrations) Lookup(typ string) (IntegrationProvider, bool) {
	p, ok := r[typ]
	return p, ok
}

// Types returns the registered integration types, sorted.
func (r Integrations) Types() []string { return slices.Sorted(maps.Keys(r)) }

// ParseConfig validates raw as the configuration of an integration of
// type typ (IntegrationSpec.ParseConfig); a type that is not registered is
// an error naming "type" that lists the registered ones.
func (r Integrations) ParseConfig(typ string, raw json.RawMessage, oldConfig map[string]any, oldSecrets map[string]string) (map[string]any, map[string]string, error) {
	p, ok := r[typ]
	if !ok {
		return nil, nil, Invalid("type", "must be one of "+strings.Join(r.Types(), ", "))
	}
	return p.Spec().ParseConfig(raw, oldConfig, oldSecrets)
}
