package httpapi_test

import (
	"log/slog"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot"
	"github.com/switchboardhq/switchboard/bot/builtin"
	botwebhook "github.com/switchboardhq/switchboard/bot/webhook"
	"github.com/switchboardhq/switchboard/channel/api"
	"github.com/switchboardhq/switchboard/channel/slack"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/webhook"
)

// newPipeline is the pipeline of the test server: the telegram, slack and
// api adapters (loopback allowed, for fake platforms), the builtin and
// webhook engines. It is not started: tests run its jobs with RunDue.
func newPipeline(db sb.Store, events *webhook.Publisher, logger *slog.Logger) *pipeline.Pipeline {
	client := egress.NewClient(egress.Policy{AllowPrivate: true}, 5*time.Second)
	return pipeline.New(pipeline.Config{}, pipeline.Deps{
		Store:    db,
		Adapters: pipeline.NewAdapters(telegram.New(nil), slack.New(nil), api.New(client)),
		Engines:  bot.Registry{sb.EngineBuiltin: builtin.New(), sb.EngineWebhook: botwebhook.New(client, "test")},
		Events:   events,
		Logger:   logger,
	})
}
