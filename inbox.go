package switchboard

import (
	"context"
	"time"
)

// InboxFilter narrows ListInbox; zero fields match all. Assignee keeps the
// conversations assigned to that value; Unassigned those assigned to
// nobody (it wins over Assignee).
type InboxFilter struct {
	Status     string
	ChannelID  string
	Assignee   string
	Unassigned bool
}

// InboxQueries are the reads and marks of the people who answer
// conversations, and the stream of a workspace's events in the order of
// their ids.
type InboxQueries interface {
	// ListInbox lists the conversations of a workspace, the newest
	// activity first (then the newest id). Page.After is the id of the
	// last conversation of the previous page: the page continues after
	// that conversation's place in this order.
	ListInbox(ctx context.Context, workspaceID string, f InboxFilter, p Page) ([]*Conversation, error)
	// CountUnread returns, for each of the conversations, the number of
	// its inbound messages newer than the user's read mark (all of them
	// without a mark). Conversations with none are absent from the map.
	CountUnread(ctx context.Context, workspaceID, userID string, conversationIDs []string) (map[string]int, error)
	// MarkConversationRead records that the user has seen the
	// conversation up to the message messageID; a mark never moves back.
	MarkConversationRead(ctx context.Context, workspaceID, userID, conversationID, messageID string, at time.Time) error
	// ListEventsAfter returns up to limit events of a workspace whose id is
	// greater than after ("" for all), in ascending order of id.
	ListEventsAfter(ctx context.Context, workspaceID, after string, limit int) ([]*Event, error)
}
