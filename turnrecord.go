package switchboard

import (
	"context"
	"encoding/json"
	"time"
)

// EngineLLM is the engine whose answers come from an OpenAI-compatible
// chat-completions model, which may call tools (bot/llm).
const EngineLLM = "llm"

// PrefixTurn is the prefix of the ids of recorded bot turns.
const PrefixTurn = "turn"

// TurnRecord is one bot turn as recorded (table bot_turns): what a bot's
// engine made of one inbound message, whatever the engine, so that turns
// serve both the conversation's history (which tools a model called, with
// what) and statistics (intents, out-of-scope rate, tokens spent). A turn
// is recorded once, with its outcome: in the transaction that queues its
// replies, or with its bot.error.
type TurnRecord struct {
	ID             string     `json:"id"`
	WorkspaceID    string     `json:"-"`
	BotID          string     `json:"bot_id"`
	Version        int        `json:"version"`
	ConversationID string     `json:"conversation_id"`
	MessageID      string     `json:"message_id"` // the inbound message answered
	Engine         string     `json:"engine"`
	Intent         string     `json:"intent,omitempty"`
	Confidence     float64    `json:"confidence"`
	OutOfScope     bool       `json:"out_of_scope"`
	Handoff        bool       `json:"handoff"`
	ToolCalls      []ToolCall `json:"tool_calls"`
	Model          string     `json:"model,omitempty"`
	// PromptTokens and CompletionTokens are what the model counted (usage),
	// summed over the turn's calls.
	PromptTokens     int       `json:"prompt_tokens"`
	CompletionTokens int       `json:"completion_tokens"`
	Replies          int       `json:"replies"` // texts the engine answered (before splitting)
	Error            *string   `json:"error"`   // why the turn failed (bot.error), nil if it did not
	CreatedAt        time.Time `json:"created_at"`
}

// ToolCall is one call of a tool by a model during a turn: the tool's name
// as the model saw it, the arguments it sent (a JSON object, as sent when it
// is not valid JSON: then a JSON string), and the result the model got
// back, or the error.
type ToolCall struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     string          `json:"error,omitempty"`
	// DryRun says the tool changes something and, in a dry run (POST
	// /bots/{id}/parse), was described instead of run.
	DryRun bool `json:"dry_run,omitempty"`
}

// TurnQueries store recorded bot turns, and find the runs a turn started.
type TurnQueries interface {
	CreateBotTurn(ctx context.Context, t *TurnRecord) error
	// ListBotTurns lists a conversation's turns, newest first.
	ListBotTurns(ctx context.Context, workspaceID, conversationID string, p Page) ([]*TurnRecord, error)
	// GetRunByDedupKey finds a run by its DedupKey (ENotFound if none):
	// the run a tool call of a turn started, when the turn runs again.
	GetRunByDedupKey(ctx context.Context, workspaceID, dedupKey string) (*Run, error)
	// TopIntents counts the turns since a time by the intent they
	// recognised (turns without one left out), most frequent first, at
	// most limit.
	TopIntents(ctx context.Context, workspaceID string, since time.Time, limit int) ([]IntentCount, error)
}

// IntentCount is how many turns recognised an intent.
type IntentCount struct {
	Intent string
	Turns  int
}

// TurnTools are what an engine that acts during a turn (the llm engine's
// tools) may do, for the turn's workspace, conversation and contact. The
// pipeline gives them to every turn; a dry run's tools only read.
type TurnTools interface {
	// History returns the conversation's last n messages up to the turn's
	// inbound message (included), oldest first; in a dry run, that message
	// alone.
	History(ctx context.Context, n int) ([]*Message, error)
	// Facts returns the unexpired facts answering for the turn's contact
	// (facts of the contact win over its email's, its phone's and the
	// workspace's, as in templates): the fact of key, or, with prefix, one
	// per key starting with key (at most limit), sorted by key.
	Facts(ctx context.Context, key string, prefix bool, limit int) ([]*Fact, error)
	// UpdateContact changes the turn's contact as PATCH /contacts/{id}
	// does; a patch that does not validate is EInvalid naming the field.
	UpdateContact(ctx context.Context, patch ContactUpdate) (*Contact, error)
	// RunAction runs an integration action as an ordinary durable run, once
	// per (turn message, call): a turn run again finds the run its earlier
	// attempt started instead of starting another. It waits for the run's
	// outcome until ctx ends or wait passes, and returns the run as it is
	// then (queued or running if it did not finish). Params that do not fit
	// the action are EInvalid naming the field.
	RunAction(ctx context.Context, a ToolAction, wait time.Duration) (*Run, error)
	// CheckAction checks an action call as RunAction would, without running
	// it (for dry runs).
	CheckAction(ctx context.Context, a ToolAction) error
	// DescribeAction returns an integration of the workspace and the spec
	// of one of its actions (ENotFound if either is gone), for the
	// action's tool definition.
	DescribeAction(ctx context.Context, integrationID, action string) (*Integration, ActionSpec, error)
}

// ContactUpdate is a change to a contact made by a tool: nil fields are
// left as they are; Attributes are merged into the contact's.
type ContactUpdate struct {
	Name       *string        `json:"name,omitempty"`
	Email      *string        `json:"email,omitempty"`
	Phone      *string        `json:"phone,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// ToolAction is an integration action a tool call runs. Call numbers the
// calls of one turn (from 0, across its rounds), so that the run is made
// once per (turn message, Call).
type ToolAction struct {
	IntegrationID string
	Action        string
	Params        json.RawMessage
	Call          int
}

// TriggerTool is the trigger of a run a bot's model started by calling
// the action as a tool (the llm engine); its TriggerID is the inbound
// message of the turn.
const TriggerTool = "tool"
