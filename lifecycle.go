package switchboard

import (
	"reflect"
	"time"
)

// ConversationPatch is a change to a conversation's status, assignee or
// metadata, from the API (PUT /conversations/{id}) or from the pipeline (a
// bot handing off, the inactivity timeout). Unset fields stay as they are.
type ConversationPatch struct {
	Status      string // "" leaves the status
	SetAssignee bool
	Assignee    *string // nil or "" clears it
	SetMetadata bool
	Metadata    map[string]any // nil is the empty object
	// Idle says the change is not activity (the inactivity timeout ending
	// the conversation): LastActivityAt keeps the last real activity.
	Idle bool
}

// Apply changes c as p says, at now, and returns the events the change
// causes, to be written in the same transaction as the conversation: one
// conversation.updated per changed field (data.changes names it), then
// conversation.ended if it ended. A change is activity: LastActivityAt
// becomes now (unless the patch says Idle). A patch that changes nothing returns no
// events and leaves c as it was. An ended conversation cannot change status
// (EConflict).
func (c *Conversation) Apply(p ConversationPatch, now time.Time) ([]*Event, error) {
	// Times are kept to the microsecond, as they are stored, so that the
	// conversation in an event's data is the one the API answers.
	now = now.UTC().Truncate(time.Microsecond)
	var changes []Change
	ended := false
	if p.Status != "" && p.Status != c.Status {
		if !ValidConversationStatus(p.Status) {
			return nil, Invalid("status", "must be active, handoff or ended")
		}
		if !CanTransition(c.Status, p.Status) {
			return nil, Errorf(EConflict, "The conversation has ended; its status cannot change. The contact's next message starts a new one.")
		}
		changes = append(changes, Change{Field: "status", OldValue: c.Status, NewValue: p.Status})
		c.Status = p.Status
		if c.Status == ConversationEnded {
			c.EndedAt, ended = &now, true
		}
	}
	if p.SetMetadata {
		m := p.Metadata
		if m == nil {
			m = map[string]any{}
		}
		if !reflect.DeepEqual(m, c.Metadata) {
			changes = append(changes, Change{Field: "metadata", OldValue: c.Metadata, NewValue: m})
			c.Metadata = m
		}
	}
	if p.SetAssignee {
		a := p.Assignee
		if a != nil && *a == "" {
			a = nil
		}
		if !equalStringPtr(a, c.Assignee) {
			changes = append(changes, Change{Field: "assignee", OldValue: c.Assignee, NewValue: a})
			c.Assignee = a
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	if !p.Idle {
		c.LastActivityAt = now
	}
	events := make([]*Event, 0, len(changes)+1)
	for i := range changes {
		events = append(events, ConversationEvent(EventConversationUpdated, c, &changes[i]))
	}
	if ended {
		events = append(events, ConversationEvent(EventConversationEnded, c, nil))
	}
	return events, nil
}

// Idle reports whether an open conversation has had no activity for more
// than timeout at now, and so is over.
func (c *Conversation) Idle(now time.Time, timeout time.Duration) bool {
	return c.Status != ConversationEnded && timeout > 0 && now.After(c.LastActivityAt.Add(timeout))
}

func equalStringPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
