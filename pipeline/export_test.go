package pipeline

import "context"

// RunPending runs, in the calling goroutine, the jobs of one kind handed
// over to this pipeline and not run yet, oldest first, leaving the others:
// a test stops a "process" between two steps with it.
func (p *Pipeline) RunPending(_ context.Context, kind string) int { return p.jobs.RunPending(kind) }

// Crash makes the pipeline behave like a process that died: it forgets the
// jobs it holds without giving them back and takes no new ones. (Calls
// already inside a job carry on: the test decides what they run into.)
func (p *Pipeline) Crash() {
	p.jobs.Crash()
	if p.cancel != nil {
		p.cancel()
	}
}

// Pending is the number of jobs handed over and not run yet.
func (p *Pipeline) Pending() int { return p.jobs.Len() }
