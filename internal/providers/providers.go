// Package providers is the one list of the channel adapters and bot
// engines of this build. cmd/switchboard serves them; the tests that check
// every provider (the OpenAPI document, the API's wiring) take them from
// here, so that no second list can fall behind. A new channel type or
// engine is its own package plus one line here.
package providers

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot/builtin"
	"github.com/switchboardhq/switchboard/bot/llm"
	botwebhook "github.com/switchboardhq/switchboard/bot/webhook"
	"github.com/switchboardhq/switchboard/channel/api"
	"github.com/switchboardhq/switchboard/channel/messenger"
	"github.com/switchboardhq/switchboard/channel/slack"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/twilio"
	"github.com/switchboardhq/switchboard/channel/webchat"
	"github.com/switchboardhq/switchboard/channel/whatsapp"
	inthttp "github.com/switchboardhq/switchboard/integration/http"
	"github.com/switchboardhq/switchboard/integration/hubspot"
	"github.com/switchboardhq/switchboard/integration/salesforce"
	"github.com/switchboardhq/switchboard/integration/shopify"
)

// New returns the registries of every channel type and bot engine.
// Platform APIs (their base URLs, or a channel's api_base_url override) are
// called with platform; URLs customers give (the api channel's
// callback_url, a webhook bot's url) with customer (the server makes both
// egress clients under its address policy); version names the
// build to those URLs; hub carries the web chat's messages to its
// visitors. A nil client or hub is what each provider's New makes of nil.
func New(platform, customer *http.Client, version string, hub *webchat.Hub) (sb.Channels, sb.Engines) {
	channels := sb.NewChannels(
		telegram.New(platform),
		slack.New(platform),
		whatsapp.New(platform),
		messenger.New(platform),
		twilio.New(platform),
		api.New(customer, version),
		webchat.New(hub),
	)
	engines := sb.NewEngines(
		builtin.New(),
		botwebhook.New(customer, version),
		llm.New(customer, version),
	)
	return channels, engines
}

// Integrations returns the registry of every integration type. Providers
// get their HTTP client with each call (the server's egress client), so
// they take nothing here.
func Integrations() sb.Integrations {
	return sb.NewIntegrations(
		inthttp.New(),
		shopify.New(),
		salesforce.New(),
		hubspot.New(),
	)
}
