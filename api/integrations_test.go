package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/providers"
)

// integrations are the integration types of this build.
var integrations = providers.Integrations()

// sampleRun is a failed run as the API and integration.sync_failed show
// it.
func sampleRun(ws string, now time.Time) *switchboard.Run {
	code, failure := 503, "the action failed after 4 attempts: http: POST desk.example.com: the system answered Service Unavailable (status 503)"
	id := switchboard.NewID(switchboard.PrefixRun)
	return &switchboard.Run{ID: id, WorkspaceID: ws, IntegrationID: switchboard.NewID(switchboard.PrefixIntegration),
		Action: "call", Status: switchboard.RunFailed, Trigger: switchboard.TriggerAutomation,
		TriggerID: switchboard.NewID(switchboard.PrefixAutomation), EventID: switchboard.NewID(switchboard.PrefixEvent),
		Params: json.RawMessage(`{"subject":"{{event.data.conversation.id}}"}`), IdempotencyKey: id,
		Attempts: []switchboard.RunAttempt{{Number: 1, AttemptedAt: now, DurationMS: 12, StatusCode: &code, ResponseHead: `{"error":"busy"}`, Error: &failure}},
		Error:    &failure, CreatedAt: now, UpdatedAt: now, FinishedAt: &now}
}

// TestIntegrationSchemas checks the integration types' configuration
// schemas against their specs, as for channels, and validates what the
// root package marshals against the document.
func TestIntegrationSchemas(t *testing.T) {
	doc := loadDocument(t)
	schemas := doc.Components.Schemas
	if got := enumStrings(schemas["IntegrationType"].Value); !sameSet(got, integrations.Types()) {
		t.Errorf("IntegrationType enum = %v, want the types of this build %v", got, integrations.Types())
	}
	union := schemas["CreateIntegrationRequest"].Value
	if len(union.OneOf) != len(integrations) {
		t.Errorf("CreateIntegrationRequest has %d branches, want %d", len(union.OneOf), len(integrations))
	}
	patch := schemas["IntegrationConfigPatch"].Value
	for _, b := range union.OneOf {
		typ, _ := b.Value.Properties["type"].Value.Const.(string)
		p, ok := integrations.Lookup(typ)
		if !ok {
			t.Errorf("configuration schema for unknown integration type %q", typ)
			continue
		}
		config := b.Value.Properties["config"].Value
		var want, required []string
		for _, f := range p.Spec().AllFields() {
			want = append(want, f.Name)
			if f.Required {
				required = append(required, f.Name)
			}
			prop := config.Properties[f.Name]
			if prop == nil {
				continue
			}
			if prop.Value.WriteOnly != f.Secret {
				t.Errorf("%s config.%s: writeOnly = %v, want %v", typ, f.Name, prop.Value.WriteOnly, f.Secret)
			}
			if patch.Properties[f.Name] == nil || !patch.Properties[f.Name].Value.Type.Includes("null") {
				t.Errorf("IntegrationConfigPatch cannot set or remove %s", f.Name)
			}
		}
		if got := keys(config.Properties); !sameSet(got, want) {
			t.Errorf("%s config properties = %v, want %v", typ, got, want)
		}
		if !sameSet(config.Required, required) {
			t.Errorf("%s config required = %v, want %v", typ, config.Required, required)
		}
		if ap := config.AdditionalProperties; ap.Has == nil || *ap.Has {
			t.Errorf("%s config does not reject unknown settings", typ)
		}
	}

	now := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	ws := switchboard.NewID(switchboard.PrefixWorkspace)
	config, _, err := integrations.ParseConfig(switchboard.IntegrationHTTP, json.RawMessage(
		`{"url":"https://desk.example.com/api/v2/tickets","headers":{"Authorization":"Bearer x"},"timeout":"10s","store_as":"ticket.latest","body":"{\"a\":\"{{params.a}}\"}"}`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := &switchboard.Integration{ID: switchboard.NewID(switchboard.PrefixIntegration), WorkspaceID: ws, Type: switchboard.IntegrationHTTP,
		Name: "Desk", Status: switchboard.IntegrationConnected, Config: config, CreatedAt: now, UpdatedAt: now}
	validate(t, doc, "Integration", in)
	run := sampleRun(ws, now)
	validate(t, doc, "Run", run)
	run.Status, run.Error, run.Result, run.FinishedAt = switchboard.RunQueued, nil, nil, nil
	run.Attempts = []switchboard.RunAttempt{}
	validate(t, doc, "Run", run)
	validate(t, doc, "Automation", &switchboard.Automation{ID: switchboard.NewID(switchboard.PrefixAutomation), Name: "Ticket",
		EventTypes: []string{"conversation.updated"}, Filter: map[string]any{"data.conversation.status": "handoff"},
		IntegrationID: in.ID, Action: "call", Params: json.RawMessage(`{}`), Enabled: true, CreatedAt: now, UpdatedAt: now})

	cases := []struct {
		schema, body string
		ok           bool
	}{
		{"CreateIntegrationRequest", `{"type":"http","name":"d","config":{"url":"https://x.example/t"}}`, true},
		{"CreateIntegrationRequest", `{"type":"http","name":"d","config":{}}`, false},
		{"CreateIntegrationRequest", `{"type":"http","name":"d","config":{"url":"https://x.example/t","colour":"red"}}`, false},
		{"CreateIntegrationRequest", `{"type":"fax","name":"d","config":{"url":"https://x.example/t"}}`, false},
		{"UpdateIntegrationRequest", `{"status":"connected","config":{"headers":null}}`, true},
		{"UpdateIntegrationRequest", `{"status":"error"}`, false},
		{"RunActionRequest", `{"params":{"subject":"{{event.id}}"}}`, true},
		{"RunActionRequest", `{"params":{},"conversation_id":"ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD"}`, false},
		{"CreateAutomationRequest", `{"name":"a","event_types":["conversation.*"],"filter":{"data.conversation.status":"ended"},"integration_id":"int_01JHF3Q8R5ZK7M2W9XN4T6B0CD","action":"call"}`, true},
		{"CreateAutomationRequest", `{"name":"a","integration_id":"int_01JHF3Q8R5ZK7M2W9XN4T6B0CD"}`, false},
		{"CreateAutomationRequest", `{"name":"a","integration_id":"int_01JHF3Q8R5ZK7M2W9XN4T6B0CD","action":"call","filter":{"a":{"b":1}}}`, false},
		{"UpdateAutomationRequest", `{"enabled":false}`, true},
	}
	for _, c := range cases {
		var v any
		if err := json.Unmarshal([]byte(c.body), &v); err != nil {
			t.Fatal(err)
		}
		err := schemas[c.schema].Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsRequest())
		if c.ok != (err == nil) {
			t.Errorf("%s on %s: %v, want ok=%v", c.schema, c.body, err, c.ok)
		}
	}
}
