// Package shopify connects Switchboard to a Shopify shop.
//
// # Inbound
//
// Shopify POSTs one webhook per request to the integration's webhook_url,
// with the topic in X-Shopify-Topic, a delivery id in X-Shopify-Webhook-Id
// (the same when Shopify retries, so repeats are dropped on it) and in
// X-Shopify-Hmac-Sha256 the base64 HMAC-SHA256 of the raw body keyed with
// the webhook_secret (the app's client secret, or the signing key shown
// under Settings › Notifications › Webhooks for webhooks made in the
// admin). VerifyHook compares it in constant time; a request without a
// valid signature stores nothing.
//
// Topics, once stored:
//
//	orders/create      the facts order.{number} and order.latest for the
//	orders/updated     customer's email: a readable summary as text, and
//	orders/fulfilled   the order's number, status, financial and
//	                   fulfillment status, totals, currency, items,
//	                   tracking number and URL, order status URL, times
//	products/update    the workspace fact product.{handle}: title, price
//	                   (the lowest variant's), stock (the variants' sum)
//
// An order that arrives fulfilled (whichever of the orders/* topics says
// so first) also sends every contact of notify_channel_id whose email or
// phone is the order's the message messages.order_fulfilled, once per
// order: a later orders/updated of the same order, a repeat of the
// webhook or a crash in between sends nothing more. Its placeholders are
// those bot responses use for the customer's latest order, filled from
// the order at hand ({{knowledge.order.latest.name}},
// {{knowledge.order.latest.tracking_number}},
// {{knowledge.order.latest.tracking_url}}, …); an order fulfilled without
// a tracking URL or number gets a message that needs none. Any other
// topic is acknowledged and ignored (logged); a malformed body is
// acknowledged and its processing fails once, logged, without retries.
//
// # Outbound
//
// Register subscribes the webhook_url to those four topics through the
// Admin REST API (POST /admin/api/{version}/webhooks.json with the
// X-Shopify-Access-Token header), skipping the subscriptions that exist.
// The token is access_token (an app made in the admin), or for an app of
// the Dev Dashboard one that client_id and its client secret (the
// webhook_secret) get with the client-credentials grant (POST
// /admin/oauth/access_token), kept until it expires and replaced once
// when the API answers 401.
// The action lookup_order finds an order by its number and the customer's
// email (GET orders.json?name=…&status=any) and answers its summary.
package shopify

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/internal/tokencache"
)

// Topics Switchboard subscribes to and handles.
const (
	TopicOrdersCreate    = "orders/create"
	TopicOrdersUpdated   = "orders/updated"
	TopicOrdersFulfilled = "orders/fulfilled"
	TopicProductsUpdate  = "products/update"
)

// Topics lists the subscriptions Register makes.
var Topics = []string{TopicOrdersCreate, TopicOrdersUpdated, TopicOrdersFulfilled, TopicProductsUpdate}

// Action names.
const ActionLookupOrder = "lookup_order"

// DefaultOrderFulfilled is the message sent when an order is fulfilled and
// the integration's messages.order_fulfilled is not set.
const DefaultOrderFulfilled = "Good news: your order {{knowledge.order.latest.name}} has shipped! Tracking number {{knowledge.order.latest.tracking_number}}, follow it here: {{knowledge.order.latest.tracking_url}}"

// The messages of an order fulfilled without the tracking URL or number
// that the template asks for.
const (
	shippedWithNumber      = "Good news: your order {{knowledge.order.latest.name}} has shipped! Tracking number {{knowledge.order.latest.tracking_number}}."
	shippedWithoutTracking = "Good news: your order {{knowledge.order.latest.name}} has shipped!"
)

// Provider is the shopify integration type. It keeps the Admin API tokens
// granted to the integrations that use an app's client credentials; it is
// safe for concurrent use.
type Provider struct {
	tokens tokencache.Cache[struct{}]
}

var (
	_ sb.IntegrationProvider = (*Provider)(nil)
	_ sb.HookHandler         = (*Provider)(nil)
	_ sb.HookRegistrar       = (*Provider)(nil)
)

// New returns the shopify provider.
func New() *Provider { return &Provider{} }

// Spec describes the shopify type.
func (*Provider) Spec() *sb.IntegrationSpec { return spec }

var spec = &sb.IntegrationSpec{
	Type:        sb.IntegrationShopify,
	Description: "A Shopify shop: orders and products become knowledge, fulfilled orders a message with their tracking number; orders can be looked up.",
	Fields: []sb.IntegrationField{
		{Name: "shop_domain", Required: true, Description: "The shop's myshopify.com domain, such as hoodies-and-co.myshopify.com."},
		{Name: "webhook_secret", Secret: true, Required: true, Description: "The key Shopify signs webhooks with: the app's client secret, or the key shown under Settings › Notifications › Webhooks."},
		{Name: "access_token", Secret: true, Description: "An Admin API access token (shpat_…) with read_orders and read_products, for register and lookup_order."},
		{Name: "client_id", Description: "Instead of access_token: the client ID of an app of the Dev Dashboard installed on the shop, whose client secret is the webhook_secret; Switchboard gets Admin API tokens with the client-credentials grant."},
		{Name: "notify_channel_id", Description: "The channel (ch_…) whose contacts with the order's email or phone are told when their order ships."},
		{Name: "messages", Kind: sb.FieldObject, Keys: []string{"order_fulfilled"}, Description: "Message templates. order_fulfilled: sent when an order ships; its placeholders are the order's fields, as bot responses read them: {{knowledge.order.latest.name}}, {{knowledge.order.latest.tracking_number}}, {{knowledge.order.latest.tracking_url}}, {{knowledge.order.latest.tracking_company}}, {{knowledge.order.latest.order_status_url}}, {{knowledge.order.latest.total}}, {{knowledge.order.latest.currency}}, …"},
	},
	Actions: []sb.ActionSpec{{
		Name:        ActionLookupOrder,
		Description: "Finds an order by its number and the customer's email (both must match) and answers its summary.",
		Params: json.RawMessage(`{"type":"object","additionalProperties":false,"required":["number","email"],"properties":{` +
			`"number":{"type":"string","description":"The order number, such as 1042 or #1042."},` +
			`"email":{"type":"string","description":"The customer's email; an order of another customer is not found."}}}`),
	}},
	Inbound:      true,
	Check:        checkConfig,
	OutboundURLs: shopURL,
}

// checkConfig refuses a shop_domain that is not a host name, a
// notify_channel_id that is not a channel id and an order_fulfilled
// template with placeholders it cannot fill.
func checkConfig(config map[string]any, _ map[string]string) error {
	d, _ := config["shop_domain"].(string)
	if d == "" || strings.ContainsAny(d, "/:?#@ ") {
		return sb.Invalid("config.shop_domain", "must be the shop's domain, such as hoodies-and-co.myshopify.com")
	}
	if ch, ok := config["notify_channel_id"].(string); ok && !sb.HasPrefix(ch, sb.PrefixChannel) {
		return sb.Invalid("config.notify_channel_id", "must be a channel id (ch_…)")
	}
	if m, ok := config["messages"].(map[string]any); ok {
		if t, ok := m["order_fulfilled"].(string); ok {
			return checkTemplate(t)
		}
	}
	return nil
}

// shopURL is the Admin API's origin the shop_domain makes Switchboard
// call, for the address policy.
func shopURL(config map[string]any, _ map[string]string) map[string]string {
	if _, ok := config["api_base_url"].(string); ok {
		return nil
	}
	if d, _ := config["shop_domain"].(string); d != "" {
		return map[string]string{"config.shop_domain": "https://" + d}
	}
	return nil
}

// admin is the Admin API of the integration's shop, called with client,
// with the static access_token or a token granted for client_id (whose
// expiry is judged at now; zero: when the API refuses it).
func (p *Provider) admin(in *sb.Integration, client *http.Client, now time.Time) *Admin {
	base := in.APIBaseURL("https://" + strings.TrimSuffix(in.Setting("shop_domain"), "/"))
	return &Admin{Client: client, BaseURL: base, Refresh: p.source(in, client, base, now)}
}
