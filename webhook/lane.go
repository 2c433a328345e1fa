package webhook

import (
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// lane is one endpoint's queue: its own bounded FIFO, its own workers (at
// most Concurrency, started on demand and gone when the queue is empty) and
// its own rate limit. Nothing in a lane waits on another lane.
type lane struct {
	d  *Dispatcher
	id string

	mu       sync.Mutex
	queue    []*job
	held     map[string]bool // queued or in flight, until the outcome is written
	active   int             // running workers
	backlog  bool            // deliveries of ours wait in the database
	fetching bool
	stopped  bool
	nextFree time.Time // rate limit: when the next request may start

	share   sync.Mutex // one take from the shared rate-limit bucket at a time
	prepaid int        // tokens taken from the shared bucket, not spent yet
}

// push queues j unless the lane already holds it, was released since the
// claim that found it began (claimSeq; 0 for new deliveries), or is full.
// A full lane remembers that it has a backlog to fetch.
//
// A claim may have read a delivery before the outcome of its attempt in
// flight was written: queueing that stale copy would repeat the attempt, so
// a delivery held or released meanwhile is skipped. (If it was in fact due
// again at once, it waits for the claim's lease to expire.)
func (l *lane) push(j *job, claimSeq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.held[j.d.ID]:
		return
	case claimSeq > 0 && l.d.released.since(j.d.ID, claimSeq-1):
		return
	case l.stopped:
		return
	case len(l.queue) >= l.d.cfg.QueueSize:
		l.backlog = true
		return
	}
	l.held[j.d.ID] = true
	l.queue = append(l.queue, j)
	l.d.m.queued.Inc()
	if l.active < l.d.cfg.Concurrency {
		l.active++
		l.d.workers.Add(1)
		go l.work()
	}
}

// work runs jobs until the queue is empty or the lane stops.
func (l *lane) work() {
	defer l.d.workers.Done()
	for {
		j := l.next()
		if j == nil {
			return
		}
		l.d.process(l, j)
	}
}

// next pops the next job, or returns nil and retires the worker, starting a
// fetch of the backlog when the queue runs low.
func (l *lane) next() *job {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) > 0 && !l.stopped {
		j := l.queue[0]
		l.queue[0] = nil
		l.queue = l.queue[1:]
		l.d.m.queued.Dec()
		l.maybeFetch()
		return j
	}
	l.active--
	l.maybeFetch()
	return nil
}

// maybeFetch starts a fetch of the backlog if there is one and room for
// it. Called with l.mu held.
func (l *lane) maybeFetch() {
	if l.backlog && !l.fetching && !l.stopped && len(l.queue) <= l.d.cfg.QueueSize/4 {
		l.fetching = true
		l.d.workers.Add(1)
		go l.fetch()
	}
}

// fetch claims due deliveries of this endpoint from the database (its own
// included: those that did not fit in the queue) and queues them.
func (l *lane) fetch() {
	defer l.d.workers.Done()
	l.mu.Lock()
	room := l.d.cfg.QueueSize - len(l.queue)
	limit := room + len(l.held)
	l.mu.Unlock()

	start := l.d.released.begin()
	defer l.d.released.end()
	now := l.d.cfg.Clock.Now()
	ds, err := l.d.store.ClaimDeliveries(l.d.ctx, sb.DeliveryClaim{
		Owner: l.d.owner, Now: now, Until: now.Add(l.d.cfg.Lease), EndpointID: l.id, Limit: limit,
	})
	if err != nil && l.d.ctx.Err() == nil {
		l.d.log.Warn("webhook: fetching an endpoint's backlog", "endpoint_id", l.id, "error", err)
	}
	l.mu.Lock()
	l.fetching = false
	l.backlog = err != nil || len(ds) >= limit
	l.mu.Unlock()
	for _, del := range ds {
		l.push(&job{d: del, p: l.d.payloads.forDelivery(del)}, start+1)
	}
	if err != nil {
		return
	}
	l.mu.Lock()
	if l.active == 0 {
		l.maybeFetch() // the backlog is still there and nobody will ask again
	}
	l.mu.Unlock()
}

// release forgets a delivery whose outcome has been written.
func (l *lane) release(id string) {
	l.mu.Lock()
	delete(l.held, id)
	l.d.released.record(id)
	l.mu.Unlock()
}

// stop drops the queue; running workers finish their current job.
func (l *lane) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	for _, j := range l.queue {
		delete(l.held, j.d.ID)
	}
	l.d.m.queued.Sub(float64(len(l.queue)))
	l.queue = nil
}

// turn waits for the endpoint's rate limit, if it has one: requests start
// at most rate per second, evenly spaced, and with shared limits at most
// rate per second from all processes together. It returns false if the
// dispatcher stopped meanwhile.
func (l *lane) turn(rate *int) bool {
	if rate == nil || *rate <= 0 {
		return true
	}
	if l.d.cfg.SharedLimits != nil && !l.sharedToken(*rate) {
		return false
	}
	interval := time.Second / time.Duration(*rate)
	clock := l.d.cfg.Clock
	l.mu.Lock()
	now := clock.Now()
	at := now
	if l.nextFree.After(now) {
		at = l.nextFree
	}
	l.nextFree = at.Add(interval)
	l.mu.Unlock()
	if wait := at.Sub(now); wait > 0 {
		select {
		case <-clock.After(wait):
		case <-l.d.ctx.Done():
			return false
		}
	}
	return true
}

// sharedToken spends a token of the endpoint's bucket shared by every
// process on the database, taking a chunk (a tenth of the rate) first if
// none is left, and waiting for the bucket to refill when it is empty. If
// the database fails, the local spacing alone limits this process.
func (l *lane) sharedToken(rate int) bool {
	l.share.Lock()
	defer l.share.Unlock()
	clock := l.d.cfg.Clock
	for l.prepaid == 0 {
		got, left, err := l.d.cfg.SharedLimits.TakeTokens(l.d.ctx, sb.TokenTake{
			Name: "endpoint:" + l.id, Rate: float64(rate), Burst: rate, Want: max(1, rate/10), Now: clock.Now()})
		if err != nil {
			if l.d.ctx.Err() != nil {
				return false
			}
			l.d.log.Warn("webhook: the shared rate limit failed; limiting in this process only", "endpoint_id", l.id, "error", err)
			return true
		}
		l.prepaid = got
		if got > 0 {
			break
		}
		wait := time.Duration((1 - left) / float64(rate) * float64(time.Second))
		select {
		case <-clock.After(max(wait, time.Millisecond)):
		case <-l.d.ctx.Done():
			return false
		}
	}
	l.prepaid--
	return true
}

// holds reports whether the dispatcher has del queued or in flight.
func (d *Dispatcher) holds(del *sb.Delivery) bool {
	d.mu.Lock()
	l := d.lanes[del.EndpointID]
	d.mu.Unlock()
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held[del.ID]
}
