package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

// ListInbox lists the conversations of a workspace, newest activity first.
// The cursor is a conversation's id: the page continues after its place.
func (q *queries) ListInbox(ctx context.Context, workspaceID string, f switchboard.InboxFilter, p switchboard.Page) ([]*switchboard.Conversation, error) {
	w := new(where)
	w.and("workspace_id = ?", workspaceID)
	w.eq("status", f.Status)
	w.eq("channel_id", f.ChannelID)
	if f.Unassigned {
		w.and("(assignee IS NULL OR assignee = '')")
	} else {
		w.eq("assignee", f.Assignee)
	}
	if p.After != "" {
		w.and(`(last_activity_at, id) < (SELECT last_activity_at, id FROM conversations WHERE workspace_id = ? AND id = ?)`,
			workspaceID, p.After)
	}
	return getMany(ctx, q, "conversation", scanConversation,
		"SELECT "+conversationCols+" FROM conversations WHERE "+strings.Join(w.conds, " AND ")+
			" ORDER BY last_activity_at DESC, id DESC LIMIT "+strconv.Itoa(limit(p)), w.args...)
}

// CountUnread counts the inbound messages of each conversation newer than
// the user's read mark.
func (q *queries) CountUnread(ctx context.Context, workspaceID, userID string, conversationIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if len(conversationIDs) == 0 {
		return out, nil
	}
	args := []any{userID, workspaceID}
	for _, id := range conversationIDs {
		args = append(args, id)
	}
	rows, err := q.r.QueryContext(ctx, q.sql(
		`SELECT m.conversation_id, COUNT(*) FROM messages m
		 LEFT JOIN conversation_reads r ON r.user_id = ? AND r.conversation_id = m.conversation_id
		 WHERE m.workspace_id = ? AND m.direction = '`+switchboard.DirectionInbound+`'
		   AND m.conversation_id IN (`+marks(len(conversationIDs))+`)
		   AND (r.message_id IS NULL OR m.id > r.message_id)
		 GROUP BY m.conversation_id`), args...)
	if err != nil {
		return nil, translate(err, "list", "message")
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, translate(err, "list", "message")
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list", "message")
	}
	return out, nil
}

// MarkConversationRead moves the user's read mark of a conversation of the
// workspace forward to messageID (never back). A conversation of another
// workspace is not found.
func (q *queries) MarkConversationRead(ctx context.Context, workspaceID, userID, conversationID, messageID string, at time.Time) error {
	if _, _, err := q.GetConversationStatus(ctx, workspaceID, conversationID); err != nil {
		return err
	}
	_, err := q.changeN(ctx, "update", "read mark",
		`INSERT INTO conversation_reads (user_id, conversation_id, workspace_id, message_id, read_at)
		 VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT (user_id, conversation_id) DO UPDATE SET message_id = excluded.message_id, read_at = excluded.read_at
		 WHERE excluded.message_id > conversation_reads.message_id`,
		userID, conversationID, workspaceID, messageID, q.t(q.stamp(at)))
	return err
}

// ListEventsAfter returns the events of a workspace after an id, oldest
// first.
func (q *queries) ListEventsAfter(ctx context.Context, workspaceID, after string, n int) ([]*switchboard.Event, error) {
	if n <= 0 {
		return nil, nil
	}
	return getMany(ctx, q, "event", scanEvent,
		`SELECT `+eventCols+` FROM events WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT `+strconv.Itoa(n),
		workspaceID, after)
}
