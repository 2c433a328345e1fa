package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/bot/bottest"
	"github.com/switchboardhq/switchboard/internal/testclock"
	"github.com/switchboardhq/switchboard/pipeline"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The tests of this file stop a "process" (a pipeline, with the
// operations that registered their training worker on its queue) in the
// middle of a training, and check that the training ends anyway: another
// process trains again once the lease expires, and a training interrupted
// too often fails cleanly. A bot never stays training.

const lease = time.Minute

type trainEnv struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	clock *testclock.Clock
	eng   *bottest.Engine
	ws    *sb.Workspace
	bg    sync.WaitGroup // the runs of crashed processes, still inside a training
}

func newTrainEnv(t *testing.T, url string) *trainEnv {
	e := &trainEnv{t: t, ctx: context.Background(), db: pgtest.Open(t, url),
		clock: testclock.New(time.Now().UTC().Truncate(time.Millisecond)), eng: bottest.New()}
	e.ws = &sb.Workspace{Name: "acme"}
	must(t, e.db.CreateWorkspace(e.ctx, e.ws))
	t.Cleanup(e.bg.Wait)
	return e
}

// process is one Switchboard process on the env's database and clock.
func (e *trainEnv) process(single bool) (*pipeline.Pipeline, *app.Service) {
	engines := sb.NewEngines(e.eng)
	p := pipeline.New(pipeline.Config{Lease: lease, CallTimeout: 10 * time.Second, SingleProcess: single},
		pipeline.Deps{Store: e.db, Engines: engines, Now: e.clock.Now, Jitter: func() float64 { return 0.5 }})
	s := app.New(app.Config{}, app.Deps{Store: e.db, Pipeline: p, Engines: engines, Clock: e.clock})
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Stop(ctx)
	})
	return p, s
}

// config is a builtin configuration whose greeting names its draft.
func config(greeting string) json.RawMessage {
	return json.RawMessage(`{"intents":[{"name":"greet","examples":["hello"],"responses":["` + greeting + `"]}],"fallback":"?"}`)
}

// trainingBot creates a bot (version 1) through s and asks for the
// training of a new draft, the next held trainings held back (see
// bottest.Engine.Hold).
func (e *trainEnv) trainingBot(s *app.Service, held int) (b *sb.Bot, started <-chan string, release func()) {
	b, err := s.CreateBot(e.ctx, e.ws.ID, &app.CreateBotParams{Name: "b", Engine: sb.EngineBuiltin, Config: config("v1")})
	must(e.t, err)
	_, err = s.ReplaceBotConfig(e.ctx, e.ws.ID, b.ID, config("v2"))
	must(e.t, err)
	started, release = e.eng.Hold(held)
	e.t.Cleanup(release)
	b, err = s.TrainBot(e.ctx, e.ws.ID, b.ID)
	must(e.t, err)
	if b.Status != sb.BotTraining {
		e.t.Fatalf("status %s after train", b.Status)
	}
	return b, started, release
}

// crashWhileTraining runs p's due jobs until a training starts, then
// kills p: the training goes on in the background, held back until the
// test releases it.
func (e *trainEnv) crashWhileTraining(p *pipeline.Pipeline, started <-chan string) {
	e.t.Helper()
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		_, _ = p.RunDue(e.ctx)
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		e.t.Fatal("no training started")
	}
	p.Jobs().Crash()
}

func (e *trainEnv) bot(id string) *sb.Bot {
	b, err := e.db.GetBot(e.ctx, e.ws.ID, id)
	must(e.t, err)
	return b
}

func (e *trainEnv) versions(id string) []int {
	vs, err := e.db.ListBotVersions(e.ctx, e.ws.ID, id, sb.Page{Limit: 50})
	must(e.t, err)
	var out []int
	for _, v := range vs {
		out = append(out, v.Version)
	}
	return out
}

// botEvents are the workspace's bot.* events, newest first, without the
// bot.trained and bot.deployed of version 1 that creating a bot emits.
func (e *trainEnv) botEvents() []*sb.Event {
	evs, err := e.db.ListEvents(e.ctx, e.ws.ID, sb.EventFilter{Type: "bot.*"}, sb.Page{Limit: 50})
	must(e.t, err)
	if len(evs) < 2 || evs[len(evs)-1].Type != sb.EventBotTrained || evs[len(evs)-2].Type != sb.EventBotDeployed {
		e.t.Fatalf("creating the bot emitted %v", evs)
	}
	return evs[:len(evs)-2]
}

// TestTrainingResumesAfterACrash: the process training a bot dies; once
// its lease expires another process trains the draft again and records
// one version; the dead process's training, when it finally returns,
// records nothing.
func TestTrainingResumesAfterACrash(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newTrainEnv(t, url)
		a, sa := e.process(false)
		b, started, release := e.trainingBot(sa, 1)
		e.crashWhileTraining(a, started)

		other, _ := e.process(false)
		if n, _ := other.RunDue(e.ctx); n != 0 {
			t.Fatal("the dead process's training was taken over before its lease expired")
		}
		e.clock.Advance(lease + time.Second)
		if n, err := other.RunDue(e.ctx); n != 1 || err != nil {
			t.Fatalf("ran %d jobs (%v), want the training", n, err)
		}
		got := e.bot(b.ID)
		if got.Status != sb.BotTrained || got.Version != 2 || *got.DeployedVersion != 1 ||
			got.Training.Status != sb.TrainingSucceeded || *got.Training.Version != 2 {
			t.Fatalf("bot after the resumed training: %+v %+v", got, got.Training)
		}
		release()
		e.bg.Wait() // the dead process's training returns; its outcome is dropped
		if vs := e.versions(b.ID); len(vs) != 2 || vs[0] != 2 {
			t.Fatalf("versions %v, want [2 1]", vs)
		}
		if evs := e.botEvents(); len(evs) != 1 || evs[0].Type != sb.EventBotTrained {
			t.Fatalf("events %v", evs)
		}
		if e.eng.Trains() != 3 { // version 1, the interrupted run, the resumed one
			t.Fatalf("%d trainings", e.eng.Trains())
		}
	})
}

// TestTrainingInterruptedTooOftenFails: a training whose every run dies
// ends, on the next claim, with status error, training.error and
// bot.error, and the deployed version is untouched.
func TestTrainingInterruptedTooOftenFails(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newTrainEnv(t, url)
		p, s := e.process(false)
		b, started, release := e.trainingBot(s, 3)
		for range 3 {
			e.crashWhileTraining(p, started)
			e.clock.Advance(lease + time.Second)
			p, _ = e.process(false)
		}
		if n, err := p.RunDue(e.ctx); n != 1 || err != nil {
			t.Fatalf("ran %d jobs (%v)", n, err)
		}
		got := e.bot(b.ID)
		if got.Status != sb.BotError || got.Training.Status != sb.TrainingFailed || got.Training.Error == nil ||
			!strings.Contains(*got.Training.Error, "interrupted 3 times") || got.Training.FinishedAt == nil ||
			*got.DeployedVersion != 1 || got.Version != 1 {
			t.Fatalf("bot: %+v %+v", got, got.Training)
		}
		evs := e.botEvents()
		if len(evs) != 1 || evs[0].Type != sb.EventBotError {
			t.Fatalf("events %v", evs)
		}
		var data struct {
			Error   string `json:"error"`
			Version *int   `json:"version"`
		}
		must(t, json.Unmarshal(evs[0].Data, &data))
		if data.Version != nil || !strings.HasPrefix(data.Error, "training failed: the training was interrupted") {
			t.Fatalf("bot.error data %s", evs[0].Data)
		}
		release()
		e.bg.Wait()
		if vs := e.versions(b.ID); len(vs) != 1 {
			t.Fatalf("versions %v", vs)
		}
		if n, _ := p.RunDue(e.ctx); n != 0 {
			t.Fatalf("%d jobs left", n)
		}
	})
}

// TestTrainingTakenOverAtStart: a process alone on its SQLite database
// trains, when it starts, the draft whose training its previous run did
// not finish.
func TestTrainingTakenOverAtStart(t *testing.T) {
	e := newTrainEnv(t, "sqlite://"+t.TempDir()+"/sb.db")
	a, sa := e.process(true)
	b, started, _ := e.trainingBot(sa, 1)
	e.crashWhileTraining(a, started)

	next, _ := e.process(true)
	next.Start(e.ctx)
	for deadline := time.Now().Add(30 * time.Second); e.bot(b.ID).Status == sb.BotTraining; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the training was not taken over")
		}
	}
	if got := e.bot(b.ID); got.Status != sb.BotTrained || got.Version != 2 {
		t.Fatalf("bot %+v", got)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
