package main

import (
	"net/http"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot/builtin"
	botwebhook "github.com/switchboardhq/switchboard/bot/webhook"
	"github.com/switchboardhq/switchboard/channel/api"
	"github.com/switchboardhq/switchboard/channel/messenger"
	"github.com/switchboardhq/switchboard/channel/slack"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/twilio"
	"github.com/switchboardhq/switchboard/channel/webchat"
	"github.com/switchboardhq/switchboard/channel/whatsapp"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/pipeline"
)

// platformTimeout bounds a call to a platform's API (Telegram, Slack, …).
const platformTimeout = 15 * time.Second

// providers assembles the channel adapters and bot engines of this build:
// the one place that knows them all. A new channel type or engine is its
// own package plus one line here.
//
// Platform APIs (their base URLs, or a channel's api_base_url override) are
// called with a plain client; URLs customers give (the api channel's
// callback_url, a webhook bot's url) only through the SSRF-safe egress
// client.
func (m *Main) providers(hub *webchat.Hub) (sb.Channels, sb.Engines) {
	customer := egress.NewClient(egress.Policy{AllowPrivate: m.Config.WebhookAllowPrivate}, pipeline.DefaultCallTimeout)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64 // many sends to the same few API hosts
	platform := &http.Client{Timeout: platformTimeout, Transport: transport}
	channels := sb.NewChannels(
		telegram.New(platform),
		slack.New(platform),
		whatsapp.New(platform),
		messenger.New(platform),
		twilio.New(platform),
		api.New(customer, Version()),
		webchat.New(hub),
	)
	engines := sb.NewEngines(
		builtin.New(),
		botwebhook.New(customer, Version()),
	)
	return channels, engines
}
