package main

import (
	"context"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/webchat"
)

// newWebchat wires the web chat widget's WebSocket: it reads the store,
// hands the visitors' messages to the pipeline's ingest (as a verified
// hook would), and hears the pipeline's sends through the hub shared with
// the webchat adapter.
func (m *Main) newWebchat() *webchat.Handler {
	p := m.Pipeline
	ingest := webchat.IngestFunc(func(ctx context.Context, ch *sb.Channel, res *sb.HookResult) error {
		_, err := p.Ingest(ctx, ch, res)
		return err
	})
	return webchat.NewHandler(webchat.Config{Logger: m.Logger}, m.DB, ingest, m.hub)
}
