package httpapi_test

import (
	"log/slog"
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
	"github.com/switchboardhq/switchboard/webhook"
)

// providers are the channel adapters and bot engines of the test server,
// as cmd/switchboard wires them, but calling out with client (loopback
// allowed, for fake platforms and bots).
func providers(client *http.Client) (sb.Channels, sb.Engines) {
	return sb.NewChannels(telegram.New(nil), slack.New(nil), whatsapp.New(nil), messenger.New(nil),
			twilio.New(nil), api.New(client, "test"), webchat.New(nil)),
		sb.NewEngines(builtin.New(), botwebhook.New(client, "test"))
}

// newPipeline is the pipeline of the test server, with the providers. It
// is not started: tests run its jobs with RunDue.
func newPipeline(db sb.Store, events *webhook.Publisher, logger *slog.Logger, channels sb.Channels, engines sb.Engines) *pipeline.Pipeline {
	return pipeline.New(pipeline.Config{}, pipeline.Deps{
		Store:    db,
		Adapters: channels,
		Engines:  engines,
		Events:   events,
		Logger:   logger,
	})
}

// testClient calls fake platforms and bots on loopback.
func testClient() *http.Client {
	return egress.NewClient(egress.Policy{AllowPrivate: true}, 5*time.Second)
}
