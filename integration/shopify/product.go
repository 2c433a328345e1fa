package shopify

import (
	"fmt"
	"strconv"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// Product is the part of Shopify's Product resource (the body of the
// products/update webhook) that Switchboard keeps.
type Product struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Handle    string    `json:"handle"`
	Status    string    `json:"status"` // active, archived, draft
	Vendor    string    `json:"vendor"`
	UpdatedAt string    `json:"updated_at"`
	Variants  []Variant `json:"variants"`
}

// Variant is one purchasable version of a product.
type Variant struct {
	ID                int64  `json:"id"`
	Title             string `json:"title"`
	SKU               string `json:"sku"`
	Price             string `json:"price"`
	InventoryQuantity int    `json:"inventory_quantity"`
}

// ParseProduct decodes the body of a products/update webhook. A body
// that is not a product (not JSON, no id or handle) is an
// invalid_request error.
func ParseProduct(body []byte) (*Product, error) {
	var p Product
	if err := decodeOne(body, &p); err != nil {
		return nil, sb.Errorf(sb.EInvalid, "the product is malformed: %v", err)
	}
	if p.ID == 0 || p.Handle == "" {
		return nil, sb.Errorf(sb.EInvalid, "the product is malformed: it has no id or handle")
	}
	if !sb.ValidFactKey("product." + p.Handle) {
		return nil, sb.Errorf(sb.EInvalid, "the product's handle %q cannot name a fact (letters, digits, -, _ and :)", p.Handle)
	}
	return &p, nil
}

// VariantFact is one variant in a product's fact.
type VariantFact struct {
	Title string `json:"title"`
	SKU   string `json:"sku,omitempty"`
	Price string `json:"price"`
	Stock int    `json:"stock"`
}

// ProductFact is the data of a product.{handle} fact: its title, its
// price (the lowest of its variants'), its stock (the sum of its
// variants') and its variants.
type ProductFact struct {
	Handle    string        `json:"handle"`
	Title     string        `json:"title"`
	Price     string        `json:"price"`
	Stock     int           `json:"stock"`
	Status    string        `json:"status"`
	Variants  []VariantFact `json:"variants"`
	UpdatedAt string        `json:"updated_at"`
}

// Fact is what Switchboard keeps of the product.
func (p *Product) Fact() *ProductFact {
	f := &ProductFact{Handle: p.Handle, Title: p.Title, Status: p.Status, UpdatedAt: p.UpdatedAt,
		Variants: make([]VariantFact, 0, len(p.Variants))}
	lowest := -1.0
	for _, v := range p.Variants {
		f.Variants = append(f.Variants, VariantFact{Title: v.Title, SKU: v.SKU, Price: v.Price, Stock: v.InventoryQuantity})
		f.Stock += max(v.InventoryQuantity, 0)
		if price, err := strconv.ParseFloat(v.Price, 64); err == nil && (lowest < 0 || price < lowest) {
			lowest, f.Price = price, v.Price
		}
	}
	return f
}

// Text is a readable summary: "Merino Hoodie: from 59.00, 7 in stock
// (Forest / M 7, Forest / L 0)".
func (f *ProductFact) Text() string {
	var b strings.Builder
	b.WriteString(f.Title)
	if f.Price != "" {
		if len(f.Variants) > 1 {
			b.WriteString(": from " + f.Price)
		} else {
			b.WriteString(": " + f.Price)
		}
	}
	if f.Stock > 0 {
		fmt.Fprintf(&b, ", %d in stock", f.Stock)
	} else {
		b.WriteString(", out of stock")
	}
	if len(f.Variants) > 1 {
		parts := make([]string, len(f.Variants))
		for i, v := range f.Variants {
			parts[i] = fmt.Sprintf("%s %d", v.Title, v.Stock)
		}
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	if f.Status != "" && f.Status != "active" {
		b.WriteString(" [" + f.Status + "]")
	}
	return b.String()
}
