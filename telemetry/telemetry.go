// Package telemetry traces one inbound message through Switchboard with
// OpenTelemetry: the inbound hook, the ingest, each job the message causes
// (the bot turn, the sends) and each webhook delivery attempt of the events
// they publish, in one trace, across processes.
//
// A trace crosses a process boundary through the database: a job and an
// event carry the W3C traceparent of the span that wrote them
// (switchboard.Job.Trace, switchboard.Event.Trace), and whoever runs the
// job or delivers the event continues that trace. Outbound webhook
// deliveries and calls to webhook bots carry it in a traceparent header.
//
// Spans are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, with the exporter's standard
// OTEL_* settings; otherwise tracing is off and costs next to nothing (no
// span is recorded and no traceparent is stored).
package telemetry

import (
	"context"
	"net/http"
	"os"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Name is the instrumentation scope of Switchboard's spans.
const Name = "github.com/switchboardhq/switchboard"

// Off is the tracer of a process that does not trace.
var Off trace.Tracer = noop.NewTracerProvider().Tracer(Name)

// Configured reports whether the environment asks for spans to be
// exported.
func Configured() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Start returns the tracer provider the environment asks for: an OTLP/HTTP
// exporter behind a batching processor when Configured, else nil (tracing
// off). shutdown flushes what is buffered; call it on exit.
func Start(ctx context.Context, version string) (tp trace.TracerProvider, shutdown func(context.Context) error, err error) {
	if !Configured() {
		return nil, func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, nil, err
	}
	res := resource.NewSchemaless(semconv.ServiceName("switchboard"), semconv.ServiceVersion(version))
	p := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return p, p.Shutdown, nil
}

// Tracer returns the Switchboard tracer of tp, or Off when tp is nil.
func Tracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		return Off
	}
	return tp.Tracer(Name)
}

var propagator = propagation.TraceContext{}

// Traceparent is the W3C traceparent of ctx's span, to store with what a
// span writes; "" when ctx has no recording span.
func Traceparent(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagator.Inject(ctx, c)
	return c["traceparent"]
}

// Continue returns ctx with the span of a stored traceparent as its remote
// parent, so that spans started from it join that trace. An empty or
// malformed traceparent leaves ctx as it is.
func Continue(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return propagator.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
}

// SetHeader adds the traceparent header of ctx's span to h, if it has one.
func SetHeader(ctx context.Context, h http.Header) {
	if tp := Traceparent(ctx); tp != "" {
		h.Set("traceparent", tp)
	}
}
