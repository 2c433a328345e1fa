package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard"
)

// Lists as the API shows them (switchboard.Rendered).
//
// On SQLite, reading a page of 50 messages cost far more in scanning each
// column of each row into a Go value, and encoding the values again with
// encoding/json, than in reading the rows. So the query writes each row's
// JSON document itself (json_object) and Go reads one column. The documents
// are those encoding/json makes of the structs: the fields of each resource
// are listed below in the order of its struct, and the conformance suite
// compares the two for every resource. On PostgreSQL, where a page's time
// is mostly the round trip, the items are listed and encoded in Go.

// The documents of the rendered resources, in the fields of their structs.
var (
	messageJSON = jsonObject("id", "conversation_id", "direction", "sender", "text", "status", "external_id",
		"error", "created_at:time")
	conversationJSON = jsonObject("id", "channel_id", "bot_id", "contact_id", "status", "assignee",
		"metadata:json", "started_at:time", "last_activity_at:time", "ended_at:time")
	eventJSON = jsonObject("id", "event=type", "timestamp=created_at:time", "version", "workspace_id", "data:json")
)

// jsonObject returns the SQLite expression of a row as a JSON object with
// the given members, in order. A member is "name", the column of that
// name, or "name=column"; a column holds text or NULL, unless the member
// ends in ":json" (a JSON document) or ":time" (a stored time, written as
// encoding/json writes a time.Time: RFC 3339 in UTC, without the trailing
// zeros of the fraction).
func jsonObject(members ...string) string {
	var b strings.Builder
	b.WriteString("json_object(")
	for i, m := range members {
		m, kind, _ := strings.Cut(m, ":")
		name, col, ok := strings.Cut(m, "=")
		if !ok {
			col = name
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "'%s', ", name)
		switch kind {
		case "":
			b.WriteString(col)
		case "json":
			fmt.Fprintf(&b, "json(%s)", col)
		case "time": // 2006-01-02T15:04:05.000000Z → 2006-01-02T15:04:05Z
			fmt.Fprintf(&b, "rtrim(rtrim(substr(%s, 1, 26), '0'), '.') || 'Z'", col)
		default:
			panic("store: unknown JSON member kind " + kind)
		}
	}
	b.WriteString(")")
	return b.String()
}

// rendered reads the rows (id, document) of a rendering query.
func (q *queries) rendered(ctx context.Context, kind, query string, args ...any) ([]switchboard.Rendered, error) {
	rows, err := q.r.QueryContext(ctx, q.sql(query), args...)
	if err != nil {
		return nil, translate(err, "list", kind)
	}
	defer rows.Close()
	var out []switchboard.Rendered
	for rows.Next() {
		var r switchboard.Rendered
		if err := rows.Scan(&r.ID, &r.JSON); err != nil {
			return nil, translate(err, "list", kind)
		}
		// SQLite copies text into JSON as it is stored; encoding/json
		// replaces invalid UTF-8, and so must a document.
		if !utf8.ValidString(r.JSON) {
			r.JSON = validUTF8(r.JSON)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list", kind)
	}
	return out, nil
}

// validUTF8 replaces each byte of s that is not part of valid UTF-8 with
// U+FFFD, as encoding/json does.
func validUTF8(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// encodeEach renders listed items with encoding/json.
func encodeEach[T any](items []T, err error, id func(T) string) ([]switchboard.Rendered, error) {
	if err != nil {
		return nil, err
	}
	out := make([]switchboard.Rendered, len(items))
	for i, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return nil, err
		}
		out[i] = switchboard.Rendered{ID: id(it), JSON: string(b)}
	}
	return out, nil
}

// RenderMessages is ListMessages as the API shows it.
func (q *queries) RenderMessages(ctx context.Context, workspaceID, conversationID string, p switchboard.Page) ([]switchboard.Rendered, error) {
	if q.dialect == DialectPostgres {
		list, err := q.ListMessages(ctx, workspaceID, conversationID, p)
		return encodeEach(list, err, func(m *switchboard.Message) string { return m.ID })
	}
	w := messagesWhere(workspaceID, conversationID)
	return q.rendered(ctx, "message", w.page("id, "+messageJSON, "messages", p), w.args...)
}

// RenderConversations is ListConversations as the API shows it.
func (q *queries) RenderConversations(ctx context.Context, workspaceID string, f switchboard.ConversationFilter, p switchboard.Page) ([]switchboard.Rendered, error) {
	if q.dialect == DialectPostgres {
		list, err := q.ListConversations(ctx, workspaceID, f, p)
		return encodeEach(list, err, func(c *switchboard.Conversation) string { return c.ID })
	}
	w := conversationsWhere(workspaceID, f)
	return q.rendered(ctx, "conversation", w.page("id, "+conversationJSON, "conversations", p), w.args...)
}

// RenderEvents is ListEvents as the API shows it.
func (q *queries) RenderEvents(ctx context.Context, workspaceID string, f switchboard.EventFilter, p switchboard.Page) ([]switchboard.Rendered, error) {
	if q.dialect == DialectPostgres {
		list, err := q.ListEvents(ctx, workspaceID, f, p)
		return encodeEach(list, err, func(e *switchboard.Event) string { return e.ID })
	}
	w := q.eventsWhere(workspaceID, f)
	return q.rendered(ctx, "event", w.page("id, "+eventJSON, "events", p), w.args...)
}
