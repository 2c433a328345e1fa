package api

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboardhq/switchboard"
)

func init() {
	for key, scope := range map[string]string{
		"GET /api/v1/knowledge":         switchboard.ScopeReadKnowledge,
		"POST /api/v1/knowledge":        switchboard.ScopeWriteKnowledge,
		"GET /api/v1/knowledge/{id}":    switchboard.ScopeReadKnowledge,
		"DELETE /api/v1/knowledge/{id}": switchboard.ScopeWriteKnowledge,
	} {
		operations[key] = scope
	}
}

// TestFactSchemas checks the knowledge schemas against facts as the root
// package marshals them, and request bodies the server accepts or refuses.
func TestFactSchemas(t *testing.T) {
	doc := loadDocument(t)
	now := time.Date(2026, 1, 15, 10, 30, 0, 123e6, time.UTC)
	later := now.Add(time.Hour)
	ws := switchboard.NewID(switchboard.PrefixWorkspace)
	facts := []*switchboard.Fact{
		{Key: "order.latest", Email: "ada@example.com", Text: "Shipped", Data: json.RawMessage(`{"status":"shipped","items":[{"sku":"A"}]}`),
			Source: switchboard.FactSourceAPI, ExpiresAt: &later},
		{Key: "hours", Text: "9-5", Source: "int_01JHF3Q8R5ZK7M2W9XN4T6B0CD"},
		{Key: "vip", ContactID: switchboard.NewID(switchboard.PrefixContact), Data: json.RawMessage(`{"tier":"gold"}`), Source: "api"},
		{Key: "sms:opt-in", Phone: "+447700900123", Text: "yes", Source: "api"},
	}
	for _, f := range facts {
		f.ID, f.WorkspaceID, f.CreatedAt, f.UpdatedAt = switchboard.NewID(switchboard.PrefixFact), ws, now, later
		validate(t, doc, "Fact", f)
	}
	validate(t, doc, "FactList", map[string]any{"data": facts, "next_cursor": nil})

	re := regexp.MustCompile(doc.Components.Schemas["FactID"].Value.Pattern)
	for range 20 {
		if id := switchboard.NewID(switchboard.PrefixFact); !re.MatchString(id) {
			t.Fatalf("FactID pattern refuses %s", id)
		}
	}
	key := regexp.MustCompile(doc.Components.Schemas["FactKey"].Value.Pattern)
	for k, want := range map[string]bool{"order.latest": true, "a": true, "product.blue-shirt": true, "x:y_z": true,
		"": false, ".a": false, "a.": false, "a..b": false, "a b": false, "é": false} {
		if got := key.MatchString(k); got != want || got != switchboard.ValidFactKey(k) {
			t.Errorf("key %q: pattern %v, ValidFactKey %v, want %v", k, got, switchboard.ValidFactKey(k), want)
		}
	}

	cases := []struct {
		body string
		ok   bool
	}{
		{`{"key":"hours","text":"9-5"}`, true},
		{`{"key":"order.latest","email":"ada@example.com","data":{"status":"shipped"},"expires_at":"2026-02-15T10:30:00Z"}`, true},
		{`{"key":"k","contact_id":"ct_01JHF3Q8R5ZK7M2W9XN4T6B0CD","text":"x","email":null,"phone":""}`, true},
		{`{"key":"k","phone":"+44 7700 900123","text":"x"}`, true},
		{`{"text":"no key"}`, false},
		{`{"key":"a..b","text":"x"}`, false},
		{`{"key":"k","email":"a@b.c","phone":"+1","text":"x"}`, false},
		{`{"key":"k","contact_id":"ct_01JHF3Q8R5ZK7M2W9XN4T6B0CD","email":"a@b.c","text":"x"}`, false},
		{`{"key":"k","data":[1,2]}`, false},
		{`{"key":"k","text":"x","source":"int_1"}`, false},
		{`{"key":"k","phone":"call me","text":"x"}`, false},
	}
	schema := doc.Components.Schemas["PutFactRequest"].Value
	for _, c := range cases {
		var v any
		if err := json.Unmarshal([]byte(c.body), &v); err != nil {
			t.Fatal(err)
		}
		err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsRequest())
		if c.ok != (err == nil) {
			t.Errorf("PutFactRequest on %s: %v, want ok %v", c.body, err, c.ok)
		}
	}
}
