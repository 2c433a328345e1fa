package shopify

import (
	"context"
	"encoding/json"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// Run runs lookup_order: the order of that number whose customer has that
// email, its summary as the result, and its fact order.{number} kept for
// the email (so that the bot can speak of it next); an order of another
// customer is not found.
func (p *Provider) Run(ctx context.Context, call *sb.ActionCall) (*sb.ActionResult, error) {
	if call.Action != ActionLookupOrder {
		return nil, &sb.ActionError{Message: "shopify: no action " + call.Action}
	}
	var params struct {
		Number json.RawMessage `json:"number"`
		Email  string          `json:"email"`
	}
	if err := json.Unmarshal(call.Params, &params); err != nil {
		return nil, &sb.ActionError{Message: "shopify: lookup_order: params must be an object with number and email"}
	}
	var number string
	if json.Unmarshal(params.Number, &number) != nil {
		number = string(params.Number) // 1042 given as a number
	}
	if number == "" || params.Email == "" {
		return nil, &sb.ActionError{Message: "shopify: lookup_order: params number and email are required"}
	}
	o, err := p.admin(call.Integration, call.Client, call.Now).FindOrder(ctx, number, params.Email)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"found": false}
	var facts []sb.FactUpsert
	if o != nil {
		f := o.Fact()
		out = map[string]any{"found": true, "text": f.Text(), "order": f}
		if fs := orderFacts(o); len(fs) > 0 {
			facts = fs[:1] // order.{number}, as its webhooks keep it
		}
	}
	b, _ := json.Marshal(out)
	return &sb.ActionResult{Output: b, StatusCode: 200, ResponseHead: sb.ResponseHead(b), Facts: facts}, nil
}

// Register subscribes the integration's webhook URL to the topics
// Switchboard handles, leaving existing subscriptions alone.
func (p *Provider) Register(ctx context.Context, call *sb.RegisterCall) error {
	if call.Integration.Setting("access_token") == "" && call.Integration.Setting("client_id") == "" {
		return sb.Invalid("config.access_token", "is required to register the webhooks through the Admin API (or client_id, for an app of the Dev Dashboard)")
	}
	if _, err := p.admin(call.Integration, call.Client, time.Time{}).EnsureWebhooks(ctx, call.WebhookURL, Topics); err != nil {
		return err
	}
	return nil
}
