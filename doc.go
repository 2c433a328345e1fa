// Package switchboard is the vocabulary of Switchboard: the domain types,
// the error codes, the event types, the interfaces that the implementation
// packages satisfy, the store's small interfaces by area (Queries is their
// sum), the registries of providers and the Clock. It imports the standard
// library only.
//
// Providers describe themselves: a channel adapter (ChannelAdapter) returns
// its ChannelSpec (configuration fields, secrets, generated secrets, text
// limit, repeat safety), a bot engine (BotEngine) names itself and parses
// its own configuration. cmd/switchboard registers them (Channels,
// Engines) and hands the registries to those that need them. Beyond the
// names of the types (ChannelTelegram, EngineBuiltin, ...), nothing about
// one provider lives here.
//
// Where things live (data flows down this list, providers aside):
//
//	cmd/switchboard   flags and env → Config → wiring → Run, with the one list of providers (internal/providers)
//	httpapi           REST /api/v1, inbound /hooks/*, web chat routes: decode → app → encode
//	app               the business operations: every rule and every write, once
//	pipeline          the conversation flow: ingest → bot turn → send, as queue workers
//	queue             durable jobs: typed kinds, leases, retries, crash resume
//	groupcommit       shared transactions for writes that arrive together
//	retry             retry schedules and jitter
//	webhook           outbound events: publishing, dispatching, signing
//	store             persistence on SQLite and PostgreSQL
//	channel/*         one package per messaging platform, with its ChannelSpec
//	bot/*             one package per bot engine, parsing its own config
//	auth, secret      API keys and scopes; encryption of credentials at rest
//	egress            the one HTTP client for customer URLs (address policy)
package switchboard
