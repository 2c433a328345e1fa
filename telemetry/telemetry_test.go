package telemetry_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/telemetry"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestStoredTraceparentContinuesTheTrace: a span's traceparent, stored and
// read back (as a job's or an event's is), makes the parent of the span
// started from it; without a span there is nothing to store, and a
// malformed traceparent starts a trace of its own.
func TestStoredTraceparentContinuesTheTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	tracer := telemetry.Tracer(tp)
	ctx := context.Background()
	if got := telemetry.Traceparent(ctx); got != "" {
		t.Fatalf("traceparent without a span: %q", got)
	}
	ctx1, first := tracer.Start(ctx, "ingest")
	stored := telemetry.Traceparent(ctx1)
	first.End()
	_, second := tracer.Start(telemetry.Continue(context.Background(), stored), "job send")
	h := http.Header{}
	telemetry.SetHeader(telemetry.Continue(context.Background(), stored), h)
	second.End()
	_, third := tracer.Start(telemetry.Continue(context.Background(), "00-not-a-traceparent"), "other")
	third.End()

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans", len(spans))
	}
	ingest, send, other := spans[0], spans[1], spans[2]
	if send.SpanContext.TraceID() != ingest.SpanContext.TraceID() || send.Parent.SpanID() != ingest.SpanContext.SpanID() {
		t.Fatalf("the continued span is not the child of the stored one: %v %v", send.Parent, ingest.SpanContext)
	}
	if other.SpanContext.TraceID() == ingest.SpanContext.TraceID() || other.Parent.IsValid() {
		t.Fatalf("a malformed traceparent joined a trace: %v", other.Parent)
	}
	if h.Get("traceparent") != stored || stored == "" {
		t.Fatalf("header %q, stored %q", h.Get("traceparent"), stored)
	}
	if telemetry.Tracer(nil) != telemetry.Off {
		t.Fatal("a nil provider must trace nothing")
	}
}
