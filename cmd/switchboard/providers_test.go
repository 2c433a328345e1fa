package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/webchat"
)

// TestProviders: the channel types and engines this build registers, each
// as its own package describes it, match the contract's channel table
// (SPEC §3): the fields (secrets marked *, required marked !, generated
// marked +, generated and never shown marked -), the platform's text limit
// in UTF-16 code units, and whether receivers drop repeated sends.
func TestProviders(t *testing.T) {
	channels, engines := (&Main{}).providers(webchat.NewHub())
	want := map[string]string{
		sb.ChannelAPI:       "callback_url secret*+ | 0 | repeat-safe",
		sb.ChannelMessenger: "page_access_token*! app_secret*! verify_token*! | 2000 | ",
		sb.ChannelSlack:     "bot_token*! signing_secret*! | 0 | ",
		sb.ChannelTelegram:  "bot_token*! secret_token*+ | 4096 | ",
		sb.ChannelTwilio:    "account_sid! auth_token*! from! | 1600 | ",
		sb.ChannelWebchat:   "allowed_origins session_secret*- | 0 | repeat-safe",
		sb.ChannelWhatsApp:  "access_token*! phone_number_id! app_secret*! verify_token*! | 4096 | ",
	}
	if got := channels.Types(); !slices.Equal(got, []string{"api", "messenger", "slack", "telegram", "twilio", "webchat", "whatsapp"}) {
		t.Fatalf("channel types %v", got)
	}
	for typ, w := range want {
		spec := channels.Spec(typ)
		if spec.Type != typ {
			t.Errorf("%s: spec of type %q", typ, spec.Type)
		}
		if got := describe(spec); got != w {
			t.Errorf("%s: %s\nwant %s", typ, got, w)
		}
	}
	if got := engines.Names(); !slices.Equal(got, []string{sb.EngineBuiltin, sb.EngineLLM, sb.EngineWebhook}) {
		t.Fatalf("engines %v", got)
	}
}

// describe renders a spec as the contract's table reads.
func describe(s sb.ChannelSpec) string {
	var fields []string
	for _, f := range s.Fields {
		mark := f.Name
		if f.Secret {
			mark += "*"
		}
		if f.Required {
			mark += "!"
		}
		switch {
		case f.Generate != nil && f.Internal:
			mark += "-"
		case f.Generate != nil:
			mark += "+"
		}
		fields = append(fields, mark)
	}
	safe := ""
	if s.RepeatSafe {
		safe = "repeat-safe"
	}
	return fmt.Sprintf("%s | %d | %s", strings.Join(fields, " "), s.TextLimit, safe)
}
