package pipeline

import "context"

// RunPending runs, in the calling goroutine, the jobs of one kind handed
// over to this pipeline and not run yet, oldest first, leaving the others:
// a test stops a "process" between two steps with it.
func (p *Pipeline) RunPending(ctx context.Context, kind string) int {
	n := 0
	for {
		var e *entry
		p.run.mu.Lock()
		for _, q := range p.run.queues {
			for _, c := range q.entries {
				if c.job.Kind == kind && (e == nil || c.job.ID < e.job.ID) {
					e = c
				}
			}
		}
		p.run.mu.Unlock()
		if e == nil {
			return n
		}
		p.run.runEntry(e)
		p.run.mu.Lock()
		delete(p.run.known, e.job.ID)
		q := p.run.queues[e.job.Key]
		for i, c := range q.entries {
			if c == e {
				q.entries = append(q.entries[:i:i], q.entries[i+1:]...)
				break
			}
		}
		p.run.mu.Unlock()
		n++
	}
}

// Crash makes the pipeline behave like a process that died: it forgets the
// jobs it holds without giving them back and takes no new ones. (Calls
// already inside a job carry on: the test decides what they run into.)
func (p *Pipeline) Crash() {
	p.run.mu.Lock()
	p.run.stopped = true
	p.run.queues, p.run.known = map[string]*keyQueue{}, map[string]*entry{}
	p.run.mu.Unlock()
	if p.cancel != nil {
		p.cancel()
	}
}

// Pending is the number of jobs handed over and not run yet.
func (p *Pipeline) Pending() int { return p.run.load() }
