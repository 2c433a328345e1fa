package app

import sb "github.com/switchboardhq/switchboard"

// ChannelType is what a form needs to know of a channel type of this
// build: its spec (the settings it takes, which are secret) and whether
// its platform lets Switchboard register the inbound URL
// (RegisterChannel).
type ChannelType struct {
	Spec      sb.ChannelSpec
	Registers bool
}

// ChannelTypes returns the channel types of this build, sorted by name.
func (s *Service) ChannelTypes() []ChannelType {
	out := make([]ChannelType, 0, len(s.channels))
	for _, typ := range s.channels.Types() {
		ad, _ := s.channels.Lookup(typ)
		_, reg := ad.(sb.Registrar)
		out = append(out, ChannelType{Spec: ad.Spec(), Registers: reg})
	}
	return out
}
