package groupcommit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/groupcommit"
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
