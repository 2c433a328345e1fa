package store

import (
	"context"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard"
)

const turnCols = "id, workspace_id, bot_id, version, conversation_id, message_id, engine, intent, confidence, out_of_scope, " +
	"handoff, tool_calls, model, prompt_tokens, completion_tokens, replies, error, created_at"

func scanTurn(s scanner) (*switchboard.TurnRecord, error) {
	t := &switchboard.TurnRecord{}
	err := s.Scan(&t.ID, &t.WorkspaceID, &t.BotID, &t.Version, &t.ConversationID, &t.MessageID, &t.Engine, &t.Intent,
		&t.Confidence, &t.OutOfScope, &t.Handoff, jsonCol{&t.ToolCalls}, &t.Model, &t.PromptTokens, &t.CompletionTokens,
		&t.Replies, &t.Error, timeCol{&t.CreatedAt})
	if err != nil {
		return nil, err
	}
	if t.ToolCalls == nil {
		t.ToolCalls = []switchboard.ToolCall{}
	}
	return t, nil
}

// CreateBotTurn records a bot turn. A turn of a conversation that is gone
// (erased while the bot was answering) is not recorded, and that is not an
// error: its record would have gone with it.
func (q *queries) CreateBotTurn(ctx context.Context, t *switchboard.TurnRecord) error {
	if t.ID == "" {
		t.ID = switchboard.NewID(switchboard.PrefixTurn)
	}
	t.CreatedAt = q.stamp(t.CreatedAt)
	if t.ToolCalls == nil {
		t.ToolCalls = []switchboard.ToolCall{}
	}
	calls, err := encodeJSON(t.ToolCalls, "[]")
	if err != nil {
		return err
	}
	// One statement, which inserts nothing if the conversation is gone; a
	// repeated id fails as a conflict.
	_, err = q.w.ExecContext(ctx, q.sql(`INSERT INTO bot_turns (`+turnCols+`)
		 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		 WHERE EXISTS (SELECT 1 FROM conversations WHERE workspace_id = ? AND id = ?)`),
		t.ID, t.WorkspaceID, t.BotID, t.Version, t.ConversationID, t.MessageID, t.Engine, t.Intent, t.Confidence,
		t.OutOfScope, t.Handoff, calls, t.Model, t.PromptTokens, t.CompletionTokens, t.Replies, t.Error, q.t(t.CreatedAt),
		t.WorkspaceID, t.ConversationID)
	return translate(err, "create", "bot turn")
}

// ListBotTurns lists a conversation's turns, newest first.
func (q *queries) ListBotTurns(ctx context.Context, workspaceID, conversationID string, p switchboard.Page) ([]*switchboard.TurnRecord, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	w.and("conversation_id = ?", conversationID)
	return getMany(ctx, q, "bot turn", scanTurn, w.page(turnCols, "bot_turns", p), w.args...)
}

// GetRunByDedupKey finds a run by its dedup key, with its attempts.
func (q *queries) GetRunByDedupKey(ctx context.Context, workspaceID, dedupKey string) (*switchboard.Run, error) {
	r, err := getOne(ctx, q, "run", scanRun, `SELECT `+runCols+` FROM runs WHERE workspace_id = ? AND dedup_key = ?`, workspaceID, dedupKey)
	if err != nil {
		return nil, err
	}
	return r, q.withAttempts(ctx, []*switchboard.Run{r})
}

// TopIntents counts the turns since a time by intent, most frequent first
// (ties by name), read from the (workspace_id, created_at) index.
func (q *queries) TopIntents(ctx context.Context, workspaceID string, since time.Time, limit int) ([]switchboard.IntentCount, error) {
	scan := func(s scanner) (switchboard.IntentCount, error) {
		var c switchboard.IntentCount
		err := s.Scan(&c.Intent, &c.Turns)
		return c, err
	}
	return getMany(ctx, q, "bot turn", scan,
		`SELECT intent, COUNT(*) AS turns FROM bot_turns WHERE workspace_id = ? AND created_at >= ? AND intent <> ''
		 GROUP BY intent ORDER BY turns DESC, intent LIMIT `+strconv.Itoa(max(limit, 1)), workspaceID, q.t(since))
}
