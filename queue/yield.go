package queue

import (
	"context"
	"sync"
)

// slotKey keys, in the context of a job's work, the place the job holds
// among the Concurrency jobs that run at once.
type slotKey struct{}

// slot is a job's place: the runner's semaphore and whether the job holds
// its place now.
type slot struct {
	sem  chan struct{}
	mu   sync.Mutex
	held bool
}

// withSlot is the context of a job that holds a place in sem.
func withSlot(ctx context.Context, sem chan struct{}) context.Context {
	return context.WithValue(ctx, slotKey{}, &slot{sem: sem, held: true})
}

// Yield gives back the place that the job whose work runs with ctx holds
// among the Concurrency jobs running at once, for a long wait on something
// outside the database (a language model that takes seconds to answer),
// so that other jobs run meanwhile. The job keeps its lease and its key:
// later jobs of its key still wait for it. resume takes a place again,
// waiting for one, and must be called before the work returns (it is safe
// to call more than once). Outside a place (RunDue) both do nothing.
//
// Work that yields bounds its own concurrency (the pipeline's pool of slow
// bot turns): yielded jobs are not counted in Concurrency.
func Yield(ctx context.Context) (resume func()) {
	s, _ := ctx.Value(slotKey{}).(*slot)
	if s == nil {
		return func() {}
	}
	s.mu.Lock()
	if s.held {
		s.held = false
		<-s.sem
	}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.held {
			s.sem <- struct{}{}
			s.held = true
		}
	}
}
