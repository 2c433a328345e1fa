// Package api holds the OpenAPI 3.1 document of Switchboard's REST API: the
// reviewed source of truth of every operation under /api/v1, the operational
// endpoints (/healthz, /readyz, /metrics), their schemas and errors, and, in
// its webhooks section, every event that Switchboard delivers to webhook
// endpoints.
//
// The document is written by hand (spec-first) in openapi.json, beside this
// file, and embedded here so that the server can serve it at
// GET /api/v1/openapi.json and tests can check the implementation against it.
// A change to the API starts with a change to that file. Its tests check that
// it is a valid OpenAPI 3.1 document, that every $ref resolves, that every
// operation follows the API's conventions (scopes, standard headers and
// errors, idempotency, pagination) and that its webhooks section and schemas
// agree with the event types and domain types of package switchboard.
//
// api/contract holds the other half of those checks, run by .ci/contract
// (make contract): redocly lint, and TypeScript and Go clients generated
// from the document (openapi-typescript, oapi-codegen), which must build
// every request body.
package api

import _ "embed"

// Document is the OpenAPI 3.1 document, as JSON. Callers must not modify it.
//
//go:embed openapi.json
var Document []byte
