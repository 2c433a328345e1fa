package groupcommit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/groupcommit"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestGroupCommit: concurrent writes commit, sharing transactions; one
// that fails fails alone, its writes undone and the others' kept; work
// registered after commit runs only for what committed; writes after Close
// fail with ErrStopped.
func TestGroupCommit(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := pgtest.Open(t, url)
		var mu sync.Mutex
		var batches []float64
		c := groupcommit.New(db, groupcommit.Options{Writers: 2, MaxBatch: 16, Observe: func(n float64) {
			mu.Lock()
			batches = append(batches, n)
			mu.Unlock()
		}})
		const writes = 64
		boom := errors.New("boom")
		var wg sync.WaitGroup
		var after sync.Map
		errs := make([]error, writes)
		for i := range writes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = c.Do(ctx, func(q sb.Queries) error {
					name := fmt.Sprintf("ws-%d", i)
					if err := q.CreateWorkspace(ctx, &sb.Workspace{Name: name}); err != nil {
						return err
					}
					q.AfterCommit(func() { after.Store(name, true) })
					if i%10 == 3 {
						return boom
					}
					return nil
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			name := fmt.Sprintf("ws-%d", i)
			_, got := db.GetWorkspaceByName(ctx, name)
			_, ran := after.Load(name)
			if i%10 == 3 {
				if !errors.Is(err, boom) || sb.ErrorCode(got) != sb.ENotFound || ran {
					t.Fatalf("write %d: %v; stored: %v; after commit ran: %v", i, err, got, ran)
				}
				continue
			}
			if err != nil || got != nil || !ran {
				t.Fatalf("write %d: %v; stored: %v; after commit ran: %v", i, err, got, ran)
			}
		}
		sum := 0.0
		for _, n := range batches {
			sum += n
		}
		if sum < writes {
			t.Fatalf("batches %v hold fewer than %d writes", batches, writes)
		}
		c.Close()
		if err := c.Do(ctx, func(sb.Queries) error { return nil }); !errors.Is(err, groupcommit.ErrStopped) {
			t.Fatalf("Do after Close: %v", err)
		}
	})
}

// TestKeyedWritesDoNotContend: with several writers, concurrent writes to
// a few hot rows, each under its row's key, never wait for each other
// across writers (a batch holding one row's lock while waiting for
// another's), so no grouped transaction gives up and is split; and every
// write is applied once.
func TestKeyedWritesDoNotContend(t *testing.T) {
	pgtest.EachDatabase(t, func(t *testing.T, url string) {
		db := pgtest.Open(t, url)
		hotRows(t, db, 1)
	})
}

// TestKeyedWritesAcrossProcesses: two committers on one PostgreSQL (two
// processes, which share no writers) writing the same hot rows under their
// keys take the rows in the same order, so neither gives up on a lock the
// other holds (no split), and every write is applied once.
func TestKeyedWritesAcrossProcesses(t *testing.T) {
	url := pgtest.URL(t)
	hotRows(t, pgtest.Open(t, url), 2)
}

// hotRows runs 32 workers × 25 read-modify-writes of 8 hot rows, each
// under its row's key, through the given number of committers of 4 writers
// on db, and checks that every write was applied once and that no grouped
// transaction was split.
func hotRows(t *testing.T, db *store.DB, committers int) {
	ctx := context.Background()
	ws := &sb.Workspace{Name: "hot"}
	ch := &sb.Channel{Type: "api", Name: "hot", Status: "connected"}
	var contacts []*sb.Contact
	err := db.Tx(ctx, func(q sb.Queries) error {
		if err := q.CreateWorkspace(ctx, ws); err != nil {
			return err
		}
		ch.WorkspaceID = ws.ID
		if err := q.CreateChannel(ctx, ch); err != nil {
			return err
		}
		for i := range 8 {
			c := &sb.Contact{WorkspaceID: ws.ID, ChannelID: ch.ID, ExternalID: fmt.Sprint("user-", i)}
			if err := q.CreateContact(ctx, c); err != nil {
				return err
			}
			contacts = append(contacts, c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	splits := 0
	var cs []*groupcommit.Committer
	for range committers {
		c := groupcommit.New(db, groupcommit.Options{Writers: 4, MaxBatch: 64, Split: func(int) {
			mu.Lock()
			splits++
			mu.Unlock()
		}})
		defer c.Close()
		cs = append(cs, c)
	}
	const workers, rounds = 32, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cs[w%len(cs)]
			for r := range rounds {
				// Rows in an order that differs between workers:
				// batches of unkeyed writes lock them in crossing
				// orders.
				ct := contacts[(w*3+r*(1+w%3))%len(contacts)]
				err := c.DoKey(ctx, ct.ID, func(q sb.Queries) error {
					got, err := q.HoldContact(ctx, ws.ID, ct.ID)
					if err != nil {
						return err
					}
					n, _ := got.Attributes["n"].(float64)
					got.Attributes = map[string]any{"n": n + 1}
					return q.UpdateContact(ctx, got)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0.0
	for _, ct := range contacts {
		got, err := db.GetContact(ctx, ws.ID, ct.ID)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := got.Attributes["n"].(float64)
		total += n
	}
	if total != workers*rounds {
		t.Fatalf("%v updates applied; want %d", total, workers*rounds)
	}
	if splits != 0 {
		t.Fatalf("%d grouped transactions were split; want none for keyed writes", splits)
	}
}
