package store

import (
	"context"
	"testing"

	"github.com/switchboardhq/switchboard"
)

// TestCheckpointerKeepsTheLogShort: the writer no longer checkpoints at
// 1000 pages by itself; the background checkpointer does, so the log is
// copied back and starts over while writes go on.
func TestCheckpointerKeepsTheLogShort(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite://"+t.TempDir()+"/sb.db", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := db.checkpointer
	c.stop() // this test checkpoints by hand
	if _, err := c.walPages(); err != nil {
		t.Fatalf("measuring the log: %v", err)
	}
	ws := &switchboard.Workspace{Name: "ckpt"}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	// Write well past checkpointPages, one commit each, as the pipeline
	// does, and checkpoint as the background loop would.
	for i := range 3000 {
		e := &switchboard.Event{WorkspaceID: ws.ID, Type: "test.event", Data: []byte(`{"i":` + itoa(i) + `,"pad":"` + pad + `"}`)}
		if err := db.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	before, err := c.walPages()
	if err != nil {
		t.Fatal(err)
	}
	var busy, size, copied int
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(NOOP)`).Scan(&busy, &size, &copied); err != nil {
		t.Fatal(err)
	}
	if copied != 0 {
		t.Fatalf("measuring the log copied %d pages of it, want none", copied)
	}
	if before < checkpointPages {
		t.Fatalf("log of %d pages after the writes: the writer checkpointed by itself", before)
	}
	left, err := c.checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d pages left in the log by a checkpoint with nothing else running", left)
	}
	// The next commit starts the log over.
	if err := db.CreateEvent(ctx, &switchboard.Event{WorkspaceID: ws.ID, Type: "test.event"}); err != nil {
		t.Fatal(err)
	}
	after, err := c.walPages()
	if err != nil {
		t.Fatal(err)
	}
	if after >= before {
		t.Fatalf("log of %d pages after the checkpoint, %d before: it did not start over", after, before)
	}
}

var pad = string(make([]byte, 0)) + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
