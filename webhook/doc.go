// Package webhook delivers events to webhook endpoints: signed, retried,
// logged and never lost.
//
// The outbox is the database. CreateEvent writes, in the transaction of the
// change that caused the event, one pending delivery row per matching
// endpoint, already leased to this process's Dispatcher; once the
// transaction commits the store hands the rows to the Dispatcher
// (switchboard.DeliveryNotifier), which queues them at once, so the happy
// path has no polling delay.
//
// Each endpoint has its own lane: an in-memory queue, at most Concurrency
// requests in flight and its own rate limit, so that a slow or dead endpoint
// only ever delays itself. A lane's queue is bounded; what does not fit
// stays in the database and the lane claims it when it has room.
//
// Every attempt is made only while the Dispatcher holds the delivery's
// lease, with enough of it left to outlast the request; a lease that runs
// low is extended first. A recovery loop claims deliveries that nobody holds
// (retries falling due, deliveries released by a stopping process) or whose
// lease expired (a process that died), with FOR UPDATE SKIP LOCKED on
// PostgreSQL, so several processes share the work and each delivery is
// attempted by one of them at a time.
//
// Outcomes are written in batches: a flusher collects the results of many
// attempts and records them (attempt log, delivery state, endpoint health)
// in one transaction. Retries follow the Schedule (package retry, shared
// with the job queue) with jitter and Retry-After; 410 disables the
// endpoint at once, and an endpoint failing for DisableAfter is disabled
// and announced with webhook.endpoint.disabled.
//
// Requests go through the SSRF-safe egress client, never follow redirects
// and are signed the Standard Webhooks way (package signature).
package webhook
