package queue_test

import (
	"context"
	"sync"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/queue"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestYieldFreesThePlace: with room for one job at a time, a job that
// yields its place while it waits lets the jobs of other keys run; a later
// job of its own key still waits for it; once it resumes and finishes,
// everything has run.
func TestYieldFreesThePlace(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		e := newEnv(t, url)
		p := e.process(queue.Config{Concurrency: 1}, nil)
		waiting, release := make(chan struct{}), make(chan struct{})
		var mu sync.Mutex
		var order []int
		kind := queue.Register(p.qu, "yield", func(ctx context.Context, j *queue.Job[args, note]) {
			if j.Args.N == 1 {
				resume := queue.Yield(context.Background()) // no place: nothing to give back
				resume()
				resume = queue.Yield(ctx)
				close(waiting)
				<-release
				resume()
				resume() // a second call is harmless
			}
			mu.Lock()
			order = append(order, j.Args.N)
			mu.Unlock()
			p.qu.Finish(ctx, j.Job, nil)
		})
		ran := func() []int {
			mu.Lock()
			defer mu.Unlock()
			return append([]int(nil), order...)
		}
		enqueue := func(key string, n int) {
			must(t, p.commit.Do(e.ctx, func(q sb.Queries) error {
				_, err := kind.Enqueue(e.ctx, q, queue.NewJob[args]{WorkspaceID: e.ws.ID, Key: key, Args: args{N: n}, Hold: true}, nil)
				return err
			}))
		}
		p.qu.Start(e.ctx)
		enqueue("slow", 1)
		<-waiting
		enqueue("slow", 2) // same key: waits for job 1
		enqueue("other", 3)
		enqueue("other2", 4)
		waitFor(t, "the other keys' jobs to run while job 1 waits", func() bool { return len(ran()) == 2 })
		close(release)
		waitFor(t, "every job", func() bool { return len(ran()) == 4 })
		got := ran()
		if got[2] != 1 || got[3] != 2 {
			t.Fatalf("order %v: job 1 then job 2 of its key should come last", got)
		}
	})
}
