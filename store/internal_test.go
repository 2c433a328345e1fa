package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/store/storetest"
)

func TestParseStoredTime(t *testing.T) {
	for _, want := range []time.Time{
		time.Date(2025, 6, 30, 23, 59, 59, 123456000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(2024, 2, 29, 0, 0, 0, 1000, time.UTC),
	} {
		s := want.Format(sqliteTimeLayout)
		got, ok := parseStoredTime(s)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseStoredTime(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, bad := range []string{"", "2025-06-30T23:59:59Z", "2025-13-30T23:59:59.000000Z", "2025-06-30 23:59:59.000000Z",
		"2025-06-30T23:59:59.00000xZ", "2025-06-30T24:00:00.000000Z"} {
		if _, ok := parseStoredTime(bad); ok {
			t.Errorf("parseStoredTime(%q) succeeded", bad)
		}
	}
	// Other forms still parse, through the slow path.
	got, err := parseTimeText("2025-06-30T23:59:59.5+02:00")
	if err != nil || !got.Equal(time.Date(2025, 6, 30, 21, 59, 59, 5e8, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("parseTimeText RFC 3339 = %v, %v", got, err)
	}
}

func TestRebind(t *testing.T) {
	got := rebind(`SELECT a FROM t WHERE b = ? AND c LIKE ? ESCAPE '\' AND d = '?' AND e IN (?, ?)`)
	want := `SELECT a FROM t WHERE b = $1 AND c LIKE $2 ESCAPE '\' AND d = '?' AND e IN ($3, $4)`
	if got != want {
		t.Fatalf("rebind:\n got %s\nwant %s", got, want)
	}
}

func TestEscapeLike(t *testing.T) {
	if got := escapeLike(`a_b%c\d`); got != `a\_b\%c\\d` {
		t.Fatalf("escapeLike = %s", got)
	}
}

// TestStmtCacheFull: past its bound, the cache runs queries unprepared.
func TestStmtCacheFull(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, "sqlite://"+t.TempDir()+"/x.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range maxCachedStmts + 10 {
		var n int
		if err := db.readerStmts.QueryRowContext(ctx, "SELECT "+strconv.Itoa(i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d: %d, %v", i, n, err)
		}
	}
	if got := db.readerStmts.count.Load(); got != maxCachedStmts {
		t.Fatalf("cache holds %d statements, want %d", got, maxCachedStmts)
	}
	if _, err := db.writerStmts.ExecContext(ctx, "CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.readerStmts.QueryContext(ctx, "SELECT x FROM t")
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
}

// queryLog collects the queries run through recording execers, with the
// arguments of one run of each.
type queryLog struct {
	mu      sync.Mutex
	queries map[string][]any
}

func (l *queryLog) record(query string, args []any) {
	l.mu.Lock()
	l.queries[query] = args
	l.mu.Unlock()
}

// recording is an execer that logs its queries.
type recording struct {
	log *queryLog
	execer
}

func (r recording) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r.log.record(query, args)
	return r.execer.ExecContext(ctx, query, args...)
}

func (r recording) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.log.record(query, args)
	return r.execer.QueryContext(ctx, query, args...)
}

func (r recording) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	r.log.record(query, args)
	return r.execer.QueryRowContext(ctx, query, args...)
}

// TestQueryPlans runs the conformance suite on SQLite, logging every query
// made outside transactions, and checks that none scans a whole table.
func TestQueryPlans(t *testing.T) {
	log := &queryLog{queries: map[string][]any{}}
	dir := t.TempDir()
	var n atomic.Int64
	t.Run("suite", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) switchboard.Store {
			db := openMigrated(t, fmt.Sprintf("sqlite://%s/%d.db", dir, n.Add(1)))
			db.r, db.w = recording{log, db.r}, recording{log, db.w}
			return db
		})
	})
	db := openMigrated(t, "sqlite://"+dir+"/plans.db")
	fullScan := regexp.MustCompile(`^SCAN \w+$`)
	for query, args := range log.queries {
		for _, detail := range queryPlan(t, db, query, args) {
			if fullScan.MatchString(detail) {
				t.Errorf("full table scan (%s) in\n%s", detail, query)
			}
		}
	}
	if len(log.queries) < 40 {
		t.Fatalf("logged only %d queries", len(log.queries))
	}
}

// queryPlan returns the details of SQLite's plan for query.
func queryPlan(t *testing.T, db *DB, query string, args []any) []string {
	rows, err := db.writer.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var details []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		details = append(details, detail)
	}
	return details
}

func openMigrated(t *testing.T, url string) *DB {
	db, err := Open(t.Context(), url, Options{Sealer: plainSealer{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

// plainSealer does not encrypt: TestQueryPlans looks at queries only.
type plainSealer struct{}

func (plainSealer) Seal(b []byte) ([]byte, error) { return append([]byte(nil), b...), nil }
func (plainSealer) Open(b []byte) ([]byte, error) { return append([]byte(nil), b...), nil }

// TestRenderedInvalidUTF8: SQLite stores text as it is given and copies it
// into the documents it renders; a document is valid UTF-8 all the same,
// with U+FFFD where encoding/json would put it.
func TestRenderedInvalidUTF8(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t, "sqlite://"+t.TempDir()+"/utf8.db")
	ws := &switchboard.Workspace{Name: "w"}
	ch := &switchboard.Channel{Type: "api", Name: "c", Status: switchboard.ChannelConnected}
	for _, err := range []error{db.CreateWorkspace(ctx, ws), func() error { ch.WorkspaceID = ws.ID; return db.CreateChannel(ctx, ch) }()} {
		if err != nil {
			t.Fatal(err)
		}
	}
	ct := &switchboard.Contact{WorkspaceID: ws.ID, ChannelID: ch.ID, ExternalID: "u"}
	if err := db.CreateContact(ctx, ct); err != nil {
		t.Fatal(err)
	}
	conv := &switchboard.Conversation{WorkspaceID: ws.ID, ChannelID: ch.ID, ContactID: ct.ID, Status: switchboard.ConversationActive}
	if err := db.CreateConversation(ctx, conv); err != nil {
		t.Fatal(err)
	}
	m := &switchboard.Message{WorkspaceID: ws.ID, ConversationID: conv.ID, ChannelID: ch.ID, Direction: switchboard.DirectionInbound,
		Sender: switchboard.SenderUser, Text: "a\xff\xfeb\xc3", Status: switchboard.MessageReceived}
	if err := db.CreateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	docs, err := db.RenderMessages(ctx, ws.ID, conv.ID, switchboard.Page{})
	if err != nil || len(docs) != 1 {
		t.Fatalf("RenderMessages = %v, %v", docs, err)
	}
	var got struct{ Text string }
	if err := json.Unmarshal([]byte(docs[0].JSON), &got); err != nil || !utf8.ValidString(docs[0].JSON) {
		t.Fatalf("document %q: %v", docs[0].JSON, err)
	}
	want, _ := json.Marshal(m.Text)
	var wantText string
	_ = json.Unmarshal(want, &wantText)
	if got.Text != wantText || got.Text != "a\uFFFD\uFFFDb\uFFFD" {
		t.Fatalf("text %q, encoding/json gives %q", got.Text, wantText)
	}
}
