package shopify

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/shopify/shopifytest"
)

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSignatureVector: the signature computed outside Go (testdata) is
// the one Sign makes and Verify accepts.
func TestSignatureVector(t *testing.T) {
	var v struct {
		Secret   string `json:"webhook_secret"`
		BodyFile string `json:"body_file"`
		Sig      string `json:"x_shopify_hmac_sha256"`
	}
	if err := json.Unmarshal(readFile(t, "signature_vector.json"), &v); err != nil {
		t.Fatal(err)
	}
	body := readFile(t, v.BodyFile)
	if got := Sign(v.Secret, body); got != v.Sig {
		t.Fatalf("Sign = %s, want %s", got, v.Sig)
	}
	if got := shopifytest.Sign(v.Secret, body); got != v.Sig {
		t.Fatalf("shopifytest.Sign = %s, want %s", got, v.Sig)
	}
	if err := Verify(v.Secret, http.Header{HeaderHmac: {v.Sig}}, body); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	body := readFile(t, "webhooks/orders_create.json")
	good := Sign("s3cret", body)
	tampered := append([]byte{}, body...)
	tampered[10] ^= 1
	for name, tc := range map[string]struct {
		secret, sig string
		body        []byte
	}{
		"no header":        {"s3cret", "", body},
		"not base64":       {"s3cret", "@@@", body},
		"other secret":     {"other", good, body},
		"tampered body":    {"s3cret", good, tampered},
		"no secret":        {"", good, body},
		"hex, not base64":  {"s3cret", "6a1f", body},
		"truncated digest": {"s3cret", good[:20], body},
	} {
		err := Verify(tc.secret, http.Header{HeaderHmac: {tc.sig}}, tc.body)
		if sb.ErrorCode(err) != sb.EUnauthorized {
			t.Errorf("%s: Verify = %v, want unauthorized", name, err)
		}
	}
	if err := Verify("s3cret", http.Header{HeaderHmac: {good}}, body); err != nil {
		t.Fatalf("good signature refused: %v", err)
	}
}

func TestOrderFact(t *testing.T) {
	o, err := ParseOrder(readFile(t, "webhooks/orders_fulfilled.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := o.Fact()
	want := OrderFact{Number: 1042, Name: "#1042", Email: "maria.lopez@example.org", Status: "fulfilled",
		FinancialStatus: "paid", FulfillmentStatus: "fulfilled", Total: "89.90", Subtotal: "84.00", Tax: "15.00",
		Shipping: "5.90", Discounts: "0.00", Currency: "EUR", TrackingCompany: "DHL Express",
		TrackingNumber: "JD014600006281230704",
		TrackingURL:    "https://www.dhl.com/es-en/home/tracking/tracking-express.html?submit=1&tracking-id=JD014600006281230704",
		OrderStatusURL: "https://hoodies-and-co.myshopify.com/69230821459/orders/0c5f1ad8e64b4a2b9a8e2e8d3f7c1b20/authenticate?key=8e9d2c41f0a3b5d6",
		CreatedAt:      "2026-11-28T09:14:03+01:00", UpdatedAt: "2026-11-30T16:02:41+01:00"}
	items := f.Items
	f.Items = nil
	if !reflect.DeepEqual(*f, want) {
		t.Errorf("fact =\n%+v\nwant\n%+v", *f, want)
	}
	if len(items) != 2 || items[0] != (OrderItem{Title: "Merino Hoodie", Variant: "Forest / M", SKU: "HOOD-MER-FOR-M", Quantity: 1, Price: "59.00"}) {
		t.Errorf("items = %+v", items)
	}
	f.Items = items
	text := f.Text()
	for _, part := range []string{"#1042", "2 items", "89.90 EUR", "paid", "fulfilled", "DHL Express", "JD014600006281230704", "https://www.dhl.com/"} {
		if !strings.Contains(text, part) {
			t.Errorf("text %q lacks %q", text, part)
		}
	}
	if !o.Fulfilled() {
		t.Error("Fulfilled() = false")
	}
	if got := o.Phones(); !slices.Equal(got, []string{"+34612345678"}) {
		t.Errorf("Phones = %q (the addresses' spaced form is the same number)", got)
	}
}

func TestOrderCreatedIsOpenWithoutTracking(t *testing.T) {
	o, err := ParseOrder(readFile(t, "webhooks/orders_create.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := o.Fact()
	if f.Status != "open" || f.FulfillmentStatus != "unfulfilled" || f.TrackingNumber != "" || o.Fulfilled() {
		t.Fatalf("fact = %+v", f)
	}
	if strings.Contains(f.Text(), "tracking") {
		t.Errorf("text %q mentions tracking", f.Text())
	}
}

func TestOrderStatusAndTracking(t *testing.T) {
	for _, tc := range []struct {
		json   string
		status string
		number string
	}{
		{`{"id":1,"order_number":1,"cancelled_at":"2026-01-01T00:00:00Z","fulfillment_status":"fulfilled"}`, "cancelled", ""},
		{`{"id":1,"order_number":1,"fulfillment_status":"partial","fulfillments":[{"status":"success","tracking_numbers":["A1"]},{"status":"cancelled","tracking_number":"B2"}]}`, "partially_fulfilled", "A1"},
		{`{"id":1,"order_number":1,"closed_at":"2026-01-01T00:00:00Z"}`, "closed", ""},
		{`{"id":1,"order_number":1,"fulfillment_status":null,"fulfillments":[{"status":"success","tracking_number":null}]}`, "open", ""},
	} {
		o, err := ParseOrder([]byte(tc.json))
		if err != nil {
			t.Fatal(err)
		}
		if _, n, _ := o.Tracking(); o.Status() != tc.status || n != tc.number {
			t.Errorf("%s: status %q tracking %q, want %q %q", tc.json, o.Status(), n, tc.status, tc.number)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	for _, body := range []string{``, `{`, `[]`, `{"id":"x"}`, `{"id":1}`, `{"order_number":5}`, `{"id":1,"order_number":2} {}`} {
		if _, err := ParseOrder([]byte(body)); sb.ErrorCode(err) != sb.EInvalid {
			t.Errorf("ParseOrder(%q) = %v, want invalid", body, err)
		}
	}
	for _, body := range []string{``, `null`, `{"id":1}`, `{"handle":"x"}`, `{"id":1,"handle":"x","variants":{}}`, `{"id":1,"handle":"blue shirt"}`} {
		if _, err := ParseProduct([]byte(body)); sb.ErrorCode(err) != sb.EInvalid {
			t.Errorf("ParseProduct(%q) = %v, want invalid", body, err)
		}
	}
}

func TestProductFact(t *testing.T) {
	p, err := ParseProduct(readFile(t, "webhooks/products_update.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := p.Fact()
	if f.Handle != "merino-hoodie" || f.Title != "Merino Hoodie" || f.Price != "59.00" || f.Stock != 7 || len(f.Variants) != 2 || f.Variants[1].Stock != 0 {
		t.Fatalf("fact = %+v", f)
	}
	if got, want := f.Text(), "Merino Hoodie: from 59.00, 7 in stock (Forest / M 7, Forest / L 0)"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	// Overselling leaves a negative quantity: it counts as none.
	p.Variants[0].InventoryQuantity = -2
	if f := p.Fact(); f.Stock != 0 || !strings.Contains(f.Text(), "out of stock") {
		t.Errorf("oversold fact = %+v %q", f, f.Text())
	}
}

func TestEnsureWebhooksPagesAndIsIdempotent(t *testing.T) {
	shop := shopifytest.NewServer("shpat_token")
	defer shop.Close()
	shop.PageSize = 2
	shop.AddWebhook("app/uninstalled", "https://elsewhere.example/hook")
	shop.AddWebhook("customers/create", "https://elsewhere.example/hook")
	shop.AddWebhook("orders/create", "https://sb.example/hooks/integrations/int_1") // on page 2
	a := &Admin{Client: http.DefaultClient, BaseURL: shop.URL, Token: "shpat_token"}
	topics := []string{"orders/create", "orders/updated", "orders/fulfilled", "products/update"}
	created, err := a.EnsureWebhooks(context.Background(), "https://sb.example/hooks/integrations/int_1", topics)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(created, topics[1:]) {
		t.Fatalf("created %q, want %q (orders/create was on the second page)", created, topics[1:])
	}
	if pages := len(shop.Calls("webhooks.json")) - 3; pages != 2 {
		t.Errorf("listed %d pages, want 2", pages)
	}
	for _, c := range shop.Calls("") {
		if c.Token != "shpat_token" || !strings.HasPrefix(c.Path, "/admin/api/"+APIVersion+"/") {
			t.Errorf("call %s %s with token %q", c.Method, c.Path, c.Token)
		}
	}
	created, err = a.EnsureWebhooks(context.Background(), "https://sb.example/hooks/integrations/int_1", topics)
	if err != nil || len(created) != 0 {
		t.Fatalf("second EnsureWebhooks = %q, %v; want nothing made", created, err)
	}
	for _, topic := range topics {
		if n := len(shop.Subscriptions()[topic]); n != 1 {
			t.Errorf("%s: %d subscriptions", topic, n)
		}
	}
}

// TestEnsureWebhooksTakenCountsAsMade: a subscription made by someone
// else between the list and the create is answered 422 "already been
// taken", which is success.
func TestEnsureWebhooksTakenCountsAsMade(t *testing.T) {
	shop := shopifytest.NewServer("tok")
	defer shop.Close()
	shop.AddWebhook("orders/create", "https://sb.example/h")
	a := &Admin{Client: http.DefaultClient, BaseURL: shop.URL, Token: "tok"}
	// The list answers empty (as if the subscription came later).
	shop.FailNext(1, shopifytest.Reply{Status: 200, Body: `{"webhooks":[]}`})
	created, err := a.EnsureWebhooks(context.Background(), "https://sb.example/h", []string{"orders/create"})
	if err != nil || len(created) != 0 {
		t.Fatalf("EnsureWebhooks = %q, %v", created, err)
	}
}

func TestAdminErrors(t *testing.T) {
	shop := shopifytest.NewServer("tok")
	defer shop.Close()
	ctx := context.Background()
	a := &Admin{Client: http.DefaultClient, BaseURL: shop.URL, Token: "wrong"}
	_, e := a.EnsureWebhooks(ctx, "https://sb.example/h", []string{"orders/create"})
	if e == nil || !e.CredentialsRefused || e.Retryable || e.StatusCode != 401 || !strings.Contains(e.Message, "Invalid API key or access token") {
		t.Fatalf("wrong token: %#v", e)
	}
	a.Token = "tok"
	shop.FailNext(1, shopifytest.Error429)
	_, e = a.FindOrder(ctx, "1042", "x@example.org")
	if e == nil || !e.Retryable || e.RetryAfter != 2*time.Second || e.CredentialsRefused || !strings.Contains(e.Response, "Exceeded 2 calls per second") {
		t.Fatalf("429: %#v", e)
	}
	shop.FailNext(1, shopifytest.Error503)
	_, e = a.FindOrder(ctx, "1042", "x@example.org")
	if e == nil || !e.Retryable || e.StatusCode != 503 {
		t.Fatalf("503: %#v", e)
	}
	shop.FailNext(1, shopifytest.Reply{Status: 422, Body: `{"errors":{"topic":["can't be blank"],"address":["is invalid"]}}`})
	_, e = a.EnsureWebhooks(ctx, "https://sb.example/h", nil)
	if e == nil || e.Retryable || e.CredentialsRefused || e.Message != "shopify: list webhooks: address is invalid; topic can't be blank" {
		t.Fatalf("422: %#v", e)
	}
	shop.FailNext(1, shopifytest.Reply{Status: 200, Body: `<html>maintenance</html>`})
	_, e = a.FindOrder(ctx, "1042", "x@example.org")
	if e == nil || e.Retryable || !strings.Contains(e.Message, "not the JSON expected") {
		t.Fatalf("HTML answer: %#v", e)
	}
	shop.Close()
	_, e = a.FindOrder(ctx, "1042", "x@example.org")
	if e == nil || !e.Retryable || strings.Contains(e.Message, shop.URL) {
		t.Fatalf("closed shop: %#v", e)
	}
}

func TestFindOrderChecksTheEmail(t *testing.T) {
	shop := shopifytest.NewServer("tok")
	defer shop.Close()
	shop.AddOrder(readFile(t, "webhooks/orders_fulfilled.json"))
	a := &Admin{Client: http.DefaultClient, BaseURL: shop.URL, Token: "tok"}
	ctx := context.Background()
	for _, number := range []string{"1042", "#1042", " 1042 "} {
		o, err := a.FindOrder(ctx, number, "Maria.Lopez@Example.org")
		if err != nil || o == nil || o.OrderNumber != 1042 {
			t.Fatalf("FindOrder(%q) = %v, %v", number, o, err)
		}
	}
	calls := shop.Calls("orders.json")
	if q := calls[0].Query; q.Get("name") != "1042" || q.Get("status") != "any" {
		t.Errorf("query = %v", q)
	}
	for _, email := range []string{"someone.else@example.org", ""} {
		if o, err := a.FindOrder(ctx, "1042", email); err != nil || o != nil {
			t.Errorf("FindOrder with email %q = %v, %v; want not found", email, o, err)
		}
	}
	if o, err := a.FindOrder(ctx, "1043", "maria.lopez@example.org"); err != nil || o != nil {
		t.Errorf("FindOrder of another number = %v, %v", o, err)
	}
}
