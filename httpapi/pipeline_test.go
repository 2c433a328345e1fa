package httpapi_test

import (
	"log/slog"
	"net/http"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/webhook"
)

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
