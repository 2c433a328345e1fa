package pipeline_test

import (
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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

// BenchmarkMessageFlow measures one message's whole way, one at a time:
// the Telegram update ingested, the bot turn, and the send of the reply to
// a fake Bot API, each step's transaction written alone. Its ns/op is the
// CPU the pipeline spends on a message (with the fake platform's share),
// less sensitive to the machine's load than the bench/ scenarios.
func BenchmarkMessageFlow(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			url := "sqlite://" + b.TempDir() + "/sb.db"
			if db == "postgres" {
				url = pgtest.URL(b)
			}
			e := newEnv(b, url)
			h := http.Header{telegram.HeaderSecretToken: {secretToken}}
			var i int64
			cpu := processCPU()
			for b.Loop() {
				i++
				e.clock.Advance(time.Millisecond)
				if _, err := e.ingest(e.p, e.ch, telegramtest.Update(i, 1000+i%100, "Bench", "hello"), h); err != nil {
					b.Fatal(err)
				}
				if n, err := e.p.RunDue(e.ctx); err != nil || n != 2 {
					b.Fatalf("ran %d jobs (%v), want the bot turn and the send", n, err)
				}
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the CPU time the process has used, user and system, in
// nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
