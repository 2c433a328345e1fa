package shopify

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/tmpl"
)

// orderPrefix is what the placeholders of the order_fulfilled message
// start with: the order at hand is the customer's latest, and the
// message reads it as bot responses read that fact
// ({{knowledge.order.latest.tracking_number}}).
const orderPrefix = "knowledge.order.latest"

// orderLookup fills the placeholders of a message about the order f:
// {{knowledge.order.latest}} is its summary, {{knowledge.order.latest.FIELD}}
// a field of its fact ("items.0.title" reaches into lists). A field that
// is empty or absent cannot fill a placeholder, so the message falls back
// to one that needs no such value.
func orderLookup(f *OrderFact) tmpl.Lookup {
	raw, _ := json.Marshal(f)
	var doc any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	_ = dec.Decode(&doc)
	return func(_ context.Context, paths []string) (map[string]string, error) {
		out := make(map[string]string, len(paths))
		for _, p := range paths {
			v, err := orderValue(p, f, doc)
			if err != nil {
				return nil, err
			}
			out[p] = v
		}
		return out, nil
	}
}

func orderValue(path string, f *OrderFact, doc any) (string, error) {
	if path == orderPrefix {
		return f.Text(), nil
	}
	field, ok := strings.CutPrefix(path, orderPrefix+".")
	if !ok {
		return "", sb.Errorf(sb.EInvalid, "The placeholder {{%s}} cannot be filled: this message takes {{%s.FIELD}} only.", path, orderPrefix)
	}
	var s string
	switch v := sb.LookupPath(doc, field).(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	case bool:
		s = strconv.FormatBool(v)
	}
	if s == "" {
		return "", sb.Errorf(sb.EInvalid, "The placeholder {{%s}} cannot be filled: the order has no %s.", path, field)
	}
	return s, nil
}

// checkTemplate refuses an order_fulfilled template that is not well
// formed or has placeholders other than the order's.
func checkTemplate(template string) error {
	const field = "config.messages.order_fulfilled"
	if strings.TrimSpace(template) == "" {
		return sb.Invalid(field, "must not be empty")
	}
	paths, err := tmpl.Placeholders(template)
	if err != nil {
		return sb.Invalid(field, errMessage(err))
	}
	for _, p := range paths {
		if p != orderPrefix && !strings.HasPrefix(p, orderPrefix+".") {
			return sb.Invalid(field, "{{"+p+"}} cannot be filled in this message: it takes the order's fields, {{"+orderPrefix+".FIELD}} (name, number, status, total, currency, tracking_company, tracking_number, tracking_url, order_status_url, …)")
		}
	}
	return nil
}
