// Package switchboard is the vocabulary of Switchboard: the domain types,
// the error codes, the event types and the interfaces that the
// implementation packages satisfy. It imports the standard library only.
//
// Providers describe themselves: a channel adapter (ChannelAdapter) returns
// its ChannelSpec (configuration fields, secrets, generated secrets, text
// limit, repeat safety), a bot engine (BotEngine) names itself and parses
// its own configuration. cmd/switchboard registers them (Channels,
// Engines) and hands the registries to those that need them. Beyond the
// names of the types (ChannelTelegram, EngineBuiltin, ...), nothing about
// one provider lives here.
//
// Where things live:
//
//	cmd/switchboard   flags and env → Config → wiring → Run
//	store             every persistence interface, on SQLite and PostgreSQL
//	httpapi           REST /api/v1, inbound /hooks/*, middleware
//	secret            encryption of credentials at rest
//	auth              API keys and scopes
//	channel/*         one package per messaging platform, with its ChannelSpec
//	bot/*             one package per bot engine, parsing its own config
//	webhook           outbound delivery: signing, dispatching, retrying
package switchboard
