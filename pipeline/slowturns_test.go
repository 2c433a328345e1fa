package pipeline_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot/builtin"
	"github.com/switchboardhq/switchboard/bot/llm"
	"github.com/switchboardhq/switchboard/bot/llm/llmtest"
	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/pipeline"
)

// heldEngine is the llm engine without its SlowReplier mark: its turns
// hold their place among the pipeline's workers while the model thinks,
// as every engine's did before (the comparison of BenchmarkSlowModelTurns).
type heldEngine struct{ sb.BotEngine }

// BenchmarkSlowModelTurns: 200 conversations with an llm bot whose model
// takes 2 s to answer each turn, all at once, while another bot (builtin)
// of the same process answers 20 messages one after another. It reports
// the other bot's turn latency (inbound message ingested to reply at its
// fake Telegram), p50 and max, and when the 200 slow replies were all out.
//
//	outside_places: the llm engine as built (its turns give their worker
//	                place back while they wait; the pipeline's default 64
//	                places stay free for other bots)
//	holding_places: the same engine with the places held while it waits
//
// One iteration is the whole scenario: run it with -benchtime=1x.
func BenchmarkSlowModelTurns(b *testing.B) {
	for _, mode := range []string{"outside_places", "holding_places"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				slowModelScenario(b, mode == "holding_places")
			}
		})
	}
}

func slowModelScenario(b *testing.B, hold bool) {
	const slowTurns, otherTurns, think = 200, 20, 2 * time.Second
	e := newEnv(b, "sqlite://"+b.TempDir()+"/sb.db")
	model := llmtest.New(b)
	model.Always(llmtest.Slow(think, llmtest.Answer("Thought about it.")))
	client := egress.NewClient(egress.Policy{AllowPrivate: true}, 30*time.Second)
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = slowTurns
	var engine sb.BotEngine = llm.New(client, "bench")
	if hold {
		engine = heldEngine{engine}
	}
	cfg, _, err := engine.ParseConfig(json.RawMessage(`{"base_url":"` + model.BaseURL() + `","model":"slow","history":5}`))
	must(b, err)
	one := 1
	llmBot := &sb.Bot{WorkspaceID: e.ws.ID, Name: "slow", Engine: sb.EngineLLM, Config: cfg, Status: sb.BotDeployed, Version: 1, DeployedVersion: &one}
	must(b, e.db.CreateBot(e.ctx, llmBot))
	must(b, e.db.CreateBotVersion(e.ctx, &sb.BotVersion{BotID: llmBot.ID, WorkspaceID: e.ws.ID, Version: 1, Engine: sb.EngineLLM, Config: cfg}))
	slowTG, otherTG := telegramtest.NewServer(), telegramtest.NewServer()
	defer slowTG.Close()
	defer otherTG.Close()
	secrets := map[string]string{"bot_token": "123:TEST", "secret_token": secretToken}
	slowCh := e.newChannel(sb.ChannelTelegram, &llmBot.ID, map[string]any{"api_base_url": slowTG.URL}, secrets)
	otherCh := e.newChannel(sb.ChannelTelegram, &e.bot.ID, map[string]any{"api_base_url": otherTG.URL}, secrets)

	p := pipeline.New(pipeline.Config{CallTimeout: 30 * time.Second, SingleProcess: true}, pipeline.Deps{
		Store: e.db, Adapters: sb.NewChannels(telegram.New(nil)), Engines: sb.NewEngines(builtin.New(), engine),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	p.Start(ctx)
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = p.Stop(sctx)
	}()
	h := http.Header{telegram.HeaderSecretToken: {secretToken}}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range slowTurns { // all at once, as 200 users would write
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.ingest(p, slowCh, telegramtest.Update(int64(i+1), int64(10_000+i), "Slow", "think hard"), h); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // the slow turns are waiting on the model
	var lat []time.Duration
	for i := range otherTurns {
		t0 := time.Now()
		if _, err := e.ingest(p, otherCh, telegramtest.Update(int64(100_000+i), int64(20_000+i), "Other", "hello"), h); err != nil {
			b.Fatal(err)
		}
		if got := otherTG.Wait("sendMessage", i+1, 60*time.Second); len(got) != i+1 {
			b.Fatalf("the other bot's reply %d never came", i+1)
		}
		lat = append(lat, time.Since(t0))
	}
	if got := slowTG.Wait("sendMessage", slowTurns, 60*time.Second); len(got) != slowTurns {
		b.Fatalf("%d slow replies, want %d", len(got), slowTurns)
	}
	all := time.Since(start)
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "other-p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "other-max-ms")
	b.ReportMetric(all.Seconds(), "slow-all-replied-s")
}
