// Package bot is where Switchboard's bot engines live, one package per
// engine behind one interface (switchboard.BotEngine):
//
//	bot/builtin   intents matched by their examples, a fallback, a handoff intent
//	bot/webhook   the bot's logic in the customer's own service, called by a signed POST
//
// (the llm engine comes later). The pipeline calls an engine once per
// inbound text message of a conversation the bot answers, and sends what it
// returns; engines never write to the store or talk to platforms.
//
// Bots answer with their current configuration whatever their status:
// training and deployment (POST /bots/{id}/train and /deploy) are not
// needed by these two engines and are not implemented yet; a draft bot
// answers.
package bot

import sb "github.com/switchboardhq/switchboard"

// Registry maps engine names (switchboard.EngineBuiltin, ...) to engines.
type Registry map[string]sb.BotEngine

// Lookup returns the engine of a bot.
func (r Registry) Lookup(engine string) (sb.BotEngine, bool) {
	e, ok := r[engine]
	return e, ok
}
