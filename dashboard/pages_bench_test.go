package dashboard_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/dashboard"
)

// BenchmarkPages measures the server's time for the inbox's list, a
// conversation's page, the overview and the event log over HTTP, with
// 10,000 conversations and 100,000 messages in a SQLite database, and
// reports the 50th and 99th percentiles.
//
//	go test -run '^$' -bench Pages -benchtime 300x ./dashboard/
func BenchmarkPages(b *testing.B) {
	s := newInboxStack(b, inboxSQLite(b), dashboard.Config{})
	ctx := context.Background()
	const convs, perConv = 10_000, 10
	base := time.Now().Add(-48 * time.Hour).UTC()
	var ids []string
	for batch := 0; batch < convs; batch += 500 {
		err := s.db.Tx(ctx, func(q sb.Queries) error {
			for i := batch; i < batch+500; i++ {
				ct := &sb.Contact{WorkspaceID: s.ws, ChannelID: s.ch.ID, ExternalID: fmt.Sprintf("+1555%07d", i), Name: fmt.Sprintf("Contact %d", i)}
				if err := q.CreateContact(ctx, ct); err != nil {
					return err
				}
				c := &sb.Conversation{WorkspaceID: s.ws, ChannelID: s.ch.ID, ContactID: ct.ID, Status: []string{sb.ConversationActive, sb.ConversationHandoff, sb.ConversationEnded}[i%3],
					LastActivityAt: base.Add(time.Duration(i) * time.Second)}
				if err := q.CreateConversation(ctx, c); err != nil {
					return err
				}
				ids = append(ids, c.ID)
				for j := range perConv {
					dir, sender, status := sb.DirectionInbound, sb.SenderUser, sb.MessageReceived
					if j%2 == 1 {
						dir, sender, status = sb.DirectionOutbound, sb.SenderBot, sb.MessageSent
					}
					if err := q.CreateMessage(ctx, &sb.Message{WorkspaceID: s.ws, ConversationID: c.ID, ChannelID: s.ch.ID,
						Direction: dir, Sender: sender, Status: status, Text: fmt.Sprintf("message %d of %d", j, i)}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	agent, admin := s.browser(b, "grace@example.com"), s.browser(b, "ada@example.com")
	pages := []struct {
		path string
		c    *http.Client
	}{
		{"/inbox", agent}, {"/inbox?status=handoff&assignee=unassigned", agent},
		{"/inbox/" + ids[len(ids)-1], agent}, {"/inbox/" + ids[len(ids)/2], agent},
		// The admin's pages; every message of the data was written in the
		// last hour, so the overview counts all 100,000.
		{"/", admin}, {"/?window=24h", admin}, {"/events", admin}, {"/events?type=message.*", admin},
	}
	for _, page := range pages {
		path, c := page.path, page.c
		b.Run(path, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				res, err := c.Get(s.srv.URL + path)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				times = append(times, time.Since(start))
				if res.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", path, res.StatusCode)
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
		})
	}
}
