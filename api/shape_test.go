package api

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboardhq/switchboard"
)

// The tests of this file hold the document to the shapes that client
// generators (openapi-typescript, oapi-codegen) turn into usable types;
// .ci/contract runs the generators themselves.

// TestUnionsAreDiscriminated checks the per-engine and per-type request
// bodies: one branch per value of the enum, each a closed object whose
// discriminating property is that value, and a discriminator mapping that
// names exactly those branches.
func TestUnionsAreDiscriminated(t *testing.T) {
	doc := loadDocument(t)
	unions := []struct{ schema, property, enum string }{
		{"CreateBotRequest", "engine", "Engine"},
		{"CreateChannelRequest", "type", "ChannelType"},
		{"CreateIntegrationRequest", "type", "IntegrationType"},
	}
	for _, u := range unions {
		t.Run(u.schema, func(t *testing.T) {
			union := doc.Components.Schemas[u.schema].Value
			values := enumStrings(doc.Components.Schemas[u.enum].Value)
			d := union.Discriminator
			if d == nil || d.PropertyName != u.property {
				t.Fatalf("want a discriminator on %s", u.property)
			}
			if !sameSet(keys(d.Mapping), values) {
				t.Errorf("discriminator mapping %v, want one entry per %s %v", keys(d.Mapping), u.enum, values)
			}
			if len(union.OneOf) != len(values) || len(union.Properties) != 0 || len(union.AllOf) != 0 {
				t.Errorf("want exactly a oneOf of %d branches", len(values))
			}
			var seen []string
			for _, b := range union.OneOf {
				s := b.Value
				p := s.Properties[u.property]
				if p == nil || !p.Value.Type.Is("string") {
					t.Errorf("%s: no string %s", b.Ref, u.property)
					continue
				}
				value, _ := p.Value.Const.(string)
				seen = append(seen, value)
				if got := d.Mapping[value]; got.Ref != b.Ref {
					t.Errorf("%s: %s is %q, which the mapping sends to %q", b.Ref, u.property, value, got.Ref)
				}
				if !slices.Contains(s.Required, u.property) || s.Title != value {
					t.Errorf("%s: want %s required and the title %q", b.Ref, u.property, value)
				}
				if ap := s.AdditionalProperties; ap.Has == nil || *ap.Has {
					t.Errorf("%s does not set additionalProperties: false", b.Ref)
				}
				if c := s.Properties["config"]; c == nil || c.Ref == "" {
					t.Errorf("%s: config must be a $ref to the %s's configuration", b.Ref, u.property)
				}
			}
			if !sameSet(seen, values) {
				t.Errorf("branches for %v, want %v", seen, values)
			}
		})
	}
	// The document offers exactly the engines this build has.
	if got := enumStrings(doc.Components.Schemas["Engine"].Value); !sameSet(got, []string{switchboard.EngineBuiltin, switchboard.EngineWebhook, switchboard.EngineLLM}) {
		t.Errorf("Engine enum = %v, want the engines this build has", got)
	}
}

// TestChannelConfigPatchCoversEveryType checks that PATCH /channels/{id}
// can set or remove every setting of every type, and nothing else.
func TestChannelConfigPatchCoversEveryType(t *testing.T) {
	doc := loadDocument(t)
	patch := doc.Components.Schemas["ChannelConfigPatch"].Value
	var want []string
	for _, b := range doc.Components.Schemas["CreateChannelRequest"].Value.OneOf {
		for name, p := range b.Value.Properties["config"].Value.Properties {
			if !slices.Contains(want, name) {
				want = append(want, name)
			}
			q := patch.Properties[name]
			if q == nil {
				continue
			}
			if !q.Value.Type.Includes("null") || !q.Value.Type.Includes(p.Value.Type.Slice()[0]) {
				t.Errorf("ChannelConfigPatch.%s: type %v, want %v or null", name, q.Value.Type.Slice(), p.Value.Type.Slice())
			}
			if q.Value.WriteOnly != p.Value.WriteOnly {
				t.Errorf("ChannelConfigPatch.%s: writeOnly = %v, want %v", name, q.Value.WriteOnly, p.Value.WriteOnly)
			}
		}
	}
	if got := keys(patch.Properties); !sameSet(got, want) {
		t.Errorf("ChannelConfigPatch properties = %v, want the settings of every type %v", got, want)
	}
	if ap := patch.AdditionalProperties; ap.Has == nil || *ap.Has {
		t.Error("ChannelConfigPatch does not reject unknown settings")
	}
}

// TestObjectsSayWhatTheyHold walks every schema of the raw document: an
// object schema lists its properties, is a union or composition, or says
// what else it holds with additionalProperties. A bare {"type": "object"}
// is what generators turn into an object that can hold nothing.
func TestObjectsSayWhatTheyHold(t *testing.T) {
	raw := rawDocument(t)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if isObjectSchema(v) {
				_, props := v["properties"]
				_, ap := v["additionalProperties"]
				_, one := v["oneOf"]
				_, any := v["anyOf"]
				_, all := v["allOf"]
				if !props && !ap && !one && !any && !all {
					t.Errorf("%s: an object schema with neither properties nor additionalProperties", path)
				}
			}
			for k, child := range v {
				if k == "example" || k == "examples" {
					continue
				}
				walk(path+"/"+k, child)
			}
		case []any:
			for i, child := range v {
				walk(path+"/"+strconv.Itoa(i), child)
			}
		}
	}
	walk("#", raw)
}

func isObjectSchema(m map[string]any) bool {
	switch typ := m["type"].(type) {
	case string:
		return typ == "object"
	case []any:
		return slices.Contains(typ, any("object"))
	}
	return false
}

// hookSamples are the channel packages' samples of what each platform
// sends, the inputs of their golden tests.
var hookSamples = map[string]string{
	switchboard.ChannelTelegram:  "../channel/telegram/testdata/updates/*.json",
	switchboard.ChannelSlack:     "../channel/slack/testdata/events/*.json",
	switchboard.ChannelWhatsApp:  "../channel/whatsapp/testdata/notifications/*.json",
	switchboard.ChannelMessenger: "../channel/messenger/testdata/events/*.json",
	switchboard.ChannelAPI:       "../channel/api/testdata/inbound/*.json",
	switchboard.ChannelTwilio:    "../channel/twilio/testdata/webhooks/*.form",
}

// TestHookBodies checks that POST /hooks/channels/{id} describes the body of
// every channel type that has inbound hooks (all but webchat, whose widget
// talks over its WebSocket), one schema titled with the type, and that each
// schema accepts every sample of that platform's wire format.
func TestHookBodies(t *testing.T) {
	doc := loadDocument(t)
	body := doc.Paths.Value("/hooks/channels/{id}").Post.RequestBody.Value
	byType := map[string]*openapi3.Schema{}
	for _, b := range body.Content.Get("application/json").Schema.Value.AnyOf {
		byType[b.Value.Title] = b.Value
	}
	form := body.Content.Get("application/x-www-form-urlencoded").Schema.Value
	byType[form.Title] = form

	var want []string
	for _, typ := range enumStrings(doc.Components.Schemas["ChannelType"].Value) {
		if typ != switchboard.ChannelWebchat {
			want = append(want, typ)
		}
	}
	if got := keys(byType); !sameSet(got, want) {
		t.Fatalf("hook bodies for %v, want one per channel type with hooks %v", got, want)
	}
	for typ, pattern := range hookSamples {
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no samples at %s", typ, pattern)
		}
		for _, f := range files {
			validateSchema(t, typ+" hook body "+filepath.Base(f), byType[typ], readSample(t, f), openapi3.VisitAsRequest())
		}
	}
	// The schemas do refuse what the adapters refuse.
	refused := map[string]string{
		switchboard.ChannelAPI:      `{"message_id":"m-1","user_id":"u-1","txt":"hi"}`,
		switchboard.ChannelTelegram: `{"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"}}}`,
		switchboard.ChannelSlack:    `{"event_id":"Ev1"}`,
	}
	for typ, sample := range refused {
		var v any
		if err := json.Unmarshal([]byte(sample), &v); err != nil {
			t.Fatal(err)
		}
		if err := byType[typ].VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsRequest()); err == nil {
			t.Errorf("the %s hook body accepts %s", typ, sample)
		}
	}
}

// readSample reads a JSON sample, or a form-encoded one as an object of
// strings (as a form decoder presents it to a schema).
func readSample(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".form") {
		q, err := url.ParseQuery(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		m := map[string]any{}
		for k, v := range q {
			m[k] = v[0]
		}
		return m
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func enumStrings(s *openapi3.Schema) []string {
	out := make([]string, 0, len(s.Enum))
	for _, v := range s.Enum {
		out = append(out, v.(string))
	}
	return out
}
