package switchboard

import "slices"

// AllFields returns every setting a channel of this type takes: its own
// Fields, then api_base_url, send_guarantee and allowed_ips, which every
// type takes. Forms that build a channel's settings from its spec list
// these.
func (s ChannelSpec) AllFields() []ConfigField {
	return append(slices.Clone(s.Fields), apiBaseURL, sendGuarantee, allowedIPs)
}
