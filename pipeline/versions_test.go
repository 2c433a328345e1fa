package pipeline_test

import (
	"encoding/json"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestAnswersWithTheDeployedVersion: a bot answers with its deployed
// version's configuration, not its draft, and with the version deployed
// next as soon as this process is told (Forget).
func TestAnswersWithTheDeployedVersion(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		draft := *e.bot
		draft.Config = json.RawMessage(`{"intents":[{"name":"greet","examples":["hello"],"responses":["Draft!"]}],"fallback":"?","language":"en"}`)
		must(t, e.db.UpdateBot(e.ctx, &draft))
		e.hook(e.p, 1, 42, "hello")
		e.run()

		v2 := json.RawMessage(`{"intents":[{"name":"greet","examples":["hello"],"responses":["Version 2!"]}],"fallback":"?","language":"en"}`)
		must(t, e.db.CreateBotVersion(e.ctx, &sb.BotVersion{BotID: e.bot.ID, WorkspaceID: e.ws.ID, Version: 2, Engine: sb.EngineBuiltin, Config: v2}))
		must(t, e.db.DeployBotVersion(e.ctx, e.ws.ID, e.bot.ID, 2, e.clock.Now()))
		e.p.Forget(e.bot.ID)
		e.hook(e.p, 2, 42, "hello")
		e.run()
		equal(t, "sent", e.sent(), []string{"Hello! How can I help?", "Version 2!"})
	})
}

// TestUndeployedBotIsSilent: a bot that was never deployed answers
// nothing; the inbound message is stored and the turn counted
// not_deployed.
func TestUndeployedBotIsSilent(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	b := &sb.Bot{WorkspaceID: e.ws.ID, Name: "new", Engine: sb.EngineBuiltin, Config: e.bot.Config, Status: sb.BotDraft}
	must(t, e.db.CreateBot(e.ctx, b))
	e.ch.BotID = &b.ID
	must(t, e.db.UpdateChannel(e.ctx, e.ch))
	e.p.Forget(e.ch.ID)
	e.hook(e.p, 1, 42, "hello")
	e.run()
	if len(e.sent()) != 0 {
		t.Fatalf("sent %v", e.sent())
	}
	equal(t, "events", e.events(), []string{"conversation.started", "message.received"})
	if n := turns(t, e, sb.EngineBuiltin, "not_deployed"); n != 1 {
		t.Fatalf("%v turns counted not_deployed", n)
	}
	e.noJobsLeft()
}

// TestBotErrorNamesTheVersion: bot.error says which version failed.
func TestBotErrorNamesTheVersion(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	three := 3
	b := &sb.Bot{WorkspaceID: e.ws.ID, Name: "gone", Engine: "llm", Config: json.RawMessage(`{}`), Status: sb.BotDeployed,
		Version: 3, DeployedVersion: &three}
	must(t, e.db.CreateBot(e.ctx, b))
	must(t, e.db.CreateBotVersion(e.ctx, &sb.BotVersion{BotID: b.ID, WorkspaceID: e.ws.ID, Version: 3, Engine: "llm"}))
	e.ch.BotID = &b.ID
	must(t, e.db.UpdateChannel(e.ctx, e.ch))
	e.p.Forget(e.ch.ID)
	e.hook(e.p, 1, 42, "hello")
	e.run()
	list, err := e.db.ListEvents(e.ctx, e.ws.ID, sb.EventFilter{Type: sb.EventBotError}, sb.Page{Limit: 5})
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("%d bot.error events", len(list))
	}
	var data struct {
		Version *int `json:"version"`
	}
	must(t, json.Unmarshal(list[0].Data, &data))
	if data.Version == nil || *data.Version != 3 {
		t.Fatalf("bot.error data %s", list[0].Data)
	}
}

// turns reads the bot turns counted with an engine and outcome.
func turns(t *testing.T, e *env, engine, outcome string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.p.Collectors()...)
	families, err := reg.Gather()
	must(t, err)
	for _, f := range families {
		if f.GetName() != "switchboard_bot_turns_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["engine"] == engine && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
