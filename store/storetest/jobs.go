package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

const lease = time.Minute

// newJob stores a job due at runAt.
func (f *fixture) newJob(t *testing.T, kind string, runAt time.Time) *switchboard.Job {
	t.Helper()
	j := &switchboard.Job{WorkspaceID: f.ws.ID, Kind: kind, Key: f.conv.ID,
		Payload: json.RawMessage(`{"message_id":"msg_1","text":"héllo"}`), RunAt: runAt}
	must(t, f.s.CreateJob(f.ctx, j))
	return j
}

func jobIDs(jobs []*switchboard.Job) []string {
	return ids(jobs, func(j *switchboard.Job) string { return j.ID })
}

// testJobs walks a job through its life: due, claimed (and so not due until
// its lease expires), retried, claimed again, completed.
func testJobs(t *testing.T, f *fixture) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	due := f.newJob(t, switchboard.JobSend, now.Add(-time.Second))
	later := f.newJob(t, switchboard.JobBotTurn, now.Add(time.Hour))
	if !switchboard.HasPrefix(due.ID, switchboard.PrefixJob) || due.Lease != "" || due.Attempts != 0 {
		t.Fatalf("CreateJob: %+v", due)
	}
	next, err := f.s.NextJobDue(f.ctx, nil)
	must(t, err)
	same(t, next, due.RunAt)

	claimed, err := f.s.ClaimJobs(f.ctx, now, lease, 10, nil)
	must(t, err)
	same(t, jobIDs(claimed), []string{due.ID})
	j := claimed[0]
	if j.Lease == "" || j.Attempts != 1 || j.Interrupted || j.LeasedUntil == nil || !j.LeasedUntil.Equal(now.Add(lease)) {
		t.Fatalf("claimed job: %+v", j)
	}
	same(t, j.Payload, due.Payload)
	if j.Kind != switchboard.JobSend || j.Key != f.conv.ID || j.WorkspaceID != f.ws.ID {
		t.Fatalf("claimed job: %+v", j)
	}

	// Held: nobody else gets it, by batch or by id, until the lease expires.
	again, err := f.s.ClaimJobs(f.ctx, now.Add(lease-time.Second), lease, 10, nil)
	must(t, err)
	if len(again) != 0 {
		t.Fatalf("a held job was claimed again: %v", jobIDs(again))
	}
	_, err = f.s.ClaimJob(f.ctx, due.ID, now, lease)
	wantNotFound(t, err)
	next, err = f.s.NextJobDue(f.ctx, nil)
	must(t, err)
	same(t, next, now.Add(lease))

	// Only the holder may give it back or complete it.
	wantNotFound(t, f.s.RetryJob(f.ctx, j.ID, "not-the-lease", now, "x"))
	wantNotFound(t, f.s.CompleteJob(f.ctx, j.ID, "not-the-lease"))
	must(t, f.s.RetryJob(f.ctx, j.ID, j.Lease, now.Add(5*time.Second), "platform answered 502"))
	wantNotFound(t, f.s.CompleteJob(f.ctx, j.ID, j.Lease)) // the old lease is gone

	_, err = f.s.ClaimJob(f.ctx, j.ID, now.Add(4*time.Second), lease) // not due yet
	wantNotFound(t, err)
	j2, err := f.s.ClaimJob(f.ctx, j.ID, now.Add(5*time.Second), lease)
	must(t, err)
	if j2.Attempts != 2 || j2.Interrupted || j2.LastError != "platform answered 502" || j2.Lease == j.Lease {
		t.Fatalf("claimed after retry: %+v", j2)
	}
	same(t, j2.RunAt, now.Add(5*time.Second))
	must(t, f.s.CompleteJob(f.ctx, j2.ID, j2.Lease))
	_, err = f.s.ClaimJob(f.ctx, j2.ID, now.Add(time.Hour), lease)
	wantNotFound(t, err)

	// The later job falls due in its time.
	claimed, err = f.s.ClaimJobs(f.ctx, now.Add(time.Hour), lease, 10, nil)
	must(t, err)
	same(t, jobIDs(claimed), []string{later.ID})
	must(t, f.s.CompleteJob(f.ctx, later.ID, claimed[0].Lease))
	next, err = f.s.NextJobDue(f.ctx, nil)
	must(t, err)
	if !next.IsZero() {
		t.Fatalf("NextJobDue with no jobs = %v, want zero", next)
	}
}

// testJobLeases: a job whose holder's lease expired is claimed again and
// marked interrupted; a job created held is not due until its lease
// expires; a released job is due at once and not interrupted.
func testJobLeases(t *testing.T, f *fixture) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	j := f.newJob(t, switchboard.JobSend, now)
	first, err := f.s.ClaimJob(f.ctx, j.ID, now, lease)
	must(t, err)
	taken, err := f.s.ClaimJobs(f.ctx, now.Add(lease), lease, 10, nil) // the holder died
	must(t, err)
	same(t, jobIDs(taken), []string{j.ID})
	if !taken[0].Interrupted || taken[0].Attempts != 2 || taken[0].Lease == first.Lease {
		t.Fatalf("job taken over from an expired lease: %+v", taken[0])
	}
	wantNotFound(t, f.s.CompleteJob(f.ctx, j.ID, first.Lease)) // the old holder lost it
	must(t, f.s.RetryJob(f.ctx, j.ID, taken[0].Lease, now, "x"))
	back, err := f.s.ClaimJob(f.ctx, j.ID, now, lease)
	must(t, err)
	if back.Interrupted {
		t.Fatal("a job given back properly is not interrupted")
	}
	must(t, f.s.CompleteJob(f.ctx, j.ID, back.Lease))

	until := now.Add(lease)
	held := &switchboard.Job{WorkspaceID: f.ws.ID, Kind: switchboard.JobBotTurn, Key: "k", Attempts: 1,
		RunAt: now, Lease: "creator-lease", LeasedUntil: &until}
	must(t, f.s.CreateJob(f.ctx, held))
	got, err := f.s.ClaimJobs(f.ctx, now.Add(lease-time.Microsecond), lease, 10, nil)
	must(t, err)
	if len(got) != 0 {
		t.Fatal("a job created held was claimed before its lease expired")
	}
	must(t, f.s.ReleaseJob(f.ctx, held.ID, "creator-lease"))
	got, err = f.s.ClaimJobs(f.ctx, now, lease, 10, nil)
	must(t, err)
	if len(got) != 1 || got[0].Interrupted || got[0].Attempts != 1 {
		t.Fatalf("released job: %+v", got)
	}
	wantNotFound(t, f.s.ReleaseJob(f.ctx, held.ID, "creator-lease"))

	// A process alone on its database takes over every lease it finds.
	must(t, f.s.CompleteJob(f.ctx, got[0].ID, got[0].Lease))
	for _, k := range []string{"a", "b"} {
		j := &switchboard.Job{WorkspaceID: f.ws.ID, Kind: switchboard.JobSend, Key: k, RunAt: now}
		must(t, f.s.CreateJob(f.ctx, j))
	}
	f.newJob(t, switchboard.JobSend, now.Add(time.Hour)) // due later: not taken
	held2, err := f.s.ClaimJobs(f.ctx, now, lease, 2, nil)
	must(t, err)
	n, err := f.s.ExpireJobLeases(f.ctx, now)
	must(t, err)
	if n != 2 {
		t.Fatalf("ExpireJobLeases expired %d leases, want 2", n)
	}
	taken2, err := f.s.ClaimJobs(f.ctx, now, lease, 10, nil)
	must(t, err)
	same(t, jobIDs(taken2), jobIDs(held2)) // not the future one
	for _, j := range taken2 {
		if !j.Interrupted {
			t.Fatalf("a job taken from an expired lease is interrupted: %+v", j)
		}
	}
	wantCode(t, f.s.CreateJob(f.ctx, &switchboard.Job{WorkspaceID: f.ws.ID, Kind: "x", Lease: "l"}), switchboard.EInvalid)
}

// testJobClaimOrder: ClaimJobs takes the jobs due first, up to the limit.
func testJobClaimOrder(t *testing.T, f *fixture) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	var want []string
	for i := 5; i > 0; i-- {
		want = append(want, f.newJob(t, switchboard.JobSend, now.Add(-time.Duration(i)*time.Second)).ID)
	}
	got, err := f.s.ClaimJobs(f.ctx, now, lease, 3, nil)
	must(t, err)
	same(t, jobIDs(got), want[:3])
	got, err = f.s.ClaimJobs(f.ctx, now, lease, 3, nil)
	must(t, err)
	same(t, jobIDs(got), want[3:])
}

// testJobKinds: ClaimJobs and NextJobDue given kinds see only the jobs of
// those kinds (a process leaves the kinds it does not run to the processes
// that do); given none, every job.
func testJobKinds(t *testing.T, f *fixture) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	other := f.newJob(t, "newer_kind", now.Add(-3*time.Second))
	send := f.newJob(t, switchboard.JobSend, now.Add(-2*time.Second))
	turn := f.newJob(t, switchboard.JobBotTurn, now.Add(-time.Second))
	f.newJob(t, switchboard.JobSend, now.Add(time.Hour)) // due later

	next, err := f.s.NextJobDue(f.ctx, nil)
	must(t, err)
	same(t, next, other.RunAt)
	next, err = f.s.NextJobDue(f.ctx, []string{switchboard.JobBotTurn, switchboard.JobSend})
	must(t, err)
	same(t, next, send.RunAt)
	next, err = f.s.NextJobDue(f.ctx, []string{switchboard.JobBotTurn})
	must(t, err)
	same(t, next, turn.RunAt)
	next, err = f.s.NextJobDue(f.ctx, []string{"no_such_kind"})
	must(t, err)
	if !next.IsZero() {
		t.Fatalf("NextJobDue of a kind without jobs = %v, want zero", next)
	}

	got, err := f.s.ClaimJobs(f.ctx, now, lease, 10, []string{switchboard.JobSend})
	must(t, err)
	same(t, jobIDs(got), []string{send.ID}) // not the one due later
	got, err = f.s.ClaimJobs(f.ctx, now, lease, 10, []string{switchboard.JobBotTurn, switchboard.JobSend, "no_such_kind"})
	must(t, err)
	same(t, jobIDs(got), []string{turn.ID})
	got, err = f.s.ClaimJobs(f.ctx, now, lease, 10, []string{switchboard.JobBotTurn, switchboard.JobSend})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("claimed %v, want nothing of the kinds asked for left", jobIDs(got))
	}
	// Left untouched: due as written, never attempted.
	next, err = f.s.NextJobDue(f.ctx, []string{"newer_kind"})
	must(t, err)
	same(t, next, other.RunAt)
	got, err = f.s.ClaimJobs(f.ctx, now, lease, 10, nil)
	must(t, err)
	same(t, jobIDs(got), []string{other.ID})
	if got[0].Attempts != 1 || got[0].Interrupted || got[0].Kind != "newer_kind" {
		t.Fatalf("the job of the kind left alone: %+v", got[0])
	}
}

// testJobConcurrentClaims: claimers racing over the same jobs take each
// job once.
func testJobConcurrentClaims(t *testing.T, f *fixture) {
	now := time.Now().UTC()
	const jobs, claimers = 60, 6
	for range jobs {
		f.newJob(t, switchboard.JobSend, now)
	}
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	errs := make(chan error, claimers)
	for range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				claimed, err := f.s.ClaimJobs(f.ctx, now, lease, 4, nil)
				if err != nil {
					errs <- err
					return
				}
				if len(claimed) == 0 {
					return
				}
				mu.Lock()
				got = append(got, jobIDs(claimed)...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	slices.Sort(got)
	if len(got) != jobs || len(slices.Compact(got)) != jobs {
		t.Fatalf("%d claims of %d jobs (%d distinct)", len(got), jobs, len(slices.Compact(got)))
	}
}

// testJobsInTx: a job written in a rolled-back transaction never exists;
// outcomes recorded with a lost lease roll their transaction back.
func testJobsInTx(t *testing.T, f *fixture) {
	now := time.Now().UTC()
	var j *switchboard.Job
	err := f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		j = &switchboard.Job{WorkspaceID: f.ws.ID, Kind: switchboard.JobSend, Key: "k", RunAt: now}
		must(t, q.CreateJob(f.ctx, j))
		return errRollback
	})
	if err != errRollback {
		t.Fatal(err)
	}
	_, err = f.s.ClaimJob(f.ctx, j.ID, now, lease)
	wantNotFound(t, err)

	must(t, f.s.Tx(f.ctx, func(q switchboard.Queries) error { return q.CreateJob(f.ctx, j) }))
	claimed, err := f.s.ClaimJob(f.ctx, j.ID, now, lease)
	must(t, err)
	must(t, f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		if err := q.CompleteJob(f.ctx, j.ID, claimed.Lease); err != nil {
			return err
		}
		_, err := q.ClaimJob(f.ctx, j.ID, now.Add(time.Hour), lease)
		wantNotFound(t, err) // gone, inside the transaction too
		return nil
	}))
}

// testLastInboundMessage: the newest inbound message of a conversation,
// with its thread.
func testLastInboundMessage(t *testing.T, f *fixture) {
	_, err := f.s.LastInboundMessage(f.ctx, f.ws.ID, f.conv.ID)
	wantNotFound(t, err)
	for i, thread := range []string{"C1:111.1", "C1:222.2"} {
		m := &switchboard.Message{WorkspaceID: f.ws.ID, ConversationID: f.conv.ID, ChannelID: f.ch.ID,
			Direction: switchboard.DirectionInbound, Sender: switchboard.SenderUser, Text: "hi",
			Status: switchboard.MessageReceived, ExternalID: ptr(fmt.Sprint("in-", i)), Thread: thread}
		must(t, f.s.CreateMessage(f.ctx, m))
	}
	f.newMessage(t, f.conv, switchboard.DirectionOutbound, nil) // newer, outbound
	got, err := f.s.LastInboundMessage(f.ctx, f.ws.ID, f.conv.ID)
	must(t, err)
	if got.Thread != "C1:222.2" || *got.ExternalID != "in-1" {
		t.Fatalf("LastInboundMessage = %+v", got)
	}
	read, err := f.s.GetMessage(f.ctx, f.ws.ID, f.conv.ID, got.ID)
	must(t, err)
	same(t, read, got)
	other := f.workspace(t, "other")
	_, err = f.s.LastInboundMessage(f.ctx, other.ID, f.conv.ID)
	wantNotFound(t, err)
}

// testLockContact: locking a contact in a transaction works on every
// dialect, and a missing contact is not_found; a bounded lock wait leaves
// the transaction working.
func testLockContact(t *testing.T, f *fixture) {
	must(t, f.s.BoundLockWait(f.ctx, time.Second)) // outside a transaction: nothing
	must(t, f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		if err := q.BoundLockWait(f.ctx, 50*time.Millisecond); err != nil {
			return err
		}
		return q.LockContact(f.ctx, f.ws.ID, f.ct.ID)
	}))
	must(t, f.s.LockContact(f.ctx, f.ws.ID, "ct_missing")) // outside a transaction: nothing
	must(t, f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		return q.LockContact(f.ctx, f.ws.ID, f.ct.ID)
	}))
	err := f.s.Tx(f.ctx, func(q switchboard.Queries) error { return q.LockContact(f.ctx, f.ws.ID, "ct_missing") })
	if code := switchboard.ErrorCode(err); code != switchboard.ENotFound && code != "" {
		t.Fatalf("LockContact of a missing contact: %v", err)
	}
}

// testTouchConversation: only the last activity changes.
func testTouchConversation(t *testing.T, f *fixture) {
	at := f.conv.LastActivityAt.Add(time.Hour)
	must(t, f.s.TouchConversation(f.ctx, f.ws.ID, f.conv.ID, at))
	got, err := f.s.GetConversation(f.ctx, f.ws.ID, f.conv.ID)
	must(t, err)
	want := *f.conv
	want.LastActivityAt = at
	same(t, got, &want)
	other := f.workspace(t, "other")
	wantNotFound(t, f.s.TouchConversation(f.ctx, other.ID, f.conv.ID, at))
}
