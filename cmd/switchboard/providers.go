package main

import (
	"net/http"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/webchat"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/internal/providers"
	"github.com/switchboardhq/switchboard/pipeline"
)

// platformTimeout bounds a call to a platform's API (Telegram, Slack, …).
const platformTimeout = 15 * time.Second

// providers assembles the channel adapters and bot engines of this build
// (the one list of them is internal/providers) on the clients of this
// process.
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
	return providers.New(platform, customer, Version(), hub)
}
