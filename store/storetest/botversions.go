package storetest

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

func testBotVersions(t *testing.T, f *fixture) {
	b := f.bot
	if b.DeployedVersion != nil || b.Training != nil {
		t.Fatalf("a new bot has a deployed version or a training: %+v", b)
	}
	model := bytes.Repeat([]byte{0, 1, 2, 0xff}, 300_000) // 1.2 MB, zero bytes included
	v1 := &switchboard.BotVersion{BotID: b.ID, WorkspaceID: f.ws.ID, Version: 1, Engine: b.Engine, Config: b.Config,
		Secrets: b.Secrets, Model: model, Metrics: json.RawMessage(`{"intents":2,"cv_accuracy":0.5}`)}
	must(t, f.s.CreateBotVersion(f.ctx, v1))
	if v1.ModelSize != len(model) || v1.CreatedAt.IsZero() {
		t.Fatalf("CreateBotVersion: %+v", v1)
	}
	wantCode(t, f.s.CreateBotVersion(f.ctx, &switchboard.BotVersion{BotID: b.ID, WorkspaceID: f.ws.ID, Version: 1, Engine: b.Engine}),
		switchboard.EConflict)
	v2 := &switchboard.BotVersion{BotID: b.ID, WorkspaceID: f.ws.ID, Version: 2, Engine: b.Engine,
		Config: json.RawMessage(`{"model":"large"}`)}
	must(t, f.s.CreateBotVersion(f.ctx, v2))
	if string(v2.Metrics) != "{}" || len(v2.Secrets) != 0 {
		t.Fatalf("empty metrics and secrets: %+v", v2)
	}

	got, err := f.s.GetBotVersion(f.ctx, f.ws.ID, b.ID, 1)
	must(t, err)
	if got.Model != nil {
		t.Fatal("GetBotVersion returned the model")
	}
	want := *v1
	want.Model = nil
	same(t, got, &want)
	m, err := f.s.GetBotVersionModel(f.ctx, f.ws.ID, b.ID, 1)
	must(t, err)
	if !bytes.Equal(m, model) {
		t.Fatalf("model: %d bytes back of %d", len(m), len(model))
	}
	m, err = f.s.GetBotVersionModel(f.ctx, f.ws.ID, b.ID, 2)
	must(t, err)
	if m != nil {
		t.Fatalf("a version without a model: %d bytes", len(m))
	}
	_, err = f.s.GetBotVersion(f.ctx, f.ws.ID, b.ID, 3)
	wantNotFound(t, err)
	_, err = f.s.GetBotVersionModel(f.ctx, f.ws.ID, b.ID, 3)
	wantNotFound(t, err)

	// Newest first, paginated by version number.
	list, err := f.s.ListBotVersions(f.ctx, f.ws.ID, b.ID, switchboard.Page{Limit: 1})
	must(t, err)
	if len(list) != 2 || list[0].Version != 2 || list[1].Version != 1 || list[1].Model != nil {
		t.Fatalf("list: %+v", list)
	}
	list, err = f.s.ListBotVersions(f.ctx, f.ws.ID, b.ID, switchboard.Page{Limit: 5, After: strconv.Itoa(2)})
	must(t, err)
	if len(list) != 1 || list[0].Version != 1 {
		t.Fatalf("second page: %+v", list)
	}

	// Deploying sets the bot's deployed version; UpdateBot leaves it.
	at := time.Now().UTC().Add(-time.Minute)
	must(t, f.s.DeployBotVersion(f.ctx, f.ws.ID, b.ID, 2, at))
	wantNotFound(t, f.s.DeployBotVersion(f.ctx, f.ws.ID, b.ID, 7, at))
	started := time.Now().UTC()
	msg := "too few examples"
	b.Status, b.Version = switchboard.BotError, 2
	b.Training = &switchboard.TrainingState{Status: switchboard.TrainingFailed, StartedAt: started, FinishedAt: &started, Error: &msg}
	must(t, f.s.UpdateBot(f.ctx, b))
	bot, err := f.s.GetBot(f.ctx, f.ws.ID, b.ID)
	must(t, err)
	if bot.DeployedVersion == nil || *bot.DeployedVersion != 2 {
		t.Fatalf("deployed version: %v", bot.DeployedVersion)
	}
	b.DeployedVersion = bot.DeployedVersion
	same(t, bot, b)
	got, err = f.s.GetBotVersion(f.ctx, f.ws.ID, b.ID, 2)
	must(t, err)
	if got.DeployedAt == nil || !got.DeployedAt.Equal(at.Truncate(time.Microsecond)) {
		t.Fatalf("deployed_at: %v, want %v", got.DeployedAt, at)
	}

	// Other workspaces see nothing; deleting the bot deletes its versions.
	other := f.workspace(t, "other")
	_, err = f.s.GetBotVersion(f.ctx, other.ID, b.ID, 1)
	wantNotFound(t, err)
	wantNotFound(t, f.s.DeployBotVersion(f.ctx, other.ID, b.ID, 1, at))
	list, err = f.s.ListBotVersions(f.ctx, other.ID, b.ID, switchboard.Page{Limit: 5})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("another workspace lists %d versions", len(list))
	}
	must(t, f.s.LockBot(f.ctx, f.ws.ID, b.ID))
	must(t, f.s.Tx(f.ctx, func(q switchboard.Queries) error { return q.LockBot(f.ctx, f.ws.ID, b.ID) }))
	must(t, f.s.DeleteBot(f.ctx, f.ws.ID, b.ID))
	_, err = f.s.GetBotVersion(f.ctx, f.ws.ID, b.ID, 1)
	wantNotFound(t, err)
}
