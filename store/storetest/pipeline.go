package storetest

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

// testGetConversationStatus: the status and last activity of a
// conversation as GetConversation reads them; not found in another
// workspace.
func testGetConversationStatus(t *testing.T, f *fixture) {
	f.conv.Status = switchboard.ConversationHandoff
	f.conv.LastActivityAt = time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	must(t, f.s.UpdateConversation(f.ctx, f.conv))
	full, err := f.s.GetConversation(f.ctx, f.ws.ID, f.conv.ID)
	must(t, err)
	status, last, err := f.s.GetConversationStatus(f.ctx, f.ws.ID, f.conv.ID)
	must(t, err)
	if status != full.Status || !last.Equal(full.LastActivityAt) || last.Location() != time.UTC {
		t.Fatalf("status %q, last activity %v; GetConversation says %q, %v", status, last, full.Status, full.LastActivityAt)
	}
	must(t, f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		s, _, err := q.GetConversationStatus(f.ctx, f.ws.ID, f.conv.ID)
		if err == nil && s != status {
			t.Errorf("in a transaction: %q", s)
		}
		return err
	}))
	other := f.workspace(t, "other")
	_, _, err = f.s.GetConversationStatus(f.ctx, other.ID, f.conv.ID)
	wantNotFound(t, err)
	_, _, err = f.s.GetConversationStatus(f.ctx, f.ws.ID, "conv_nope")
	wantNotFound(t, err)
}

// testClaimNewJob: a job as its creator wrote it is claimed without being
// read back, and the claimed copy is the row as ClaimJob would return it;
// a job held, already attempted, or not yet due is not.
func testClaimNewJob(t *testing.T, f *fixture) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	j := f.newJob(t, switchboard.JobSend, now)
	c, err := f.s.ClaimNewJob(f.ctx, j, now, lease)
	must(t, err)
	if c.Lease == "" || c.Attempts != 1 || c.Interrupted || c.LeasedUntil == nil || !c.LeasedUntil.Equal(now.Add(lease)) {
		t.Fatalf("claimed: %+v", c)
	}
	// What the row says now: released and claimed again the ordinary way,
	// the claim is the same but for the token.
	wantNotFound(t, errOf(f.s.ClaimNewJob(f.ctx, j, now, lease))) // held now
	must(t, f.s.ReleaseJob(f.ctx, c.ID, c.Lease))
	again, err := f.s.ClaimNewJob(f.ctx, j, now, lease) // given back uncounted: as written
	must(t, err)
	must(t, f.s.ReleaseJob(f.ctx, again.ID, again.Lease))
	read, err := f.s.ClaimJob(f.ctx, j.ID, now, lease)
	must(t, err)
	again.Lease = read.Lease
	same(t, again, read)
	must(t, f.s.RetryJob(f.ctx, read.ID, read.Lease, now, "failed"))
	wantNotFound(t, errOf(f.s.ClaimNewJob(f.ctx, j, now, lease))) // attempted once since

	later := f.newJob(t, switchboard.JobSend, now.Add(time.Hour))
	wantNotFound(t, errOf(f.s.ClaimNewJob(f.ctx, later, now, lease)))
	until := now.Add(lease)
	held := &switchboard.Job{WorkspaceID: f.ws.ID, Kind: switchboard.JobBotTurn, Key: "k", RunAt: now,
		Lease: "creator", LeasedUntil: &until}
	must(t, f.s.CreateJob(f.ctx, held))
	probe := *held
	probe.Lease, probe.LeasedUntil = "", nil
	wantNotFound(t, errOf(f.s.ClaimNewJob(f.ctx, &probe, now.Add(2*lease), lease))) // held, even past its lease
	must(t, f.s.Tx(f.ctx, func(q switchboard.Queries) error {
		_, err := q.ClaimNewJob(f.ctx, later, now.Add(2*time.Hour), lease)
		return err
	}))
}

func errOf[T any](_ T, err error) error { return err }
