package main

import (
	"net/http"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot"
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
	"github.com/switchboardhq/switchboard/store"
)

// platformTimeout bounds a call to a platform's API (Telegram, Slack, …).
const platformTimeout = 15 * time.Second

// newPipeline wires the message pipeline: the channel adapters by type and
// the bot engines. Platform APIs (their base URLs, or a channel's
// api_base_url override) are called with a plain client; URLs customers
// give (the api channel's callback_url, a webhook bot's url) only through
// the SSRF-safe egress client.
func (m *Main) newPipeline() *pipeline.Pipeline {
	customer := egress.NewClient(egress.Policy{AllowPrivate: m.Config.WebhookAllowPrivate}, pipeline.DefaultCallTimeout)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64 // many sends to the same few API hosts
	platform := &http.Client{Timeout: platformTimeout, Transport: transport}
	single := m.DB.Dialect() == store.DialectSQLite
	committers := 4 // on PostgreSQL, round trips of several connections overlap
	if single {
		committers = 1 // SQLite has one writer connection
	}
	return pipeline.New(pipeline.Config{
		InactivityTimeout: m.Config.InactivityTimeout,
		SendRetry:         m.Config.SendRetry,
		BotRetry:          m.Config.BotRetry,
		Concurrency:       m.Config.Workers,
		SingleProcess:     single,
		Committers:        committers,
	}, pipeline.Deps{
		Store: m.DB,
		Adapters: pipeline.NewAdapters(
			telegram.New(platform),
			slack.New(platform),
			whatsapp.New(platform),
			messenger.New(platform),
			twilio.New(platform),
			api.New(customer),
			webchat.New(m.hub),
		),
		Engines: bot.Registry{
			sb.EngineBuiltin: builtin.New(),
			sb.EngineWebhook: botwebhook.New(customer, Version()),
		},
		Events: m.Dispatcher.Publisher(),
		Logger: m.Logger,
		Now:    m.clock().Now,
	})
}
