// Package switchboard is the vocabulary of Switchboard: the domain types,
// the error codes, the event types and the interfaces that the
// implementation packages satisfy. It imports the standard library only.
//
// Where things live:
//
//	cmd/switchboard   flags and env → Config → wiring → Run
//	store             every persistence interface, on SQLite and PostgreSQL
//	httpapi           REST /api/v1, inbound /hooks/*, middleware
//	secret            encryption of credentials at rest
//	auth              API keys and scopes
//	channel/*         one package per messaging platform
//	webhook           outbound delivery: signing, dispatching, retrying
package switchboard
