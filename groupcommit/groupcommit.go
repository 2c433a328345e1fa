// Package groupcommit writes transactions through a group committer:
// concurrent writes that arrive together share one database transaction,
// which is what lets SQLite's single writer keep up with many small writes
// (ingests, job claims and outcomes, the API's frequent writes).
//
// It is a package of its own, and not part of the job queue or the
// pipeline, because it is the write path of all of them: the pipeline's
// ingest, the queue's claims and outcomes, and the business operations'
// writes go through one Committer so that they share commits with each
// other. It knows nothing about jobs or messages; it only needs a store
// that runs a function in a transaction.
package groupcommit

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// Store runs a function in a database transaction (switchboard.Store
// does).
type Store interface {
	Tx(ctx context.Context, fn func(q sb.Queries) error) error
}

// Defaults of Options.
const (
	DefaultWriters  = 1
	DefaultMaxBatch = 256
)

// Options tune a Committer. Zero fields take the defaults.
type Options struct {
	// Writers is the number of concurrent writers (1 on SQLite, which has
	// one writer; more on PostgreSQL, where they overlap their round
	// trips).
	Writers int
	// MaxBatch bounds the writes grouped into one transaction.
	MaxBatch int
	Logger   *slog.Logger
	// Observe is given the size of each batch written (for a metric).
	Observe func(size float64)
}

// ErrStopped is returned by writes attempted after Close.
var ErrStopped = errors.New("groupcommit: stopped")

// Committer writes transactions, grouping the ones that arrive together
// into one database transaction (group commit). A function given to Do must
// be able to run more than once: when a grouped transaction fails, it is
// rolled back and each function is run again in a transaction of its own,
// so that one function's failure is its own. So a function sets its results
// afresh on each run and reports expected outcomes (a duplicate, a lost
// lease) through them rather than by failing, unless its writes must be
// undone.
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
type Committer struct {
	store    Store
	items    chan *txItem
	maxBatch int
	log      *slog.Logger
	observe  func(float64)
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

// New starts a committer's writers; Close stops them.
func New(store Store, o Options) *Committer {
	if o.Writers <= 0 {
		o.Writers = DefaultWriters
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Observe == nil {
		o.Observe = func(float64) {}
	}
	c := &Committer{store: store, items: make(chan *txItem, o.MaxBatch*o.Writers), maxBatch: o.MaxBatch,
		log: o.Logger, observe: o.Observe}
	for range o.Writers {
		c.wg.Add(1)
		go c.loop()
	}
	return c
}

// Do runs fn in a transaction, perhaps shared with others, and returns once
// it has committed or failed. Once fn is queued it runs whatever happens to
// ctx, so that a caller never gives up on a write that may commit.
func (c *Committer) Do(ctx context.Context, fn func(q sb.Queries) error) error {
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

func (c *Committer) loop() {
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
func (c *Committer) drain(batch []*txItem) []*txItem {
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
func (c *Committer) write(batch []*txItem) {
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
	c.log.Debug("groupcommit: grouped transaction failed; writing its items one by one", "items", len(batch), "error", err)
	for _, it := range batch {
		it.done <- c.store.Tx(ctx, it.fn)
	}
}

// Close stops accepting writes, finishes the queued ones and stops the
// writers.
func (c *Committer) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.items)
	}
	c.mu.Unlock()
	c.wg.Wait()
}
