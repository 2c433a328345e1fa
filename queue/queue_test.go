package queue_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/groupcommit"
	"github.com/switchboardhq/switchboard/internal/testclock"
	"github.com/switchboardhq/switchboard/queue"
	"github.com/switchboardhq/switchboard/retry"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	kindTest = "test"
	lease    = time.Minute
)

// args and note are the payload and the hint of the test kind.
type args struct {
	N int `json:"n"`
}

type note struct{ Text string }

// run is one run of a test job as its worker saw it.
type run struct {
	ID          string
	Key         string
	N           int
	Hint        string // "" without a hint
	Attempts    int
	Interrupted bool
	LastError   string
}

// env is a database with a workspace, shared by the "processes" (queues)
// a test makes with process.
type env struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	ws    *sb.Workspace
	clock *testclock.Clock
}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	ctx := context.Background()
	db := pgtest.Open(t, url)
	e := &env{t: t, ctx: ctx, db: db, clock: testclock.New(time.Now().UTC().Truncate(time.Millisecond))}
	e.ws = &sb.Workspace{Name: "acme"}
	must(t, db.CreateWorkspace(ctx, e.ws))
	return e
}

// process is one process's queue on the env's database, with the test
// kind registered; work is its worker's body (nil: finish at once).
type process struct {
	e      *env
	qu     *queue.Queue
	commit *groupcommit.Committer
	kind   *queue.Kind[args, note]
	work   func(p *process, j *queue.Job[args, note]) // nil: finish

	mu   sync.Mutex
	runs []run
}

func (e *env) process(cfg queue.Config, work func(p *process, j *queue.Job[args, note])) *process {
	if cfg.Lease == 0 {
		cfg.Lease = lease
	}
	p := &process{e: e, work: work}
	p.commit = groupcommit.New(e.db, groupcommit.Options{Writers: 2})
	p.qu = queue.New(cfg, queue.Deps{
		Store: e.db, Commit: p.commit, Now: e.clock.Now,
		Jitter: func() float64 { return 0 }, // the shortest delay: 80 % of the schedule's
	})
	p.kind = queue.Register(p.qu, kindTest, func(ctx context.Context, j *queue.Job[args, note]) {
		r := run{ID: j.ID, Key: j.Key, N: j.Args.N, Attempts: j.Attempts, Interrupted: j.Interrupted, LastError: j.LastError}
		if j.Hint != nil {
			r.Hint = j.Hint.Text
		}
		p.mu.Lock()
		p.runs = append(p.runs, r)
		p.mu.Unlock()
		if p.work != nil {
			p.work(p, j)
			return
		}
		p.qu.Finish(ctx, j.Job, nil)
	})
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.qu.Stop(ctx)
		p.commit.Close()
	})
	return p
}

// enqueue writes a job of the test kind through the process's queue, in a
// transaction of its own, handed over with a hint when hint is not "".
func (p *process) enqueue(key string, n int, hold bool, hint string) *sb.Job {
	p.e.t.Helper()
	var h *note
	if hint != "" {
		h = &note{Text: hint}
	}
	var j *sb.Job
	must(p.e.t, p.commit.Do(p.e.ctx, func(q sb.Queries) error {
		var err error
		j, err = p.kind.Enqueue(p.e.ctx, q, queue.NewJob[args]{WorkspaceID: p.e.ws.ID, Key: key, Args: args{N: n}, Hold: hold}, h)
		return err
	}))
	return j
}

func (p *process) runDue() int {
	p.e.t.Helper()
	n, err := p.qu.RunDue(p.e.ctx)
	must(p.e.t, err)
	return n
}

func (p *process) ran() []run {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]run(nil), p.runs...)
}

// noJobsLeft fails if any job is still stored.
func (e *env) noJobsLeft() {
	e.t.Helper()
	next, err := e.db.NextJobDue(e.ctx, nil)
	must(e.t, err)
	if !next.IsZero() {
		e.t.Fatalf("a job is still stored (due %s)", next)
	}
}

// waitFor waits until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRunsOnce: a job of a registered kind runs once, with its payload, and
// with its hint in the process that wrote it; a job another writer stored
// (Create, no queue) runs without one. Each is deleted when it finishes.
func TestRunsOnce(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		p := e.process(queue.Config{}, nil)
		held := p.enqueue("a", 1, true, "held")
		due := p.enqueue("b", 2, false, "due")
		var stored *sb.Job
		must(t, e.db.Tx(e.ctx, func(q sb.Queries) error {
			var err error
			stored, err = queue.Create(e.ctx, q, kindTest, queue.NewJob[args]{WorkspaceID: e.ws.ID, Args: args{N: 3}, RunAt: e.clock.Now()})
			return err
		}))
		if stored.Key != stored.ID || held.Attempts != 1 || held.Lease == "" || due.Lease != "" {
			t.Fatalf("jobs as written: held %+v, due %+v, stored %+v", held, due, stored)
		}
		if n := p.runDue(); n != 3 {
			t.Fatalf("ran %d jobs, want 3", n)
		}
		if n := p.runDue(); n != 0 {
			t.Fatalf("ran %d jobs again", n)
		}
		got := p.ran()
		want := []run{
			{ID: held.ID, Key: "a", N: 1, Hint: "held", Attempts: 1},
			{ID: due.ID, Key: "b", N: 2, Hint: "due", Attempts: 1},
			{ID: stored.ID, Key: stored.ID, N: 3, Attempts: 1},
		}
		equal(t, "runs", got, want)
		e.noJobsLeft()
	})
}

// TestStartRunsAtOnce: a started queue runs a job handed over as soon as
// its transaction commits, and finds a job written elsewhere by polling.
func TestStartRunsAtOnce(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		p := e.process(queue.Config{PollInterval: 20 * time.Millisecond}, nil)
		p.qu.Start(e.ctx)
		p.enqueue("a", 1, true, "held")
		p.enqueue("a", 2, false, "")
		_, err := queue.Create(e.ctx, e.db, kindTest, queue.NewJob[args]{WorkspaceID: e.ws.ID, Args: args{N: 3}, RunAt: e.clock.Now()})
		must(t, err)
		waitFor(t, "three runs", func() bool { return len(p.ran()) == 3 })
		waitFor(t, "no jobs left", func() bool { next, _ := e.db.NextJobDue(e.ctx, nil); return next.IsZero() })
		must(t, p.qu.Stop(e.ctx))
		if n := len(p.ran()); n != 3 {
			t.Fatalf("%d runs, want 3", n)
		}
	})
}

// TestPerKeyOrder: jobs of one key run one at a time, in the order they
// were written, while jobs of other keys run beside them. Jobs written held
// and not held alternate: the ones not held are due, so the poller claims
// them while they wait in the runner, and a job whose own claim loses to
// the poller's must still run in its place, not when the poller hands it
// over.
func TestPerKeyOrder(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		var mu sync.Mutex
		running := map[string]int{}
		most := 0
		p := e.process(queue.Config{Concurrency: 8}, func(p *process, j *queue.Job[args, note]) {
			mu.Lock()
			running[j.Key]++
			if running[j.Key] > 1 {
				t.Errorf("two jobs of key %s run at once", j.Key)
			}
			most = max(most, len(running))
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
			mu.Lock()
			if running[j.Key]--; running[j.Key] == 0 {
				delete(running, j.Key)
			}
			mu.Unlock()
			p.qu.Finish(e.ctx, j.Job, nil)
		})
		const perKey = 15
		keys := []string{"a", "b", "c"}
		for i := range perKey {
			for _, k := range keys {
				p.enqueue(k, i, i%2 == 0, "")
			}
		}
		p.qu.Start(e.ctx)
		waitFor(t, "every run", func() bool { return len(p.ran()) == perKey*len(keys) })
		must(t, p.qu.Stop(e.ctx))
		next := map[string]int{}
		for _, r := range p.ran() {
			if r.N != next[r.Key] {
				t.Fatalf("key %s ran job %d, want %d", r.Key, r.N, next[r.Key])
			}
			next[r.Key]++
		}
		if most < 2 {
			t.Errorf("keys never ran side by side")
		}
		e.noJobsLeft()
	})
}

// TestRetrySchedule: a failed attempt is retried on its schedule (with
// the jitter fixed at its lowest, 80 % of each delay), not before, and
// ends when the schedule is exhausted.
func TestRetrySchedule(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		sched := retry.Schedule{10 * time.Second, time.Minute}
		var exhausted bool
		p := e.process(queue.Config{}, func(p *process, j *queue.Job[args, note]) {
			d, ok := p.qu.Backoff(sched, j.Attempts, 0)
			if !ok {
				exhausted = true
				p.qu.Finish(e.ctx, j.Job, nil)
				return
			}
			p.qu.Retry(e.ctx, j.Job, e.clock.Now().Add(d), fmt.Sprintf("failure %d", j.Attempts))
		})
		p.enqueue("a", 1, false, "")
		steps := []struct {
			advance time.Duration
			runs    int
		}{
			{0, 1},
			{8*time.Second - time.Millisecond, 0},
			{time.Millisecond, 1}, // 80 % of 10 s
			{48*time.Second - time.Millisecond, 0},
			{time.Millisecond, 1}, // 80 % of 1 min
		}
		for i, s := range steps {
			e.clock.Advance(s.advance)
			if n := p.runDue(); n != s.runs {
				t.Fatalf("step %d: ran %d jobs, want %d", i, n, s.runs)
			}
		}
		got := p.ran()
		if len(got) != 3 || got[1].Attempts != 2 || got[1].LastError != "failure 1" || got[2].Attempts != 3 ||
			got[2].LastError != "failure 2" || got[2].Interrupted || !exhausted {
			t.Fatalf("runs: %+v (exhausted %v)", got, exhausted)
		}
		e.noJobsLeft()

		// A wait the work asks for wins over the schedule, within MaxRetryWait.
		if d, ok := p.qu.Backoff(sched, 1, 30*time.Second); d != 30*time.Second || !ok {
			t.Errorf("Backoff with a wait of 30 s = %v, %v", d, ok)
		}
		if d, ok := p.qu.Backoff(sched, 1, 5*time.Hour); d != queue.MaxRetryWait || !ok {
			t.Errorf("Backoff with a wait of 5 h = %v, %v", d, ok)
		}
		if _, ok := p.qu.Backoff(sched, 3, time.Second); ok {
			t.Error("Backoff past the schedule is ok")
		}
	})
}

// TestLeaseLost: a process stalls in a job past its lease; another takes
// the job over (interrupted) and finishes it. The first, coming back,
// writes nothing: its outcome is rolled back with the job's deletion.
func TestLeaseLost(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		arrived, release := make(chan struct{}), make(chan struct{})
		var finished bool
		a := e.process(queue.Config{}, func(p *process, j *queue.Job[args, note]) {
			close(arrived)
			<-release
			finished = p.qu.Finish(e.ctx, j.Job, func(q sb.Queries) error {
				return q.CreateWorkspace(e.ctx, &sb.Workspace{Name: "outcome-of-a"})
			})
		})
		b := e.process(queue.Config{}, nil)
		a.enqueue("a", 1, false, "")
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.qu.RunDue(e.ctx)
		}()
		<-arrived
		if n := b.runDue(); n != 0 {
			t.Fatal("a held job was taken before its lease expired")
		}
		e.clock.Advance(lease + time.Second)
		if n := b.runDue(); n != 1 {
			t.Fatalf("ran %d jobs, want the stalled one", n)
		}
		close(release)
		<-done
		if finished {
			t.Fatal("the outcome of a lost job was written")
		}
		if _, err := e.db.GetWorkspaceByName(e.ctx, "outcome-of-a"); sb.ErrorCode(err) != sb.ENotFound {
			t.Fatalf("the outcome of a lost job was written: %v", err)
		}
		if got := b.ran(); len(got) != 1 || !got[0].Interrupted || got[0].Attempts != 2 {
			t.Fatalf("runs of b: %+v", got)
		}
		e.noJobsLeft()
	})
}

// TestCrashResume: a process dies holding a job it wrote held. Another
// takes it over once its lease has expired, marked interrupted; a process
// alone on its database (SingleProcess) takes it over as it starts.
func TestCrashResume(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		a := e.process(queue.Config{}, nil)
		first := a.enqueue("a", 1, true, "hint")
		a.qu.Crash()
		if n := a.runDue(); n != 0 {
			t.Fatalf("a crashed queue ran %d jobs", n)
		}
		b := e.process(queue.Config{}, nil)
		if n := b.runDue(); n != 0 {
			t.Fatal("the dead process's job was taken before its lease expired")
		}
		e.clock.Advance(lease + time.Second)
		if n := b.runDue(); n != 1 {
			t.Fatalf("ran %d jobs, want the dead process's", n)
		}
		equal(t, "runs", b.ran(), []run{{ID: first.ID, Key: "a", N: 1, Attempts: 2, Interrupted: true}})
		e.noJobsLeft()

		// Alone on the database: taken over at start, without waiting.
		c := e.process(queue.Config{}, nil)
		second := c.enqueue("b", 2, true, "")
		c.qu.Crash()
		d := e.process(queue.Config{SingleProcess: true, PollInterval: time.Hour}, nil)
		d.qu.Start(e.ctx)
		waitFor(t, "the take-over", func() bool { return len(d.ran()) == 1 })
		must(t, d.qu.Stop(e.ctx))
		equal(t, "runs", d.ran(), []run{{ID: second.ID, Key: "b", N: 2, Attempts: 2, Interrupted: true}})
		e.noJobsLeft()
	})
}

// TestStopGivesBack: a process that stops gives back the jobs it holds
// and did not start, so that another runs them at once, not as
// interrupted; a job running when Stop is called finishes first.
func TestStopGivesBack(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		arrived, release := make(chan struct{}), make(chan struct{})
		a := e.process(queue.Config{Concurrency: 1}, func(p *process, j *queue.Job[args, note]) {
			if j.Args.N == 1 {
				close(arrived)
				<-release
			}
			p.qu.Finish(e.ctx, j.Job, nil)
		})
		a.qu.Start(e.ctx)
		a.enqueue("a", 1, true, "")
		<-arrived
		waiting := []*sb.Job{a.enqueue("a", 2, true, ""), a.enqueue("b", 3, true, "")}
		stopped := make(chan error)
		go func() { stopped <- a.qu.Stop(e.ctx) }()
		time.Sleep(20 * time.Millisecond)
		select {
		case err := <-stopped:
			t.Fatalf("Stop returned (%v) while a job was running", err)
		default:
		}
		close(release)
		must(t, <-stopped)
		if n := len(a.ran()); n != 1 {
			t.Fatalf("the stopping process ran %d jobs, want 1", n)
		}
		b := e.process(queue.Config{}, nil)
		if n := b.runDue(); n != 2 {
			t.Fatalf("ran %d jobs, want the 2 given back, without waiting for a lease", n)
		}
		equal(t, "runs", b.ran(), []run{
			{ID: waiting[0].ID, Key: "a", N: 2, Attempts: 1},
			{ID: waiting[1].ID, Key: "b", N: 3, Attempts: 1},
		})
		e.noJobsLeft()
	})
}

// TestUnknownKindLeft: a job of a kind this process did not register (one
// a newer version wrote, during a rolling upgrade) is neither claimed nor
// run nor deleted, by RunDue or by a started queue's poller; a process that
// registered its kind runs it later as written, attempted for the first
// time.
func TestUnknownKindLeft(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		const newer = "newer_kind"
		old := e.process(queue.Config{PollInterval: 10 * time.Millisecond}, nil)
		unknown, err := queue.Create(e.ctx, e.db, newer, queue.NewJob[args]{WorkspaceID: e.ws.ID, Key: "k", Args: args{N: 7}, RunAt: e.clock.Now()})
		must(t, err)
		old.enqueue("k", 1, false, "")
		if n := old.runDue(); n != 1 {
			t.Fatalf("ran %d jobs, want only the one of the registered kind", n)
		}
		old.qu.Start(e.ctx)
		time.Sleep(100 * time.Millisecond) // several polls
		must(t, old.qu.Stop(e.ctx))
		if got := old.ran(); len(got) != 1 || got[0].N != 1 {
			t.Fatalf("runs of the older process: %+v", got)
		}
		next, err := e.db.NextJobDue(e.ctx, nil)
		must(t, err)
		if !next.Equal(unknown.RunAt) {
			t.Fatalf("the job of the unknown kind is due at %v, want %v as written (not held)", next, unknown.RunAt)
		}

		upgraded := e.process(queue.Config{}, nil)
		var got []run
		queue.Register(upgraded.qu, newer, func(ctx context.Context, j *queue.Job[args, note]) {
			got = append(got, run{ID: j.ID, Key: j.Key, N: j.Args.N, Attempts: j.Attempts, Interrupted: j.Interrupted})
			upgraded.qu.Finish(ctx, j.Job, nil)
		})
		if n := upgraded.runDue(); n != 1 {
			t.Fatalf("the upgraded process ran %d jobs, want 1", n)
		}
		equal(t, "runs", got, []run{{ID: unknown.ID, Key: "k", N: 7, Attempts: 1}})
		e.noJobsLeft()
	})
}

// TestBadPayloadDropped: a job whose payload its kind cannot decode never
// will be: it is dropped (with an error logged), not run.
func TestBadPayloadDropped(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		p := e.process(queue.Config{}, nil)
		must(t, e.db.CreateJob(e.ctx, &sb.Job{WorkspaceID: e.ws.ID, Kind: kindTest, Key: "k", Payload: []byte(`{"n":"x"}`), RunAt: e.clock.Now()}))
		if n := p.runDue(); n != 1 {
			t.Fatalf("ran %d jobs, want 1", n)
		}
		if got := p.ran(); len(got) != 0 {
			t.Fatalf("runs: %+v", got)
		}
		e.noJobsLeft()
	})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func equal[T any](t *testing.T, what string, got, want []T) {
	t.Helper()
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// TestFinishOutlastsFailingWrites: the outcome of a job whose work is done
// is written once the database takes writes again (here after five refusals,
// more than a second of them), not dropped to be run again as interrupted.
func TestFinishOutlastsFailingWrites(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		refusals := 0
		var finished bool
		p := e.process(queue.Config{}, func(p *process, j *queue.Job[args, note]) {
			finished = p.qu.Finish(e.ctx, j.Job, func(q sb.Queries) error {
				if refusals < 5 {
					refusals++
					return &sb.Error{Code: sb.EUnavailable, Message: "no room"}
				}
				return q.CreateWorkspace(e.ctx, &sb.Workspace{Name: "outcome"})
			})
		})
		p.enqueue("a", 1, false, "")
		if n := p.runDue(); n != 1 {
			t.Fatalf("ran %d jobs, want 1", n)
		}
		if !finished || refusals != 5 {
			t.Fatalf("finished %v after %d refusals", finished, refusals)
		}
		if _, err := e.db.GetWorkspaceByName(e.ctx, "outcome"); err != nil {
			t.Fatalf("the outcome was not written: %v", err)
		}
		e.noJobsLeft()
		if runs := p.ran(); len(runs) != 1 {
			t.Fatalf("the job ran %d times", len(runs))
		}
	})
}
