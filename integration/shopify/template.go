package shopify

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// placeholder matches {{order.field}}, spaces allowed inside the braces.
var placeholder = regexp.MustCompile(`\{\{\s*([a-zA-Z0-9_.]+)\s*\}\}`)

// orderVars are the values of the {{order.*}} placeholders of a message
// template.
func orderVars(f *OrderFact) map[string]string {
	return map[string]string{
		"order.name":               f.Name,
		"order.number":             strconv.FormatInt(f.Number, 10),
		"order.email":              f.Email,
		"order.status":             f.Status,
		"order.financial_status":   f.FinancialStatus,
		"order.fulfillment_status": f.FulfillmentStatus,
		"order.total":              f.Total,
		"order.currency":           f.Currency,
		"order.tracking_company":   f.TrackingCompany,
		"order.tracking_number":    f.TrackingNumber,
		"order.tracking_url":       f.TrackingURL,
		"order.order_status_url":   f.OrderStatusURL,
	}
}

// render fills the placeholders of template from vars; a placeholder
// that is unknown or has no value is an error.
func render(template string, vars map[string]string) (string, error) {
	var missing string
	out := placeholder.ReplaceAllStringFunc(template, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v := vars[name]
		if v == "" && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("{{%s}} has no value", missing)
	}
	return out, nil
}

// checkTemplate refuses an order_fulfilled template naming a placeholder
// that is not an order field.
func checkTemplate(template string) error {
	known := orderVars(&OrderFact{})
	for _, m := range placeholder.FindAllStringSubmatch(template, -1) {
		if _, ok := known[m[1]]; !ok {
			names := make([]string, 0, len(known))
			for k := range known {
				names = append(names, "{{"+k+"}}")
			}
			return sb.Invalid("config.messages.order_fulfilled", "{{"+m[1]+"}} is not a placeholder of this message; it takes "+strings.Join(slices.Sorted(slices.Values(names)), ", "))
		}
	}
	if strings.TrimSpace(template) == "" {
		return sb.Invalid("config.messages.order_fulfilled", "must not be empty")
	}
	return nil
}
