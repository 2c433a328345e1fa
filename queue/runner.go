package queue

import (
	"context"
	"errors"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/groupcommit"
)

// maxPending bounds the jobs the runner keeps in memory; past it, new jobs
// are left to the poller, which finds them in the database.
const maxPending = 50_000

// runner runs jobs: those handed over after their transaction commits, and
// those the poller claims. Jobs with the same key run one at a time, in the
// order they arrived; at most Concurrency jobs run at once.
type runner struct {
	qu  *Queue
	sem chan struct{}

	mu      sync.Mutex
	started bool
	stopped bool
	queues  map[string]*keyQueue // by job key
	known   map[string]*entry    // by job id
	running sync.WaitGroup

	ctx        context.Context // of the jobs' work; cancelled only by a hard stop
	hardCancel context.CancelFunc
	quit       chan struct{} // closed when stopping: start nothing new
	wake       chan struct{} // nudges the poller

	// claiming is closed once the poller's claim in flight, if any, has
	// handed its jobs over (nil when none is in flight): a job whose own
	// claim failed because that claim took it waits for its claimed copy.
	claiming chan struct{}
}

// keyQueue holds the jobs of one key, waiting or running, oldest first;
// draining says a goroutine is running them.
type keyQueue struct {
	entries  []*entry
	draining bool
}

// task is a job handed to the runner with its work: its kind's worker,
// with the hint that came with it; nil work (a job the poller claimed) is
// the kind's worker without a hint.
type task struct {
	job  *sb.Job
	work work
}

// tasks wraps jobs without hints.
func tasks(jobs []*sb.Job) []task {
	out := make([]task, len(jobs))
	for i, j := range jobs {
		out[i] = task{job: j}
	}
	return out
}

// entry is a job in memory. handoff is a claimed copy of the job that
// arrived while it was running: the running copy, unclaimed, fails to
// claim it (or, run, gave it back for a retry the poller took at once), so
// the claimed copy runs next, in its place among the jobs of its key.
type entry struct {
	job     *sb.Job
	work    work
	running bool
	handoff *sb.Job
}

func newRunner(qu *Queue) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	return &runner{
		qu: qu, sem: make(chan struct{}, qu.cfg.Concurrency),
		queues: map[string]*keyQueue{}, known: map[string]*entry{},
		ctx: ctx, hardCancel: cancel, quit: make(chan struct{}), wake: make(chan struct{}, 1),
	}
}

func (r *runner) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = true
	for key, q := range r.queues { // handed over before Start
		if len(q.entries) > 0 && !q.draining {
			q.draining = true
			r.running.Add(1)
			go r.drain(key)
		}
	}
}

// submit hands over jobs whose transaction committed, or that the poller
// claimed. A job with a Lease is held by this process and runs without
// being claimed again; others are claimed just before they run.
func (r *runner) submit(ts ...task) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return // held jobs are given back by stop, or taken over when their lease expires
	}
	for _, t := range ts {
		j := t.job
		if e := r.known[j.ID]; e != nil {
			switch {
			case j.Lease == "" || e.job.Lease == j.Lease:
			case !e.running:
				e.job = j // the claimed copy replaces the unclaimed one
			default:
				e.handoff = j
			}
			continue
		}
		if len(r.known) >= maxPending {
			continue
		}
		e := &entry{job: j, work: t.work}
		r.known[j.ID] = e
		q := r.queues[j.Key]
		if q == nil {
			q = &keyQueue{}
			r.queues[j.Key] = q
		}
		q.entries = append(q.entries, e)
		if !q.draining && r.started {
			q.draining = true
			r.running.Add(1)
			go r.drain(j.Key)
		}
	}
}

// drain runs the jobs of one key until none is left.
func (r *runner) drain(key string) {
	defer r.running.Done()
	for {
		r.mu.Lock()
		q := r.queues[key]
		if q == nil || len(q.entries) == 0 { // nil: forgotten by Crash
			delete(r.queues, key)
			r.mu.Unlock()
			return
		}
		e := q.entries[0]
		r.mu.Unlock()

		select {
		case r.sem <- struct{}{}:
			if r.stopping() {
				<-r.sem
				r.giveBack(e)
				break
			}
			r.runEntry(withSlot(r.ctx, r.sem), e)
			<-r.sem
		case <-r.quit:
			r.giveBack(e)
		}
		r.remove(e)
	}
}

// runEntry runs a job, and its claimed copy if one arrived meanwhile, then
// forgets it (the job's place in its key's queue is the caller's).
//
// A job handed over unclaimed is claimed just before it runs, while this
// process's poller may be claiming it too: if the poller's claim wins, the
// job's own claim finds nothing, and the claimed copy reaches the runner
// only once the poller hands over its batch. Forgetting the job then would
// let that copy arrive as a new job, behind the later jobs of its key (or
// be set aside as a handoff nobody runs, held until its lease expires), so
// a job that could not be claimed waits for the poller's claim in flight
// and runs the copy it hands over. Checking for a handoff and forgetting
// the job happen under one lock, so that a copy arriving after that is a
// new job: one claimed after the job was done with here.
//
// ctx is the context of the job's work: r.ctx, with the job's place among
// the jobs running at once when it holds one (see Yield).
func (r *runner) runEntry(ctx context.Context, e *entry) {
	r.mu.Lock()
	e.running = true
	j, w := e.job, e.work
	r.mu.Unlock()
	for {
		if !r.qu.execute(ctx, j, w) {
			r.awaitClaim()
		}
		r.mu.Lock()
		next := e.handoff
		e.handoff = nil
		if next == nil {
			r.unknow(e)
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		j = next
	}
}

// beginClaim records that the poller is claiming jobs; endClaim, once it
// has handed them over (or failed).
func (r *runner) beginClaim() chan struct{} {
	c := make(chan struct{})
	r.mu.Lock()
	r.claiming = c
	r.mu.Unlock()
	return c
}

func (r *runner) endClaim(c chan struct{}) {
	r.mu.Lock()
	if r.claiming == c {
		r.claiming = nil
	}
	r.mu.Unlock()
	close(c)
}

// awaitClaim waits until the poller's claim in flight, if any, has handed
// its jobs over.
func (r *runner) awaitClaim() {
	r.mu.Lock()
	c := r.claiming
	r.mu.Unlock()
	if c == nil {
		return
	}
	select {
	case <-c:
	case <-r.ctx.Done():
	}
}

// unknow forgets e's job id unless it is another entry's now. r.mu is held.
func (r *runner) unknow(e *entry) {
	if r.known[e.job.ID] == e {
		delete(r.known, e.job.ID)
	}
}

// giveBack releases a held job that will not run here.
func (r *runner) giveBack(e *entry) {
	if e.job.Lease != "" {
		r.qu.release(e.job)
	}
}

// remove forgets a job that ran or was given back.
func (r *runner) remove(e *entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unknow(e)
	if q := r.queues[e.job.Key]; q != nil && len(q.entries) > 0 && q.entries[0] == e {
		q.entries = q.entries[1:]
		if len(q.entries) == 0 && !q.draining {
			delete(r.queues, e.job.Key)
		}
	}
}

func (r *runner) stopping() bool {
	select {
	case <-r.quit:
		return true
	default:
		return false
	}
}

// stop starts no new job, lets running jobs finish until ctx ends (then
// cancels them) and gives back the held jobs that did not start.
func (r *runner) stop(ctx context.Context) error {
	r.mu.Lock()
	r.stopped = true
	close(r.quit)
	var idle []*entry
	if !r.started { // no drain will give these back
		for _, q := range r.queues {
			idle = append(idle, q.entries...)
		}
		r.queues, r.known = map[string]*keyQueue{}, map[string]*entry{}
	}
	r.mu.Unlock()
	for _, e := range idle {
		r.giveBack(e)
	}
	done := make(chan struct{})
	go func() {
		r.running.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		r.hardCancel()
		<-done
	}
	r.hardCancel()
	return err
}

// nudge wakes the poller early.
func (r *runner) nudge() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// load is the number of jobs waiting or running in this process.
func (r *runner) load() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.known)
}

// poll claims due jobs: at start, then whenever the next one falls due, and
// at least every PollInterval (other processes write jobs too). takeOver
// first makes every held job due: this process is alone on the database,
// so their holders are dead.
func (qu *Queue) poll(ctx context.Context, takeOver bool) {
	if takeOver {
		if n, err := qu.store.ExpireJobLeases(ctx, qu.now()); err != nil {
			qu.log.Warn("queue: taking over the jobs of a previous run", "error", err)
		} else if n > 0 {
			qu.log.Info("queue: taking over the jobs a previous run left unfinished", "jobs", n)
		}
	}
	for ctx.Err() == nil {
		qu.claimDue(ctx)
		wait := qu.cfg.PollInterval
		if kinds := qu.kindNames(); len(kinds) > 0 {
			if next, err := qu.store.NextJobDue(ctx, kinds); err == nil && !next.IsZero() {
				wait = min(wait, max(next.Sub(qu.now()), 10*time.Millisecond))
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-qu.run.wake:
		}
		t.Stop()
	}
}

// claimDue claims the jobs due now that this process has room for and
// hands them to the runner.
func (qu *Queue) claimDue(ctx context.Context) {
	for ctx.Err() == nil && !qu.run.stopping() {
		room := min(qu.cfg.Concurrency*2-qu.run.load(), 100)
		if room <= 0 {
			return
		}
		claiming := qu.run.beginClaim()
		jobs, err := qu.claimBatch(ctx, room)
		if err == nil {
			qu.run.submit(tasks(jobs)...)
		}
		qu.run.endClaim(claiming)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, groupcommit.ErrStopped) {
				qu.log.Warn("queue: claiming due jobs", "error", err)
			}
			return
		}
		if len(jobs) < room {
			return
		}
	}
}

// claimBatch claims up to n due jobs of the kinds registered here; jobs of
// other kinds are left to the processes that run them.
func (qu *Queue) claimBatch(ctx context.Context, n int) ([]*sb.Job, error) {
	kinds := qu.kindNames()
	if len(kinds) == 0 {
		return nil, nil // no kinds would mean every kind to ClaimJobs
	}
	var jobs []*sb.Job
	err := qu.commit.Do(ctx, func(q sb.Queries) error {
		var err error
		jobs, err = q.ClaimJobs(ctx, qu.now(), qu.cfg.Lease, n, kinds)
		return err
	})
	return jobs, err
}

// execute runs one job: claims it first unless this process holds it with
// time to spare, then calls its work (w, or the worker of its kind). It
// returns false if the job was not claimed: somebody else has it (perhaps
// this process's poller), it is gone or not due yet, or the claim failed.
func (qu *Queue) execute(ctx context.Context, j *sb.Job, w work) bool {
	if j.Lease == "" || j.LeasedUntil == nil || qu.now().Add(qu.cfg.Lease/2).After(*j.LeasedUntil) {
		claimed, err := qu.claim(ctx, j)
		if err != nil || claimed == nil {
			if err != nil && ctx.Err() == nil {
				qu.log.Warn("queue: claiming a job", "job", j.ID, "error", err)
			}
			return false
		}
		j = claimed
	}
	if w == nil {
		qu.mu.RLock()
		w = qu.kinds[j.Kind]
		qu.mu.RUnlock()
	}
	if w == nil {
		// Not claimed by the poller, which claims only the kinds
		// registered here, nor handed over, which comes with its work: a
		// job of a kind this process does not run is never deleted, but
		// given back, due at once, for a process that runs it.
		qu.log.Warn("queue: a job of a kind not registered here was claimed; giving it back", "job", j.ID, "kind", j.Kind)
		qu.release(j)
	} else {
		w(ctx, j)
	}
	return true
}

// claim takes the lease of a job before it runs: a job nobody holds is
// claimed if it is due; a job this process holds whose lease is running
// out is given back and claimed afresh, so that a wait in the queue is not
// mistaken for an interrupted run. It returns nil if the job is not ours to
// run.
func (qu *Queue) claim(ctx context.Context, j *sb.Job) (*sb.Job, error) {
	var claimed *sb.Job
	err := qu.commit.Do(ctx, func(q sb.Queries) error {
		claimed = nil
		if j.Lease != "" {
			if err := q.ReleaseJob(ctx, j.ID, j.Lease); err != nil {
				return ignoreNotFound(err)
			}
		} else if j.Attempts == 0 {
			// Most likely as this process wrote it a moment ago: claimed
			// without reading the row back.
			c, err := q.ClaimNewJob(ctx, j, qu.now(), qu.cfg.Lease)
			if sb.ErrorCode(err) != sb.ENotFound {
				claimed = c
				return err
			}
		}
		c, err := q.ClaimJob(ctx, j.ID, qu.now(), qu.cfg.Lease)
		claimed = c
		return ignoreNotFound(err)
	})
	return claimed, err
}

// release gives back a held job that did not run, due at once.
func (qu *Queue) release(j *sb.Job) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := qu.store.ReleaseJob(ctx, j.ID, j.Lease); err != nil && sb.ErrorCode(err) != sb.ENotFound {
		qu.log.Warn("queue: giving back a job", "job", j.ID, "error", err)
	}
}

// RunDue runs, in the calling goroutine, every job handed over and not yet
// run, then every job due at the queue's clock, until none is left. It is
// for tests and tools that drive the queue step by step instead of calling
// Start; it returns the number of jobs it ran.
func (qu *Queue) RunDue(ctx context.Context) (int, error) {
	n := 0
	for {
		e := qu.run.oldest(true, nil)
		if e == nil {
			jobs, err := qu.claimBatch(ctx, 100)
			if err != nil || len(jobs) == 0 {
				return n, err
			}
			qu.run.submit(tasks(jobs)...)
			continue
		}
		qu.run.runEntry(qu.run.ctx, e)
		qu.run.remove(e)
		n++
	}
}

// RunPending runs, in the calling goroutine, the jobs of one kind handed
// over to this queue and not run yet, oldest first, leaving the others. It
// is for tests, which stop a "process" between two steps with it.
func (qu *Queue) RunPending(kind string) int {
	n := 0
	for {
		e := qu.run.oldest(false, func(e *entry) bool { return e.job.Kind == kind })
		if e == nil {
			return n
		}
		qu.run.runEntry(qu.run.ctx, e)
		qu.run.forget(e)
		n++
	}
}

// Crash makes the queue behave like the queue of a process that died: it
// forgets the jobs it holds without giving them back and takes no new ones.
// (Calls already inside a job carry on.) It is for tests.
func (qu *Queue) Crash() {
	r := qu.run
	r.mu.Lock()
	r.stopped = true
	r.queues, r.known = map[string]*keyQueue{}, map[string]*entry{}
	r.mu.Unlock()
	if qu.cancel != nil {
		qu.cancel()
	}
}

// oldest is the oldest waiting job that match accepts (nil: any), among
// the first of each key if first, else among all (for RunDue and
// RunPending).
func (r *runner) oldest(first bool, match func(*entry) bool) *entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var best *entry
	for _, q := range r.queues {
		for i, e := range q.entries {
			if first && i > 0 {
				break
			}
			if (match == nil || match(e)) && (best == nil || e.job.ID < best.job.ID) {
				best = e
			}
		}
	}
	return best
}

// forget removes a job wherever it is in its key's queue.
func (r *runner) forget(e *entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unknow(e)
	q := r.queues[e.job.Key]
	if q == nil {
		return
	}
	for i, c := range q.entries {
		if c == e {
			q.entries = append(q.entries[:i:i], q.entries[i+1:]...)
			break
		}
	}
}
