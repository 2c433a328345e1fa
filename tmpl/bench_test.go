package tmpl_test

import (
	"fmt"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

// BenchmarkFill fills a response with three knowledge placeholders for a
// contact, on SQLite, among facts of 1000 customers.
func BenchmarkFill(b *testing.B) {
	w := newWorld(b, "sqlite://"+b.TempDir()+"/bench.db")
	for i := range 1000 {
		w.fact(b, sb.Fact{Key: "order.latest", Email: fmt.Sprintf("c%d@example.com", i), Text: "x",
			Data: []byte(`{"status":"shipped","tracking":{"number":"1Z"}}`)})
	}
	w.fact(b, sb.Fact{Key: "order.latest", Email: "ada@example.com", Text: "Order 1001",
		Data: []byte(`{"status":"shipped","tracking":{"number":"1Z999"}}`)})
	w.fact(b, sb.Fact{Key: "hours", Text: "9 to 5"})
	v := w.vars()
	const response = "Hi {{contact.name}}, your order is {{knowledge.order.latest.status}} " +
		"(tracking {{knowledge.order.latest.tracking.number}}). We are open {{knowledge.hours}}."
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Fill(b.Context(), response); err != nil {
			b.Fatal(err)
		}
	}
}
