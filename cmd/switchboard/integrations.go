package main

import (
	"context"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/internal/providers"
	"github.com/switchboardhq/switchboard/queue"
	"github.com/switchboardhq/switchboard/store"
)

// newIntegrations builds what integrations need: the providers of this
// build, their egress client under the address policy, and the job queue
// their action runs and inbound hooks run on (not yet started), which
// shares the pipeline's group committer.
func (m *Main) newIntegrations() app.IntegrationDeps {
	m.Integrations = providers.Integrations()
	m.integrationJobs = queue.New(queue.Config{
		Lease:         2 * app.DefaultRunTimeout,
		Concurrency:   m.Config.Workers,
		SingleProcess: m.DB.Dialect() == store.DialectSQLite,
	}, queue.Deps{Store: m.DB, Commit: committer(m.Pipeline.Write), Logger: m.Logger, Now: m.clock().Now})
	return app.IntegrationDeps{
		Providers: m.Integrations,
		Jobs:      m.integrationJobs,
		Client:    egress.NewClient(egress.Policy{AllowPrivate: m.Config.WebhookAllowPrivate}, app.DefaultRunTimeout),
		Retry:     m.Config.IntegrationRetry,
		Logger:    m.Logger,
	}
}

// committer makes a write function (Pipeline.Write) a queue.Committer.
type committer func(ctx context.Context, fn func(q sb.Queries) error) error

func (c committer) Do(ctx context.Context, fn func(q sb.Queries) error) error { return c(ctx, fn) }

// stopIntegrations stops the integration queue: runs in flight finish
// (until ctx ends), jobs not started are given back.
func (m *Main) stopIntegrations(ctx context.Context) {
	if m.integrationJobs == nil {
		return
	}
	if err := m.integrationJobs.Stop(ctx); err != nil {
		m.Logger.Warn("stopping integration runs: runs cut short run again later", "error", err)
	}
}
