package switchboard

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// BotEngine decides what a bot answers. There is one engine per value of
// Bot.Engine, each in its own package (bot/builtin, bot/webhook, ...),
// registered by cmd/switchboard (Engines). The API asks the engine to
// validate a bot's configuration (ParseConfig); the pipeline calls Reply
// once per inbound text message of a conversation the bot is answering,
// after the message is stored, and sends what it returns.
//
// Reply may be called more than once for the same message (after a crash,
// or to retry a failure): Turn.Message.ID is the same each time, so engines
// that call out can pass it on for the receiver to drop repeats.
type BotEngine interface {
	// Name is the engine's name, the value of Bot.Engine.
	Name() string
	// ParseConfig validates raw (empty or null: {}) as a bot's
	// configuration and splits it into the public configuration, with
	// defaults filled in, and the secret fields. Errors are
	// invalid_request errors naming the field prefixed with "config.".
	ParseConfig(raw json.RawMessage) (public json.RawMessage, secrets map[string]string, err error)
	Reply(ctx context.Context, t *BotTurn) (*BotAnswer, error)
}

// SecretGenerator is implemented by engines that make a secret when a bot
// is created without one (the webhook engine's signing secret).
// GenerateSecrets adds the missing secrets to secrets (not nil) and returns
// those to be shown once, in the create response.
type SecretGenerator interface {
	GenerateSecrets(secrets map[string]string) map[string]string
}

// OutboundURLs is implemented by engines whose configuration names URLs
// Switchboard calls (the webhook engine's url). Given a configuration as a
// client sent it (not yet validated), it returns those URLs by field name
// ("config.url"), leaving out absent values and values that are not
// absolute http(s) URLs (ParseConfig reports those). The API checks each
// against the outbound address policy on create and update.
type OutboundURLs interface {
	OutboundURLs(raw json.RawMessage) map[string]string
}

// SlowReplier is implemented by engines whose Reply waits seconds on
// someone else's service (the llm engine's model). The pipeline runs their
// replies outside its worker slots, in a bounded pool of their own, so that
// slow models do not hold back the turns of other bots.
type SlowReplier interface {
	SlowReplies()
}

// Trainer is implemented by engines that learn from their configuration
// (the builtin engine's classifier). Training a bot turns its draft into
// a numbered version: the configuration and secrets as they were, and what
// Train returns. Engines that do not implement Trainer version their
// configuration only (no model, empty metrics).
type Trainer interface {
	// Train builds a version's model from a configuration ParseConfig
	// accepted. It may take seconds and must stop when ctx ends. An error
	// fails the training (the bot's status becomes error, with the
	// message); ErrorCode(err) == EInvalid for a configuration that cannot
	// be trained (too few examples), anything else for a failure.
	Train(ctx context.Context, in *TrainInput) (*TrainedModel, error)
}

// TrainInput is what Train learns from.
type TrainInput struct {
	BotID   string
	Config  json.RawMessage // the public configuration, as ParseConfig returned it
	Secrets map[string]string
}

// TrainedModel is what training produced.
type TrainedModel struct {
	// Model is the engine's trained artefact, stored with the version and
	// handed back through BotTurn.Model; nil if the engine needs none.
	Model []byte
	// Metrics is a JSON object shown with the version (for the builtin
	// engine: intents, examples, training_ms, cv_accuracy).
	Metrics json.RawMessage
}

// BotTurn is everything an engine gets to answer one message.
type BotTurn struct {
	// Bot is the bot answering. Its Config and Secrets are those of the
	// version answering (Version), not the draft: engines read them as
	// before and need not know about versions.
	Bot          *Bot
	Channel      *Channel
	Conversation *Conversation
	Contact      *Contact // nil in a parse without a contact
	Message      *Message // the inbound message to answer
	Attempt      int      // 1 for the first call, 2 for the first retry, ...

	// Version is the number of the version answering.
	Version int
	// Model returns that version's model (TrainedModel.Model), read from
	// the database at each call: an engine decodes it once per process
	// and keeps it by (Bot.ID, Version). Nil when the version has none.
	Model func(ctx context.Context) ([]byte, error)
	// Fill fills a response template's placeholders ({{contact.name}},
	// {{knowledge.order.latest.status}}, ...) for this turn. It fails
	// (ErrorCode EInvalid) when a placeholder cannot be filled; the engine
	// then tries another response, else the fallback. Never nil.
	Fill func(ctx context.Context, template string) (string, error)
	// DryRun is set for POST /bots/{id}/parse: nothing may be stored or
	// sent, and engines whose answer needs a call to someone else's
	// service refuse with ErrorCode EInvalid and say why.
	DryRun bool
	// Tools are what an engine may do during the turn besides answering
	// (the llm engine's tools): look facts up, change the contact, run
	// integration actions. Nil when the caller gives none (an engine then
	// refuses the tools that need them).
	Tools TurnTools
}

// BotAnswer is what a bot makes of a message.
type BotAnswer struct {
	Replies []string // texts to send to the contact, in order
	// Handoff hands the conversation to agents (status handoff): the bot
	// stays silent until it is set active again.
	Handoff bool
	// Intent names what the engine recognised, for logs ("" if nothing).
	Intent string
	// Confidence is the engine's confidence in Intent, from 0 to 1.
	Confidence float64
	// Ranking lists the intents considered, best first (at most 10).
	Ranking []IntentScore
	// OutOfScope is set when the message matched no intent well enough
	// and got the fallback.
	OutOfScope bool
	// Action is the integration action of the intent that answered, run
	// once for this turn after the answer is written (nil: none).
	Action *IntentAction
	// HandoffReason says why the bot handed off (shown with the
	// conversation, in its metadata's handoff_reason); "" for none.
	HandoffReason string
	// ToolCalls are the tools the engine called for this answer, in order,
	// with their results; recorded with the turn.
	ToolCalls []ToolCall
	// Model names the model that answered; PromptTokens and
	// CompletionTokens are what it spent (the llm engine). Counted in
	// /metrics and recorded with the turn.
	Model            string
	PromptTokens     int
	CompletionTokens int
}

// IntentScore is one intent's confidence for a message.
type IntentScore struct {
	Name       string  `json:"name"`
	Confidence float64 `json:"confidence"`
}

// IntentAction is an integration action an intent runs when it answers.
type IntentAction struct {
	IntegrationID string          `json:"integration_id"`
	Action        string          `json:"action"`
	Params        json.RawMessage `json:"params,omitempty"`
}

// ReplyError is a failed Reply. Retryable errors (the bot's service is down
// or slow) are tried again, after RetryAfter if it is set; after the last
// attempt, or at once for other errors, the turn ends with a bot.error event
// and no reply.
type ReplyError struct {
	Retryable  bool
	RetryAfter time.Duration
	Message    string
	// Partial is what the engine did before it failed (the tools a model
	// called, the tokens it spent), recorded with a turn that ends in
	// bot.error and counted in /metrics; nil for none.
	Partial *BotAnswer
}

func (e *ReplyError) Error() string { return e.Message }

// ReplyErrorf returns a ReplyError with a formatted message.
func ReplyErrorf(retryable bool, format string, args ...any) *ReplyError {
	return &ReplyError{Retryable: retryable, Message: fmt.Sprintf(format, args...)}
}
