// Package bot is where Switchboard's bot engines live, one package per
// engine behind one interface (switchboard.BotEngine):
//
//	bot/builtin   intents learned from examples by a classifier (bot/builtin/classify),
//	              a fallback for out-of-scope messages, a handoff intent
//	bot/webhook   the bot's logic in the customer's own service, called by a signed POST
//	bot/llm       a language model behind an OpenAI-compatible chat-completions
//	              endpoint, which may call tools (knowledge, handoff, contact,
//	              integration actions) before it answers
//	bot/bottest   an engine for tests that trains and answers with its own version
//
// Each engine names itself, parses and validates its own configuration
// (splitting out its secrets) and answers; cmd/switchboard registers the
// engines of the build (switchboard.Engines), and a bot of an engine the
// build does not have is refused at create. The pipeline calls an engine
// once per inbound text message of a conversation the bot answers, and
// sends what it returns; engines never write to the store or talk to
// platforms themselves: what a turn may change besides its answer (the
// llm engine's tools) goes through the switchboard.TurnTools the turn
// carries.
//
// Bots answer with their deployed version only: training turns a draft
// into a version (engines that learn implement switchboard.Trainer and
// return a model), and the pipeline hands the engine the deployed
// version's configuration, secrets and model in each turn.
package bot
