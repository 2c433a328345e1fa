package pipeline

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// committer writes the pipeline's transactions, grouping the ones that
// arrive together into one database transaction (group commit). A function
// given to do must be able to run more than once: when a grouped
// transaction fails, it is rolled back and each function is run again in a
// transaction of its own, so that one function's failure is its own. So a
// function sets its results afresh on each run and reports expected
// outcomes (a duplicate, a lost lease) through them rather than by failing,
// unless its writes must be undone.
//
// Grouping takes what is queued when the writer becomes free, without
// waiting for more: a lone write commits at once, and under load the
// batches grow by themselves.
//
// With several writers (PostgreSQL), two batches could lock the rows of
// the same contacts in different orders and deadlock: a batch therefore
// waits at most batchLockWait for a row lock, and if it gives up its items
// are written one by one (a single item locks one contact's rows, which
// cannot deadlock with another's).
type committer struct {
	store    sb.Store
	items    chan *txItem
	maxBatch int
	log      *slog.Logger
	observe  func(float64) // the size of each batch written
	wg       sync.WaitGroup
	mu       sync.RWMutex
	closed   bool
}

// batchLockWait bounds how long a grouped transaction waits for a row lock.
const batchLockWait = 200 * time.Millisecond

type txItem struct {
	fn   func(q sb.Queries) error
	done chan error
}

// newCommitter starts n writers.
func newCommitter(store sb.Store, n, maxBatch int, log *slog.Logger, observe func(float64)) *committer {
	c := &committer{store: store, items: make(chan *txItem, maxBatch*n), maxBatch: maxBatch, log: log, observe: observe}
	for range n {
		c.wg.Add(1)
		go c.loop()
	}
	return c
}

// do runs fn in a transaction, perhaps shared with others, and returns once
// it has committed or failed. Once fn is queued it runs whatever happens to
// ctx, so that a caller never gives up on a write that may commit.
func (c *committer) do(ctx context.Context, fn func(q sb.Queries) error) error {
	it := &txItem{fn: fn, done: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return ErrStopped
	}
	select {
	case c.items <- it:
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	c.mu.RUnlock()
	return <-it.done
}

func (c *committer) loop() {
	defer c.wg.Done()
	batch := make([]*txItem, 0, c.maxBatch)
	for it := range c.items {
		batch = c.drain(append(batch[:0], it))
		if len(batch) > 1 {
			// Others are writing too: let the ones about to join do so.
			for range 2 {
				runtime.Gosched()
				batch = c.drain(batch)
			}
		}
		c.write(batch)
	}
}

// drain adds to batch what is queued, up to maxBatch, without waiting.
func (c *committer) drain(batch []*txItem) []*txItem {
	for len(batch) < c.maxBatch {
		select {
		case more, ok := <-c.items:
			if !ok {
				return batch
			}
			batch = append(batch, more)
		default:
			return batch
		}
	}
	return batch
}

// write commits a batch in one transaction, or each of its items in its own
// when the batch fails.
func (c *committer) write(batch []*txItem) {
	c.observe(float64(len(batch)))
	ctx := context.Background()
	if len(batch) == 1 {
		batch[0].done <- c.store.Tx(ctx, batch[0].fn)
		return
	}
	err := c.store.Tx(ctx, func(q sb.Queries) error {
		if err := q.BoundLockWait(ctx, batchLockWait); err != nil {
			return err
		}
		for _, it := range batch {
			if err := it.fn(q); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for _, it := range batch {
			it.done <- nil
		}
		return
	}
	c.log.Debug("pipeline: grouped transaction failed; writing its items one by one", "items", len(batch), "error", err)
	for _, it := range batch {
		it.done <- c.store.Tx(ctx, it.fn)
	}
}

// close stops accepting writes, finishes the queued ones and stops the
// writers.
func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.items)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// Write runs fn in a transaction through the group committer, so that the
// API's frequent writes (messages, conversation changes) share commits with
// each other and with the pipeline's. fn may run more than once (see
// committer) and must set its results afresh on each run.
func (p *Pipeline) Write(ctx context.Context, fn func(q sb.Queries) error) error {
	return p.commit.do(ctx, fn)
}
