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
// Every outbound call goes through egress under the one address policy of
// outbound webhooks (SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE): platform APIs
// (their base URLs, or a channel's api_base_url override) and the URLs
// customers give (the api channel's callback_url, a webhook bot's url).
// Neither client follows redirects.
func (m *Main) providers(hub *webchat.Hub) (sb.Channels, sb.Engines) {
	policy := egress.Policy{AllowPrivate: m.Config.WebhookAllowPrivate}
	customer := egress.NewClient(policy, pipeline.DefaultCallTimeout)
	platform := egress.NewClient(policy, platformTimeout)
	platform.Transport.(*http.Transport).MaxIdleConnsPerHost = 64 // many sends to the same few API hosts
	return providers.New(platform, customer, Version(), hub)
}
