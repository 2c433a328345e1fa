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

// BotTurn is everything an engine gets to answer one message.
type BotTurn struct {
	Bot          *Bot
	Channel      *Channel
	Conversation *Conversation
	Contact      *Contact
	Message      *Message // the inbound message to answer
	Attempt      int      // 1 for the first call, 2 for the first retry, ...
}

// BotAnswer is what a bot makes of a message.
type BotAnswer struct {
	Replies []string // texts to send to the contact, in order
	// Handoff hands the conversation to agents (status handoff): the bot
	// stays silent until it is set active again.
	Handoff bool
	// Intent names what the engine recognised, for logs ("" if nothing).
	Intent string
}

// ReplyError is a failed Reply. Retryable errors (the bot's service is down
// or slow) are tried again, after RetryAfter if it is set; after the last
// attempt, or at once for other errors, the turn ends with a bot.error event
// and no reply.
type ReplyError struct {
	Retryable  bool
	RetryAfter time.Duration
	Message    string
}

func (e *ReplyError) Error() string { return e.Message }

// ReplyErrorf returns a ReplyError with a formatted message.
func ReplyErrorf(retryable bool, format string, args ...any) *ReplyError {
	return &ReplyError{Retryable: retryable, Message: fmt.Sprintf(format, args...)}
}
