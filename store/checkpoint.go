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
// both, so that the log can start over. The connection whose commit takes
// the log past 1000 pages runs a checkpoint inside that commit: on the
// single writer, every transaction waiting behind it waits for the copy
// and the fsyncs too. So a checkpointer with a connection of its own runs
// passive checkpoints (which neither wait for nor block the writer or the
// readers) in the background, whenever the log has grown checkpointPages,
// and the writer's own checkpoint finds most of the log copied and synced
// already.

// writerAutoCheckpoint is the log size, in pages, at which the writer
// checkpoints by itself (SQLite's default). Under a steady stream of
// commits a passive checkpoint in the background never finds the log
// wholly copied at the moment the writer begins a transaction, and only
// then can the log start over; the writer's own checkpoint, with little
// left to copy, lets it. (Measured: at 4000 pages the acknowledgements'
// p99 was worse, at 20000 the log reached 80 MB and readers look pages up
// in five blocks of the WAL index instead of one.)
const writerAutoCheckpoint = 1000

// checkpointEvery is how often the checkpointer looks at the log;
// checkpointPages the growth of the log, in pages, past which it
// checkpoints.
const (
	checkpointEvery = 20 * time.Millisecond
	checkpointPages = 400
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

// checkpointWarnEvery is how many failed checkpoints in a row make one
// warning after the first: at one attempt every 20 ms, one a minute.
const checkpointWarnEvery = 3000

func (c *checkpointer) loop() {
	defer c.done.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	pending := 0 // log pages not yet copied, as of the last checkpoint
	failing := 0 // checkpoints failed in a row (a full disk fails every one)
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
		if size < pending { // the log started over
			pending = 0
		}
		if err != nil || size-pending < checkpointPages && size < 4*checkpointPages {
			continue
		}
		if pending, err = c.checkpoint(); err != nil {
			failing++
			if failing == 1 || failing%checkpointWarnEvery == 0 {
				c.log.Warn("store: sqlite checkpoint failed", "error", err, "failures_in_a_row", failing)
			}
		} else if failing > 0 {
			c.log.Info("store: sqlite checkpoints succeed again", "failures_in_a_row", failing)
			failing = 0
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
