package pipeline_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// BenchmarkIngest measures storing inbound updates (verified by the
// Telegram adapter) from many goroutines at once, grouped into shared
// transactions, without running the bot: the hook's work minus HTTP.
func BenchmarkIngest(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			url := "sqlite://" + b.TempDir() + "/sb.db"
			if db == "postgres" {
				url = pgtest.URL(b)
			}
			e := newEnv(b, url)
			ch, err := e.db.GetChannelByID(e.ctx, e.ch.ID)
			must(b, err)
			ad, _ := e.p.Adapters().Lookup(ch.Type)
			h := http.Header{telegram.HeaderSecretToken: {secretToken}}
			var n atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					hr, err := ad.HandleHook(e.ctx, ch, hookRequest(h, telegramtest.Update(i, 1000+i%1000, "Bench", "hello")))
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := e.p.Ingest(e.ctx, ch, hr); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
