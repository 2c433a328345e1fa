package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// SQLite in WAL mode appends every commit to the write-ahead log, and a
// checkpoint copies the log back into the database file, with an fsync of
// both, so that the log can start over. By default the connection whose
// commit takes the log past 1000 pages runs the checkpoint inside that
// commit: on the single writer, every transaction waiting behind it waits
// for the copy and the fsyncs too. Instead, a checkpointer with a
// connection of its own runs passive checkpoints (which neither wait for
// nor block the writer or the readers) whenever the log has grown 1000
// pages, in the background, and the writer's own checkpoint comes later
// (writerAutoCheckpoint), when most of the log has been copied already.

// writerAutoCheckpoint is the log size, in pages, at which the writer
// checkpoints by itself. Under a steady stream of commits a passive
// checkpoint in the background never finds the log wholly copied at the
// moment the writer begins a transaction, and only then can the log start
// over; the writer's own checkpoint, with little left to copy by then, lets
// it. 4000 pages keep the log within one block of the WAL index (4096
// frames), as the default of 1000 did, so that readers look a page up as
// fast as before.
const writerAutoCheckpoint = 4000

// checkpointEvery is how often the checkpointer looks at the log;
// checkpointPages the log size, in pages, past which it checkpoints.
const (
	checkpointEvery = 50 * time.Millisecond
	checkpointPages = 1000
)

// checkpointer runs passive checkpoints of a SQLite database in the
// background until stopped.
type checkpointer struct {
	db     *sql.DB
	log    *slog.Logger
	stopCh chan struct{}
	done   sync.WaitGroup
	once   sync.Once
}

func startCheckpointer(db *sql.DB, log *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, log: log, stopCh: make(chan struct{})}
	c.done.Add(1)
	go c.loop()
	return c
}

func (c *checkpointer) loop() {
	defer c.done.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	pending := 0 // log pages not yet copied, as of the last checkpoint
	for {
		select {
		case <-c.stopCh:
			return
		case <-t.C:
		}
		// A passive checkpoint reports the log's size; it copies what no
		// reader still needs. Checkpoint when the log has grown enough since
		// the pages last left uncopied.
		size, err := c.walPages()
		if err != nil || size-pending < checkpointPages && size < 4*checkpointPages {
			continue
		}
		if pending, err = c.checkpoint(); err != nil {
			c.log.Warn("store: sqlite checkpoint", "error", err)
		}
	}
}

// walPages returns the size of the log in pages, from the size of its file
// (cheap; no lock).
func (c *checkpointer) walPages() (int, error) {
	var n int
	// A checkpoint that copies nothing reports the log size without I/O.
	err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(NOOP)`).Scan(new(int), &n, new(int))
	return n, err
}

// checkpoint runs a passive checkpoint and returns the pages it left in
// the log.
func (c *checkpointer) checkpoint() (int, error) {
	var busy, logPages, copied int
	err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logPages, &copied)
	if err != nil || logPages < 0 {
		return 0, err
	}
	return logPages - copied, nil
}

// stop ends the checkpointer.
func (c *checkpointer) stop() {
	c.once.Do(func() { close(c.stopCh) })
	c.done.Wait()
}
