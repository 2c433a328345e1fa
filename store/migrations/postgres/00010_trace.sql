-- +goose Up
-- The W3C traceparent of the span that wrote a job or published an event
-- ('' when not tracing), so that whoever runs the job or delivers the event
-- continues the trace, in this process or another.
ALTER TABLE jobs ADD COLUMN trace TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN trace TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE events DROP COLUMN trace;
ALTER TABLE jobs DROP COLUMN trace;
