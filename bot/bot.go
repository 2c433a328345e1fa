// Package bot is where Switchboard's bot engines live, one package per
// engine behind one interface (switchboard.BotEngine):
//
//	bot/builtin   intents matched by their examples, a fallback, a handoff intent
//	bot/webhook   the bot's logic in the customer's own service, called by a signed POST
//
// Each engine names itself, parses and validates its own configuration
// (splitting out its secrets) and answers; cmd/switchboard registers the
// engines of the build (switchboard.Engines), and a bot of an engine the
// build does not have is refused at create. The llm engine comes later, in
// bot/llm. The pipeline calls an engine once per inbound text message of a
// conversation the bot answers, and sends what it returns; engines never
// write to the store or talk to platforms.
//
// Bots answer with their current configuration whatever their status:
// training and deployment (POST /bots/{id}/train and /deploy) are not
// needed by these two engines and are not implemented yet; a draft bot
// answers.
package bot
