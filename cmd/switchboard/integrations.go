package main

import (
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/internal/providers"
)

// newIntegrations builds what integrations need: the providers of this
// build, their egress client under the address policy, and the job queue
// their action runs and inbound hooks run on: the pipeline's (started
// with it), so that they share its writes and a process has one queue.
func (m *Main) newIntegrations() app.IntegrationDeps {
	m.Integrations = providers.Integrations()
	return app.IntegrationDeps{
		Providers: m.Integrations,
		Jobs:      m.Pipeline.Jobs(),
		Client:    egress.NewClient(egress.Policy{AllowPrivate: m.Config.WebhookAllowPrivate}, app.DefaultRunTimeout),
		Retry:     m.Config.IntegrationRetry,
		Logger:    m.Logger,
	}
}
