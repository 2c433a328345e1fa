package switchboard

import (
	"encoding/json"
	"testing"
	"time"
)

// TestApplyKeepsStoredPrecision: the times a patch sets, and those in the
// events it returns, are whole microseconds, as stored and as the API
// answers them.
func TestApplyKeepsStoredPrecision(t *testing.T) {
	now := time.Date(2026, 11, 21, 15, 24, 33, 472017201, time.FixedZone("CET", 3600))
	c := &Conversation{ID: "conv_1", WorkspaceID: "ws_1", Status: ConversationActive, Metadata: map[string]any{}}
	events, err := c.Apply(ConversationPatch{Status: ConversationEnded}, now)
	if err != nil || len(events) != 2 {
		t.Fatalf("Apply = %v, %v", events, err)
	}
	want := time.Date(2026, 11, 21, 14, 24, 33, 472017000, time.UTC)
	if !c.LastActivityAt.Equal(want) || c.LastActivityAt.Location() != time.UTC || c.EndedAt == nil || !c.EndedAt.Equal(want) {
		t.Fatalf("last activity %v, ended %v; want %v", c.LastActivityAt, c.EndedAt, want)
	}
	for _, e := range events {
		var data struct {
			Conversation struct {
				LastActivityAt string `json:"last_activity_at"`
				EndedAt        string `json:"ended_at"`
			} `json:"conversation"`
		}
		if err := json.Unmarshal(e.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data.Conversation.LastActivityAt != "2026-11-21T14:24:33.472017Z" || data.Conversation.EndedAt != "2026-11-21T14:24:33.472017Z" {
			t.Fatalf("%s data: %s", e.Type, e.Data)
		}
	}
}
