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
	"slices"
	"strings"
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
	// Split is told of each grouped transaction that failed and was
	// written again item by item (a lock wait given up, a deadlock, or
	// one item's error), with the number of items (for a metric).
	Split func(items int)
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
// With several writers (PostgreSQL), two batches that write the same rows
// would wait for each other, and could lock them in different orders and
// deadlock. Writes that name a key (DoKey: a conversation's id) therefore
// always go to the same writer, so that the writes of one conversation
// never wait across writers: a busy conversation's writes share that
// writer's batches instead of locking each other out. Writes without a key
// go to whichever writer is free. Across processes, which share no
// writers, a batch writes its items in the order of their keys (each key's
// own in the order they arrived), so two processes' batches take the rows
// of the keys they share in the same order: one waits for the other's
// commit instead of each holding a row the other needs until one gives up.
// As a last resort, a batch waits at most batchLockWait for a row lock, and
// if it gives up its items are written one by one (a single item cannot
// deadlock with another's).
type Committer struct {
	store    Store
	items    chan *txItem   // writes without a key: any writer
	keyed    []chan *txItem // writes with a key: writer hash(key) % len
	maxBatch int
	log      *slog.Logger
	observe  func(float64)
	split    func(int)
	wg       sync.WaitGroup
	mu       sync.RWMutex
	closed   bool
}

// batchLockWait bounds how long a grouped transaction waits for a row lock.
const batchLockWait = 200 * time.Millisecond

type txItem struct {
	key  string
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
	if o.Split == nil {
		o.Split = func(int) {}
	}
	c := &Committer{store: store, items: make(chan *txItem, o.MaxBatch*o.Writers), maxBatch: o.MaxBatch,
		log: o.Logger, observe: o.Observe, split: o.Split}
	for range o.Writers {
		own := make(chan *txItem, o.MaxBatch)
		c.keyed = append(c.keyed, own)
		c.wg.Add(1)
		go c.loop(own)
	}
	return c
}

// Do runs fn in a transaction, perhaps shared with others, and returns once
// it has committed or failed. Once fn is queued it runs whatever happens to
// ctx, so that a caller never gives up on a write that may commit.
func (c *Committer) Do(ctx context.Context, fn func(q sb.Queries) error) error {
	return c.DoKey(ctx, "", fn)
}

// DoKey is Do for a write of the rows of key (a conversation's id): the
// writes of one key are written by one writer, in the order they arrive,
// and never wait for each other's row locks. An empty key is Do.
func (c *Committer) DoKey(ctx context.Context, key string, fn func(q sb.Queries) error) error {
	it := &txItem{key: key, fn: fn, done: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return ErrStopped
	}
	queue := c.items
	if key != "" && len(c.keyed) > 1 {
		queue = c.keyed[writerOf(key, len(c.keyed))]
	}
	select {
	case queue <- it:
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	c.mu.RUnlock()
	return <-it.done
}

// writerOf maps a key to one of n writers (FNV-1a).
func writerOf(key string, n int) int {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return int(h % uint32(n))
}

// loop writes batches of the shared queue and of the writer's own (keyed)
// queue until both are closed.
func (c *Committer) loop(own chan *txItem) {
	defer c.wg.Done()
	shared := c.items
	batch := make([]*txItem, 0, c.maxBatch)
	for shared != nil || own != nil {
		var it *txItem
		var ok bool
		select {
		case it, ok = <-shared:
			if !ok {
				shared = nil
				continue
			}
		case it, ok = <-own:
			if !ok {
				own = nil
				continue
			}
		}
		batch = c.drain(append(batch[:0], it), own, shared)
		if len(batch) > 1 {
			// Others are writing too: let the ones about to join do so.
			for range 2 {
				runtime.Gosched()
				batch = c.drain(batch, own, shared)
			}
		}
		c.write(batch)
	}
}

// drain adds to batch what is queued, the writer's own writes first, up to
// maxBatch, without waiting. A nil or closed queue adds nothing.
func (c *Committer) drain(batch []*txItem, queues ...chan *txItem) []*txItem {
	for _, q := range queues {
	more:
		for q != nil && len(batch) < c.maxBatch {
			select {
			case it, ok := <-q:
				if !ok {
					break more
				}
				batch = append(batch, it)
			default:
				break more
			}
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
	slices.SortStableFunc(batch, func(a, b *txItem) int { return strings.Compare(a.key, b.key) })
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
	c.split(len(batch))
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
		for _, own := range c.keyed {
			close(own)
		}
	}
	c.mu.Unlock()
	c.wg.Wait()
}
