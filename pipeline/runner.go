package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// maxPending bounds the jobs the runner keeps in memory; past it, new jobs
// are left to the poller, which finds them in the database.
const maxPending = 50_000

// runner runs jobs: those handed over after their transaction commits, and
// those the poller claims. Jobs with the same key run one at a time, in the
// order they arrived; at most Concurrency jobs run at once.
type runner struct {
	p   *Pipeline
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
}

// keyQueue holds the jobs of one key, waiting or running, oldest first;
// draining says a goroutine is running them.
type keyQueue struct {
	entries  []*entry
	draining bool
}

// task is a job handed to the runner, with what the step that wrote it
// already knows (hint: the rows the job will need), so that the job does
// not read them again. A job without a hint reads what it needs.
type task struct {
	job  *sb.Job
	hint any
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
// arrived while it was running unclaimed: the running copy will fail to
// claim it, so the claimed copy runs next.
type entry struct {
	job     *sb.Job
	hint    any
	running bool
	handoff *sb.Job
}

func newRunner(p *Pipeline) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	return &runner{
		p: p, sem: make(chan struct{}, p.cfg.Concurrency),
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
		e := &entry{job: j, hint: t.hint}
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
		if len(q.entries) == 0 {
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
			r.runEntry(e)
			<-r.sem
		case <-r.quit:
			r.giveBack(e)
		}
		r.remove(e)
	}
}

// runEntry runs a job, and its claimed copy if one arrived meanwhile.
func (r *runner) runEntry(e *entry) {
	r.mu.Lock()
	e.running = true
	j, hint := e.job, e.hint
	r.mu.Unlock()
	r.p.execute(r.ctx, j, hint)
	r.mu.Lock()
	next := e.handoff
	e.handoff = nil
	r.mu.Unlock()
	if next != nil {
		r.p.execute(r.ctx, next, hint)
	}
}

// giveBack releases a held job that will not run here.
func (r *runner) giveBack(e *entry) {
	if e.job.Lease != "" {
		r.p.release(e.job)
	}
}

// remove forgets a job that ran or was given back.
func (r *runner) remove(e *entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.known, e.job.ID)
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
func (p *Pipeline) poll(ctx context.Context, takeOver bool) {
	if takeOver {
		if n, err := p.store.ExpireJobLeases(ctx, p.now()); err != nil {
			p.log.Warn("pipeline: taking over the jobs of a previous run", "error", err)
		} else if n > 0 {
			p.log.Info("pipeline: taking over the jobs a previous run left unfinished", "jobs", n)
		}
	}
	for ctx.Err() == nil {
		p.claimDue(ctx)
		wait := p.cfg.PollInterval
		if next, err := p.store.NextJobDue(ctx); err == nil && !next.IsZero() {
			wait = min(wait, max(next.Sub(p.now()), 10*time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-p.run.wake:
		}
		t.Stop()
	}
}

// claimDue claims the jobs due now that this process has room for and
// hands them to the runner.
func (p *Pipeline) claimDue(ctx context.Context) {
	for ctx.Err() == nil && !p.run.stopping() {
		room := min(p.cfg.Concurrency*2-p.run.load(), 100)
		if room <= 0 {
			return
		}
		jobs, err := p.claimBatch(ctx, room)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, ErrStopped) {
				p.log.Warn("pipeline: claiming due jobs", "error", err)
			}
			return
		}
		p.run.submit(tasks(jobs)...)
		if len(jobs) < room {
			return
		}
	}
}

func (p *Pipeline) claimBatch(ctx context.Context, n int) ([]*sb.Job, error) {
	var jobs []*sb.Job
	err := p.commit.do(ctx, func(q sb.Queries) error {
		var err error
		jobs, err = q.ClaimJobs(ctx, p.now(), p.cfg.Lease, n)
		return err
	})
	return jobs, err
}

// execute runs one job: claims it first unless this process holds it with
// time to spare, then calls its handler.
func (p *Pipeline) execute(ctx context.Context, j *sb.Job, hint any) {
	if j.Lease == "" || j.LeasedUntil == nil || p.now().Add(p.cfg.Lease/2).After(*j.LeasedUntil) {
		claimed, err := p.claim(ctx, j)
		if err != nil || claimed == nil {
			if err != nil && ctx.Err() == nil {
				p.log.Warn("pipeline: claiming a job", "job", j.ID, "error", err)
			}
			return // somebody else has it, or it is gone, or not due yet
		}
		j = claimed
	}
	switch j.Kind {
	case sb.JobBotTurn:
		in, _ := hint.(*turnInput)
		p.botTurn(ctx, j, in)
	case sb.JobSend:
		in, _ := hint.(*sendInput)
		p.send(ctx, j, in)
	default:
		p.log.Error("pipeline: job of unknown kind; dropping it", "job", j.ID, "kind", j.Kind)
		p.finish(ctx, j, nil)
	}
}

// claim takes the lease of a job before it runs: a job nobody holds is
// claimed if it is due; a job this process holds whose lease is running
// out is given back and claimed afresh, so that a wait in the queue is not
// mistaken for an interrupted run. It returns nil if the job is not ours to
// run.
func (p *Pipeline) claim(ctx context.Context, j *sb.Job) (*sb.Job, error) {
	var claimed *sb.Job
	err := p.commit.do(ctx, func(q sb.Queries) error {
		claimed = nil
		if j.Lease != "" {
			if err := q.ReleaseJob(ctx, j.ID, j.Lease); err != nil {
				return ignoreNotFound(err)
			}
		} else if j.Attempts == 0 {
			// Most likely as this process wrote it a moment ago: claimed
			// without reading the row back.
			c, err := q.ClaimNewJob(ctx, j, p.now(), p.cfg.Lease)
			if sb.ErrorCode(err) != sb.ENotFound {
				claimed = c
				return err
			}
		}
		c, err := q.ClaimJob(ctx, j.ID, p.now(), p.cfg.Lease)
		claimed = c
		return ignoreNotFound(err)
	})
	return claimed, err
}

// release gives back a held job that did not run, due at once.
func (p *Pipeline) release(j *sb.Job) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.store.ReleaseJob(ctx, j.ID, j.Lease); err != nil && sb.ErrorCode(err) != sb.ENotFound {
		p.log.Warn("pipeline: giving back a job", "job", j.ID, "error", err)
	}
}

// finish deletes a job in the transaction that records its outcome (write,
// which may be nil). It returns false if nothing was written: the job was
// lost (its lease expired and another process took it over), or the
// database failed three times (the job then runs again when its lease
// expires).
func (p *Pipeline) finish(ctx context.Context, j *sb.Job, write func(q sb.Queries) error) bool {
	var err error
	for try := 0; try < 3; try++ {
		if try > 0 {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(time.Duration(try) * 100 * time.Millisecond):
			}
		}
		err = p.commit.do(ctx, func(q sb.Queries) error {
			if err := q.CompleteJob(ctx, j.ID, j.Lease); err != nil {
				if sb.ErrorCode(err) == sb.ENotFound {
					return errLost
				}
				return err
			}
			if write == nil {
				return nil
			}
			return write(q)
		})
		if err == nil {
			return true
		}
		if errors.Is(err, errLost) {
			p.log.Warn("pipeline: a job was taken over elsewhere before it finished here; this outcome is dropped",
				"job", j.ID, "kind", j.Kind)
			return false
		}
		if ctx.Err() != nil || errors.Is(err, ErrStopped) {
			break
		}
	}
	p.log.Error("pipeline: recording a job's outcome failed; it will run again", "job", j.ID, "kind", j.Kind, "error", err)
	return false
}

// retry gives a job back to run at the given time.
func (p *Pipeline) retry(ctx context.Context, j *sb.Job, at time.Time, lastError string) {
	err := p.commit.do(ctx, func(q sb.Queries) error {
		return ignoreNotFound(q.RetryJob(ctx, j.ID, j.Lease, at, lastError))
	})
	if err != nil {
		p.log.Error("pipeline: rescheduling a job", "job", j.ID, "error", err)
	}
	p.run.nudge()
}

// errLost rolls back the outcome of a job whose lease was lost.
var errLost = errors.New("pipeline: job lease lost")

func ignoreNotFound(err error) error {
	if sb.ErrorCode(err) == sb.ENotFound {
		return nil
	}
	return err
}

// newLease returns a token for a job this process creates held.
func newLease() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RunDue runs, in the calling goroutine, every job handed over and not yet
// run, then every job due at the pipeline's clock, until none is left. It is
// for tests and tools that drive the pipeline step by step instead of
// calling Start; it returns the number of jobs it ran.
func (p *Pipeline) RunDue(ctx context.Context) (int, error) {
	n := 0
	for {
		e := p.run.oldest()
		if e == nil {
			jobs, err := p.claimBatch(ctx, 100)
			if err != nil || len(jobs) == 0 {
				return n, err
			}
			p.run.submit(tasks(jobs)...)
			continue
		}
		p.run.runEntry(e)
		p.run.remove(e)
		n++
	}
}

// oldest is the oldest waiting job of any key (for RunDue).
func (r *runner) oldest() *entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var best *entry
	for _, q := range r.queues {
		if len(q.entries) > 0 && (best == nil || q.entries[0].job.ID < best.job.ID) {
			best = q.entries[0]
		}
	}
	return best
}
