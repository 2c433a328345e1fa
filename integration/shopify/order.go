package shopify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// Order is the part of Shopify's Order resource (the body of the orders/*
// webhooks and of orders.json) that Switchboard keeps.
type Order struct {
	ID                int64         `json:"id"`
	Name              string        `json:"name"`         // "#1042", with the shop's prefix and suffix
	OrderNumber       int64         `json:"order_number"` // 1042
	Email             string        `json:"email"`
	ContactEmail      string        `json:"contact_email"`
	Phone             string        `json:"phone"`
	Customer          *Customer     `json:"customer"`
	FinancialStatus   string        `json:"financial_status"`
	FulfillmentStatus string        `json:"fulfillment_status"` // null, "partial", "fulfilled", "restocked"
	Currency          string        `json:"currency"`
	TotalPrice        string        `json:"total_price"`
	CurrentTotalPrice string        `json:"current_total_price"`
	SubtotalPrice     string        `json:"subtotal_price"`
	TotalTax          string        `json:"total_tax"`
	TotalDiscounts    string        `json:"total_discounts"`
	TotalShipping     *MoneySet     `json:"total_shipping_price_set"`
	OrderStatusURL    string        `json:"order_status_url"`
	CancelledAt       string        `json:"cancelled_at"`
	ClosedAt          string        `json:"closed_at"`
	CreatedAt         string        `json:"created_at"`
	UpdatedAt         string        `json:"updated_at"`
	LineItems         []LineItem    `json:"line_items"`
	Fulfillments      []Fulfillment `json:"fulfillments"`
	ShippingAddress   *Address      `json:"shipping_address"`
	BillingAddress    *Address      `json:"billing_address"`
}

// Customer is an order's customer.
type Customer struct {
	ID        int64  `json:"id"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// Address is a shipping or billing address (only its phone is used).
type Address struct {
	Phone string `json:"phone"`
	Name  string `json:"name"`
}

// MoneySet is an amount in the shop's currency and the customer's.
type MoneySet struct {
	ShopMoney struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currency_code"`
	} `json:"shop_money"`
}

// LineItem is one line of an order.
type LineItem struct {
	Title             string `json:"title"`
	Name              string `json:"name"`
	VariantTitle      string `json:"variant_title"`
	SKU               string `json:"sku"`
	Quantity          int    `json:"quantity"`
	Price             string `json:"price"`
	FulfillmentStatus string `json:"fulfillment_status"`
}

// Fulfillment is one shipment of an order, with its tracking.
type Fulfillment struct {
	ID              int64    `json:"id"`
	Status          string   `json:"status"` // pending, open, success, cancelled, error, failure
	TrackingCompany string   `json:"tracking_company"`
	TrackingNumber  string   `json:"tracking_number"`
	TrackingNumbers []string `json:"tracking_numbers"`
	TrackingURL     string   `json:"tracking_url"`
	TrackingURLs    []string `json:"tracking_urls"`
	ShipmentStatus  string   `json:"shipment_status"`
	CreatedAt       string   `json:"created_at"`
}

// ParseOrder decodes the body of an orders/* webhook. A body that is not
// an order (not JSON, no id or number) is an invalid_request error.
func ParseOrder(body []byte) (*Order, error) {
	var o Order
	if err := decodeOne(body, &o); err != nil {
		return nil, sb.Errorf(sb.EInvalid, "the order is malformed: %v", err)
	}
	if o.ID == 0 || o.OrderNumber == 0 {
		return nil, sb.Errorf(sb.EInvalid, "the order is malformed: it has no id or order_number")
	}
	return &o, nil
}

// decodeOne decodes one JSON value. Nulls leave fields empty and fields
// Switchboard does not know are skipped, as Shopify sends both.
func decodeOne(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// CustomerEmail is the address the order's facts are kept for: the
// order's email, else its contact_email, else its customer's, in lower
// case.
func (o *Order) CustomerEmail() string {
	for _, e := range []string{o.Email, o.ContactEmail, o.customerField(func(c *Customer) string { return c.Email })} {
		if e = sb.NormalizeEmail(e); e != "" {
			return e
		}
	}
	return ""
}

// Phones are the phone numbers the order gives for its customer, in the
// order of trust (the order's, the customer's, the shipping address's, the
// billing address's), without repeats.
func (o *Order) Phones() []string {
	var out []string
	add := func(p string) {
		if p = strings.TrimSpace(p); p != "" && !containsPhone(out, p) {
			out = append(out, p)
		}
	}
	add(o.Phone)
	add(o.customerField(func(c *Customer) string { return c.Phone }))
	if o.ShippingAddress != nil {
		add(o.ShippingAddress.Phone)
	}
	if o.BillingAddress != nil {
		add(o.BillingAddress.Phone)
	}
	return out
}

func containsPhone(list []string, p string) bool {
	for _, q := range list {
		if sb.NormalizePhone(q) == sb.NormalizePhone(p) {
			return true
		}
	}
	return false
}

func (o *Order) customerField(f func(*Customer) string) string {
	if o.Customer == nil {
		return ""
	}
	return f(o.Customer)
}

// Fulfilled reports whether every item of the order has shipped.
func (o *Order) Fulfilled() bool { return o.FulfillmentStatus == "fulfilled" }

// Status is one word for where the order stands: cancelled, fulfilled,
// partially_fulfilled, closed or open.
func (o *Order) Status() string {
	switch {
	case o.CancelledAt != "":
		return "cancelled"
	case o.FulfillmentStatus == "fulfilled":
		return "fulfilled"
	case o.FulfillmentStatus == "partial":
		return "partially_fulfilled"
	case o.ClosedAt != "":
		return "closed"
	}
	return "open"
}

// Tracking is the newest shipment that carries a tracking number (a
// fulfillment not cancelled), or the zero value.
func (o *Order) Tracking() (company, number, url string) {
	for i := len(o.Fulfillments) - 1; i >= 0; i-- {
		f := o.Fulfillments[i]
		if f.Status == "cancelled" || f.Status == "error" || f.Status == "failure" {
			continue
		}
		number = first(f.TrackingNumber, f.TrackingNumbers)
		if number == "" {
			continue
		}
		return f.TrackingCompany, number, first(f.TrackingURL, f.TrackingURLs)
	}
	return "", "", ""
}

func first(s string, list []string) string {
	if s != "" {
		return s
	}
	for _, v := range list {
		if v != "" {
			return v
		}
	}
	return ""
}

// Total is the order's current total (after edits and refunds), else its
// total at checkout.
func (o *Order) Total() string {
	if o.CurrentTotalPrice != "" {
		return o.CurrentTotalPrice
	}
	return o.TotalPrice
}

// Number is the order's number as a fact key part: "1042".
func (o *Order) Number() string { return strconv.FormatInt(o.OrderNumber, 10) }

// OrderItem is one line of an order's fact.
type OrderItem struct {
	Title    string `json:"title"`
	Variant  string `json:"variant,omitempty"`
	SKU      string `json:"sku,omitempty"`
	Quantity int    `json:"quantity"`
	Price    string `json:"price"`
}

// OrderFact is the data of the order.{number} and order.latest facts, and
// what lookup_order answers. Templates reach its fields as
// {{knowledge.order.latest.tracking_number}}.
type OrderFact struct {
	Number            int64       `json:"number"`
	Name              string      `json:"name"`
	Email             string      `json:"email"`
	Status            string      `json:"status"`
	FinancialStatus   string      `json:"financial_status"`
	FulfillmentStatus string      `json:"fulfillment_status"`
	Total             string      `json:"total"`
	Subtotal          string      `json:"subtotal"`
	Tax               string      `json:"tax"`
	Shipping          string      `json:"shipping"`
	Discounts         string      `json:"discounts"`
	Currency          string      `json:"currency"`
	Items             []OrderItem `json:"items"`
	TrackingCompany   string      `json:"tracking_company"`
	TrackingNumber    string      `json:"tracking_number"`
	TrackingURL       string      `json:"tracking_url"`
	OrderStatusURL    string      `json:"order_status_url"`
	CreatedAt         string      `json:"created_at"`
	UpdatedAt         string      `json:"updated_at"`
}

// Fact is what Switchboard keeps of the order.
func (o *Order) Fact() *OrderFact {
	f := &OrderFact{
		Number:            o.OrderNumber,
		Name:              o.Name,
		Email:             o.CustomerEmail(),
		Status:            o.Status(),
		FinancialStatus:   o.FinancialStatus,
		FulfillmentStatus: o.FulfillmentStatus,
		Total:             o.Total(),
		Subtotal:          o.SubtotalPrice,
		Tax:               o.TotalTax,
		Discounts:         o.TotalDiscounts,
		Currency:          o.Currency,
		Items:             make([]OrderItem, 0, len(o.LineItems)),
		OrderStatusURL:    o.OrderStatusURL,
		CreatedAt:         o.CreatedAt,
		UpdatedAt:         o.UpdatedAt,
	}
	if f.FulfillmentStatus == "" {
		f.FulfillmentStatus = "unfulfilled"
	}
	if o.TotalShipping != nil {
		f.Shipping = o.TotalShipping.ShopMoney.Amount
	}
	for _, li := range o.LineItems {
		f.Items = append(f.Items, OrderItem{Title: li.Title, Variant: li.VariantTitle, SKU: li.SKU, Quantity: li.Quantity, Price: li.Price})
	}
	f.TrackingCompany, f.TrackingNumber, f.TrackingURL = o.Tracking()
	return f
}

// Text is a readable summary of the order for people and bots: "Order
// #1042: 2 items, 89.90 EUR, paid, fulfilled. Shipped with DHL Express,
// tracking number JD014600006281230704: https://…".
func (f *OrderFact) Text() string {
	var b strings.Builder
	name := f.Name
	if name == "" {
		name = "#" + strconv.FormatInt(f.Number, 10)
	}
	items := 0
	for _, it := range f.Items {
		items += it.Quantity
	}
	fmt.Fprintf(&b, "Order %s: %d item%s", name, items, plural(items))
	if f.Total != "" {
		fmt.Fprintf(&b, ", %s %s", f.Total, f.Currency)
	}
	if f.FinancialStatus != "" {
		b.WriteString(", " + strings.ReplaceAll(f.FinancialStatus, "_", " "))
	}
	b.WriteString(", " + strings.ReplaceAll(f.Status, "_", " ") + ".")
	if f.TrackingNumber != "" {
		b.WriteString(" Shipped")
		if f.TrackingCompany != "" {
			b.WriteString(" with " + f.TrackingCompany)
		}
		b.WriteString(", tracking number " + f.TrackingNumber)
		if f.TrackingURL != "" {
			b.WriteString(": " + f.TrackingURL)
		}
		b.WriteString(".")
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
