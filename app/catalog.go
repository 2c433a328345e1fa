package app

import (
	"context"
	"slices"

	sb "github.com/switchboardhq/switchboard"
)

// What this build offers, for forms that let a person choose: the bot
// engines and the integration types with their specs.

// BotEngines returns the names of the bot engines of this build, sorted.
func (s *Service) BotEngines() []string { return s.engines.Names() }

// IntegrationSpecs returns the specs of the integration types of this
// build, sorted by type. Callers must not change them.
func (s *Service) IntegrationSpecs() []*sb.IntegrationSpec {
	types := s.integ.providers.Types()
	out := make([]*sb.IntegrationSpec, len(types))
	for i, t := range types {
		p, _ := s.integ.providers.Lookup(t)
		out[i] = p.Spec()
	}
	return out
}

// IntegrationSpec returns the spec of an integration type of this build.
func (s *Service) IntegrationSpec(typ string) (*sb.IntegrationSpec, bool) {
	p, ok := s.integ.providers.Lookup(typ)
	if !ok {
		return nil, false
	}
	return p.Spec(), true
}

// CanRegisterIntegration reports whether integrations of a type can
// register their inbound URL with their system (RegisterIntegration).
func (s *Service) CanRegisterIntegration(typ string) bool {
	p, ok := s.integ.providers.Lookup(typ)
	if !ok {
		return false
	}
	_, reg := p.(sb.HookRegistrar)
	return reg
}

// ExpireFact makes an unexpired fact expire now: it is no longer used,
// and is purged with the other expired facts. Its text, data and source
// stay as they were until then.
func (s *Service) ExpireFact(ctx context.Context, ws, id string) (*sb.Fact, error) {
	return writeResult(ctx, s, func(q sb.Queries) (*sb.Fact, error) {
		f, err := q.GetFact(ctx, ws, id)
		if err != nil {
			return nil, err
		}
		now := s.now()
		if f.Expired(now) {
			return nil, sb.ErrNotFound("fact")
		}
		// The upsert on (key, subject) keeps the stored fact's id.
		expired := *f
		expired.ID, expired.Data, expired.ExpiresAt = "", slices.Clone(f.Data), &now
		stored, _, err := q.UpsertFact(ctx, &expired)
		return stored, err
	})
}
