package webhook

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/store/pgtest"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// BenchmarkOutcomeWrites measures recording attempt outcomes (the attempt
// log entry, the delivery's new state, the endpoint's health) one per
// transaction and in batches, on both databases: the reason the flusher
// batches.
//
//	go test -run '^$' -bench OutcomeWrites ./webhook
func BenchmarkOutcomeWrites(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, batch := range []int{1, 16, 128, 512} {
			b.Run(fmt.Sprintf("%s/batch=%d", dialect, batch), func(b *testing.B) {
				url := "sqlite://" + filepath.Join(b.TempDir(), "sb.db")
				if dialect == "postgres" {
					url = pgtest.URL(b)
				}
				benchOutcomes(b, pgtest.Open(b, url), batch)
			})
		}
	}
}

func benchOutcomes(b *testing.B, db *store.DB, batch int) {
	ctx := context.Background()
	ws := &sb.Workspace{Name: "bench"}
	must(b, db.CreateWorkspace(ctx, ws))
	ep := &sb.WebhookEndpoint{WorkspaceID: ws.ID, URL: "https://1.2.3.4/x", Status: sb.EndpointEnabled,
		Secrets: []sb.EndpointSecret{{Secret: signature.NewSecret()}}}
	must(b, db.CreateEndpoint(ctx, ep))
	d, err := New(db, Config{})
	must(b, err)
	pub := NewPublisher(leaseTo{d.owner}, nil)
	// Deliveries to record: b.N of them, created in transactions of 100.
	var ds []*sb.Delivery
	for len(ds) < b.N {
		must(b, db.Tx(ctx, func(q sb.Queries) error {
			for range min(100, b.N-len(ds)) {
				if err := pub.Publish(ctx, q, sb.NewEvent(ws.ID, sb.EventMessageSent, map[string]any{"n": 1})); err != nil {
					return err
				}
			}
			return nil
		}))
		page, err := db.ClaimDeliveries(ctx, sb.DeliveryClaim{Owner: d.owner, Now: time.Now().Add(time.Hour),
			Until: time.Now().Add(time.Hour), EndpointID: ep.ID, Limit: 100})
		must(b, err)
		for _, del := range page {
			if del.AttemptCount == 0 && del.Status == sb.DeliveryPending && len(ds) < b.N {
				ds = append(ds, del)
			}
		}
	}
	l := &lane{d: d, id: ep.ID, held: map[string]bool{}}
	outcomes := make([]*outcome, len(ds))
	now := time.Now()
	code := 200
	for i, del := range ds {
		del.Status, del.AttemptCount, del.NextAttemptAt, del.LastAttemptAt, del.LastStatusCode = sb.DeliverySucceeded, 1, nil, &now, &code
		outcomes[i] = &outcome{lane: l, ep: ep, d: del, workspaceID: ws.ID, result: AttemptSucceeded,
			a: &sb.Attempt{DeliveryID: del.ID, Number: 1, AttemptedAt: now, Duration: time.Millisecond, StatusCode: &code, ResponseBody: "ok"}}
	}
	d.sendCtx = ctx
	b.ResetTimer()
	for i := 0; i < len(outcomes); i += batch {
		if _, err := d.write(outcomes[i:min(i+batch, len(outcomes))]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "outcomes/s")
}

// leaseTo leases new deliveries to owner for an hour and forgets them.
type leaseTo struct{ owner string }

func (l leaseTo) NewLease() Lease {
	return Lease{Owner: l.owner, Until: time.Now().Add(time.Hour)}
}
func (leaseTo) DeliveriesCreated(*sb.Event, []*sb.Delivery) {}
func (leaseTo) Wake()                                       {}
