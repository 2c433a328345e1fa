package main

import (
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/store"
)

// newPipeline wires the message pipeline on the providers of this build
// (m.Channels, m.Engines).
func (m *Main) newPipeline() *pipeline.Pipeline {
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
		Store:    m.DB,
		Adapters: m.Channels,
		Engines:  m.Engines,
		Events:   m.Dispatcher.Publisher(),
		Logger:   m.Logger,
		Now:      m.clock().Now,
		Tracer:   m.tracer,
	})
}
