package shopify

import (
	"context"
	"net/http"
	"os"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

// FuzzProcessHook: whatever a signed webhook holds, processing it never
// panics, and either fails with a permanent error or keeps facts with
// valid keys, and messages under the order's dedup key.
func FuzzProcessHook(f *testing.F) {
	for _, name := range []string{"orders_create.json", "orders_fulfilled.json", "products_update.json"} {
		b, err := os.ReadFile("testdata/webhooks/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(TopicOrdersFulfilled, b)
		f.Add(TopicProductsUpdate, b)
	}
	f.Add(TopicOrdersUpdated, []byte(`{"id":1,"order_number":2,"fulfillment_status":"fulfilled","email":"A@B.C","fulfillments":[{"tracking_numbers":["x"]}]}`))
	f.Add(TopicProductsUpdate, []byte(`{"id":1,"handle":"a b","variants":[{"price":"x","inventory_quantity":-3}]}`))
	in := &sb.Integration{ID: "int_1", Config: map[string]any{"notify_channel_id": "ch_1"}, Secrets: map[string]string{"webhook_secret": "s"}}
	f.Fuzz(func(t *testing.T, topic string, body []byte) {
		p := New()
		if _, err := p.VerifyHook(in, http.Header{HeaderHmac: {Sign("s", body)}, HeaderTopic: {topic}}, body); err != nil {
			t.Fatalf("a signed body refused: %v", err)
		}
		fx, err := p.ProcessHook(context.Background(), &sb.HookCall{Integration: in, Hook: &sb.IntegrationHook{Topic: topic, Body: body}})
		if err != nil {
			if e, ok := err.(*sb.ActionError); !ok || e.Retryable {
				t.Fatalf("error %#v", err)
			}
			return
		}
		for _, m := range fx.Messages {
			if m.Text == "" || m.DedupKey == "" || m.ChannelID != "ch_1" || (m.Email == "") == (m.Phone == "") {
				t.Fatalf("message %+v", m)
			}
		}
		for _, fact := range fx.Facts {
			if !sb.ValidFactKey(fact.Key) {
				t.Fatalf("fact key %q", fact.Key)
			}
			if fact.Key == "order.latest" || topic != TopicProductsUpdate {
				continue
			}
			if fact.Email != "" || fact.Phone != "" || fact.Text == "" {
				t.Fatalf("product fact %+v", fact)
			}
		}
	})
}
