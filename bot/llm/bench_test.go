package llm_test

import (
	"context"
	"net/http"
	"syscall"
	"testing"

	"github.com/switchboardhq/switchboard/bot/llm/llmtest"
)

// BenchmarkReply measures the engine's own work per turn against a fake
// model that answers at once on loopback: building the request (system
// prompt, history, tool definitions), the HTTP round trip and decoding the
// answer. plain is one call; knowledge_round is a knowledge lookup and the
// answer (two calls, the tool run in between). cpu-ns/op is the CPU the
// process spent per turn, the fake model's share included: on a loaded
// machine it is steadier than the wall time.
func BenchmarkReply(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		model := llmtest.New(b)
		model.Always(llmtest.Answer("Hello! How can I help?"))
		e := newEngine()
		ts := newTools()
		tr := turn(model, ts, "hello", "knowledge", "handoff", "contact", "int_01JHF3Q8R5ZK7M2W9XN4T6B0CD:lookup_order")
		ctx := context.Background()
		cpu := processCPU()
		for b.Loop() {
			if _, err := e.Reply(ctx, tr); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	})
	b.Run("knowledge_round", func(b *testing.B) {
		model := llmtest.New(b)
		lookup := llmtest.CallTools(llmtest.Call{Name: "knowledge", Arguments: `{"key":"hours"}`})
		answer := llmtest.Answer("We work 9 to 5.")
		model.Always(func(w http.ResponseWriter, r *http.Request, req *llmtest.Request) {
			if req.Last().Role == "tool" {
				answer(w, r, req)
				return
			}
			lookup(w, r, req)
		})
		e := newEngine()
		ts := newTools()
		tr := turn(model, ts, "when are you open?", "knowledge", "handoff")
		ctx := context.Background()
		cpu := processCPU()
		for b.Loop() {
			a, err := e.Reply(ctx, tr)
			if err != nil || len(a.ToolCalls) != 1 {
				b.Fatal(a, err)
			}
		}
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	})
}

// processCPU is the CPU time the process has used, user and system, in
// nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
