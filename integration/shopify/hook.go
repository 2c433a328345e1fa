package shopify

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/tmpl"
)

// VerifyHook checks the webhook's signature and names it by its
// X-Shopify-Webhook-Id and X-Shopify-Topic.
func (*Provider) VerifyHook(in *sb.Integration, h http.Header, body []byte) (*sb.VerifiedHook, error) {
	if err := Verify(in.Setting("webhook_secret"), h, body); err != nil {
		return nil, err
	}
	return &sb.VerifiedHook{DeliveryID: h.Get(HeaderWebhookID), Topic: h.Get(HeaderTopic)}, nil
}

// ProcessHook turns a stored webhook into facts and, for an order that
// is fulfilled, its proactive messages. The effects depend on the body
// and the integration's settings only, so processing a hook twice gives
// the same effects. A topic Switchboard does not handle, and a malformed
// body, are permanent errors: logged, the hook not retried.
func (*Provider) ProcessHook(ctx context.Context, call *sb.HookCall) (*sb.HookEffects, error) {
	switch call.Hook.Topic {
	case TopicOrdersCreate, TopicOrdersUpdated, TopicOrdersFulfilled:
		o, err := ParseOrder(call.Hook.Body)
		if err != nil {
			return nil, &sb.ActionError{Message: "shopify: " + call.Hook.Topic + ": " + errMessage(err)}
		}
		return &sb.HookEffects{Facts: orderFacts(o), Messages: fulfilledMessages(ctx, call.Integration, o)}, nil
	case TopicProductsUpdate:
		p, err := ParseProduct(call.Hook.Body)
		if err != nil {
			return nil, &sb.ActionError{Message: "shopify: " + call.Hook.Topic + ": " + errMessage(err)}
		}
		return &sb.HookEffects{Facts: []sb.FactUpsert{productFact(p)}}, nil
	}
	// Acknowledged (Shopify stops sending it) and ignored; the error
	// has it logged, once, without a retry.
	return nil, &sb.ActionError{Message: "shopify: the topic " + strconv.Quote(call.Hook.Topic) + " is not one Switchboard handles; ignored"}
}

func errMessage(err error) string {
	if e, ok := err.(*sb.Error); ok {
		return e.Message
	}
	return err.Error()
}

// orderFacts are order.{number} and order.latest for the order's
// customer: their email, else their phone. An order with neither (rare:
// a draft made in the admin) keeps no facts, since a workspace fact would
// show one customer's order to everyone.
func orderFacts(o *Order) []sb.FactUpsert {
	f := o.Fact()
	data, _ := json.Marshal(f)
	subject := sb.FactUpsert{Email: o.CustomerEmail()}
	if subject.Email == "" {
		phones := o.Phones()
		if len(phones) == 0 {
			return nil
		}
		subject.Phone = sb.NormalizePhone(phones[0])
	}
	facts := make([]sb.FactUpsert, 0, 2)
	for _, key := range []string{"order." + o.Number(), "order.latest"} {
		fact := subject
		fact.Key, fact.Text, fact.Data, fact.AsOf = key, f.Text(), data, asOf(o.UpdatedAt)
		facts = append(facts, fact)
	}
	return facts
}

// asOf is the time of the state a webhook describes (its resource's
// updated_at), so that a webhook Shopify delivers late (its retries come
// in any order) never replaces the facts of a newer state; nil if absent.
func asOf(updatedAt string) *time.Time {
	t, err := time.Parse(time.RFC3339, updatedAt)
	if err != nil {
		return nil
	}
	return &t
}

// productFact is the workspace fact product.{handle}.
func productFact(p *Product) sb.FactUpsert {
	f := p.Fact()
	data, _ := json.Marshal(f)
	return sb.FactUpsert{Key: "product." + p.Handle, Text: f.Text(), Data: data, AsOf: asOf(p.UpdatedAt)}
}

// fulfilledMessages are the messages telling the customer of a fulfilled
// order that it shipped: to their email and each of their phones on the
// notify channel, under one dedup key per order, so that each contact
// hears it once whatever repeats.
func fulfilledMessages(ctx context.Context, in *sb.Integration, o *Order) []sb.ProactiveMessage {
	channel := in.Setting("notify_channel_id")
	if !o.Fulfilled() || channel == "" {
		return nil
	}
	text := fulfilledText(ctx, in.Object("messages")["order_fulfilled"], o.Fact())
	key := "shopify:order_fulfilled:" + strconv.FormatInt(o.ID, 10)
	var msgs []sb.ProactiveMessage
	if email := o.CustomerEmail(); email != "" {
		msgs = append(msgs, sb.ProactiveMessage{ChannelID: channel, Email: email, Text: text, DedupKey: key})
	}
	for _, p := range o.Phones() {
		msgs = append(msgs, sb.ProactiveMessage{ChannelID: channel, Phone: sb.NormalizePhone(p), Text: text, DedupKey: key})
	}
	return msgs
}

// fulfilledText fills the order_fulfilled template (the default when
// empty) with the order's fields; when a placeholder has no value (no
// tracking URL, or no tracking at all), it is a shorter sentence that
// needs no such value.
func fulfilledText(ctx context.Context, template string, f *OrderFact) string {
	if template == "" {
		template = DefaultOrderFulfilled
	}
	lookup := orderLookup(f)
	for _, t := range []string{template, shippedWithNumber, shippedWithoutTracking} {
		if text, err := tmpl.Render(ctx, t, lookup, nil); err == nil {
			return text
		}
	}
	return "Good news: your order has shipped!"
}
