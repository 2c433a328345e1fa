package store

import (
	"context"
	"testing"

	"github.com/switchboardhq/switchboard"
)

// TestCheckpointer: the checkpointer measures the log without copying
// it, and a passive checkpoint copies all of it when nothing else runs, so
// that the next commit starts the log over.
func TestCheckpointer(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite://"+t.TempDir()+"/sb.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := db.checkpointer
	c.stop() // this test checkpoints by hand
	ws := &switchboard.Workspace{Name: "ckpt"}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	// Write, one commit each as the pipeline does, until the log has grown
	// enough for the background loop to checkpoint.
	before := 0
	for i := 0; before < checkpointPages; i++ {
		if i == 10*writerAutoCheckpoint {
			t.Fatalf("the log has %d pages after %d commits", before, i)
		}
		e := &switchboard.Event{WorkspaceID: ws.ID, Type: "test.event", Data: []byte(`{"i":` + itoa(i) + `,"pad":"` + pad + `"}`)}
		if err := db.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if before, err = c.walPages(); err != nil {
			t.Fatal(err)
		}
	}
	var busy, size, copied int
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(NOOP)`).Scan(&busy, &size, &copied); err != nil {
		t.Fatal(err)
	}
	if copied != 0 || size != before {
		t.Fatalf("measuring the log: %d pages, %d copied; want %d, none copied", size, copied, before)
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
