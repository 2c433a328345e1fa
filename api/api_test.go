package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/providers"
)

// channels and engines are the providers of this build, as cmd/switchboard
// registers them; each describes its own configuration.
var channels, engines = providers.New(nil, nil, "test", nil)

// loadDocument parses Document with kin-openapi, resolving every reference.
func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(Document)
	if err != nil {
		t.Fatalf("loading openapi.json: %v", err)
	}
	return doc
}

// rawDocument decodes Document as plain JSON.
func rawDocument(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(Document, &m); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return m
}

func TestDocumentIsValidOpenAPI31(t *testing.T) {
	doc := loadDocument(t)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatal("kin-openapi does not see a 3.1 document")
	}
	// Validate switches to JSON Schema 2020-12 for a 3.1 document by itself.
	// Examples and defaults are validated against their schemas by default;
	// format validation is opt-in and catches misspelt formats.
	err := doc.Validate(context.Background(),
		openapi3.EnableSchemaFormatValidation(),
		openapi3.EnableExamplesValidation(),
		openapi3.EnableSchemaDefaultsValidation(),
		openapi3.EnableSchemaPatternValidation(),
		openapi3.ProhibitExtensionsWithRef(),
		openapi3.EnableMultiError(),
	)
	if err != nil {
		t.Fatalf("openapi.json does not validate:\n%v", err)
	}
	if doc.Info == nil || doc.Info.Title != "Switchboard" || doc.Info.Version == "" || len(doc.Info.Description) < 1000 {
		t.Error("info needs the title Switchboard, a version and a full description")
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/" {
		t.Errorf("servers = %v, want one server with url /", doc.Servers)
	}
	scheme := doc.Components.SecuritySchemes["bearerAuth"]
	if scheme == nil || scheme.Value.Type != "http" || scheme.Value.Scheme != "bearer" {
		t.Error("components.securitySchemes.bearerAuth must be an http bearer scheme")
	}
}

// TestNoDuplicateKeys guards the hand-edited file against a key written twice
// in one object, which JSON decoders silently resolve to the last value.
func TestNoDuplicateKeys(t *testing.T) {
	dec := json.NewDecoder(bytes.NewReader(Document))
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key := k.(string)
				if seen[key] {
					return fmt.Errorf("%s: key %q appears twice", path, key)
				}
				seen[key] = true
				if err := walk(path + "/" + key); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(path + "/" + strconv.Itoa(i)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	if err := walk("#"); err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatal("openapi.json has data after its top-level object")
	}
}

// TestRefsResolve checks every $ref of the raw document: each must be a local
// JSON pointer to something that exists. It also reports components that
// nothing references.
func TestRefsResolve(t *testing.T) {
	raw := rawDocument(t)
	used := map[string]bool{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if k == "$ref" {
					ref, ok := child.(string)
					if !ok {
						t.Errorf("%s: $ref is not a string", path)
						continue
					}
					if _, err := resolvePointer(raw, ref); err != nil {
						t.Errorf("%s: $ref %q: %v", path, ref, err)
					}
					used[ref] = true
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
	if len(used) == 0 {
		t.Fatal("found no $ref at all")
	}
	components := raw["components"].(map[string]any)
	for section, entries := range components {
		if section == "securitySchemes" {
			continue // used by name in security requirements, not by $ref
		}
		for name := range entries.(map[string]any) {
			if ref := "#/components/" + section + "/" + name; !used[ref] {
				t.Errorf("%s is never referenced", ref)
			}
		}
	}
}

func resolvePointer(doc any, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("not a local reference")
	}
	cur := doc
	for _, token := range strings.Split(ref[2:], "/") {
		token = strings.ReplaceAll(strings.ReplaceAll(token, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[token]
			if !ok {
				return nil, fmt.Errorf("no %q", token)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(token)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("no index %q", token)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("cannot descend into %q", token)
		}
	}
	return cur, nil
}

// operations is the complete list of routes the document describes. The
// server's route table is compared with the document elsewhere; this list
// makes a change to the set of operations a deliberate, reviewed edit.
var operations = map[string]string{
	"GET /healthz":                                         "",
	"GET /readyz":                                          "",
	"GET /metrics":                                         "",
	"GET /api/v1/openapi.json":                             "",
	"GET /webchat/widget.js":                               "",
	"GET /webchat/{channel_id}/ws":                         "",
	"GET /api/v1/api-keys":                                 switchboard.ScopeAdmin,
	"POST /api/v1/api-keys":                                switchboard.ScopeAdmin,
	"GET /api/v1/api-keys/{id}":                            switchboard.ScopeAdmin,
	"DELETE /api/v1/api-keys/{id}":                         switchboard.ScopeAdmin,
	"GET /api/v1/bots":                                     switchboard.ScopeReadBots,
	"POST /api/v1/bots":                                    switchboard.ScopeWriteBots,
	"GET /api/v1/bots/{id}":                                switchboard.ScopeReadBots,
	"DELETE /api/v1/bots/{id}":                             switchboard.ScopeWriteBots,
	"PUT /api/v1/bots/{id}/config":                         switchboard.ScopeWriteBots,
	"POST /api/v1/bots/{id}/train":                         switchboard.ScopeWriteBots,
	"POST /api/v1/bots/{id}/deploy":                        switchboard.ScopeWriteBots,
	"GET /api/v1/bots/{id}/versions":                       switchboard.ScopeReadBots,
	"POST /api/v1/bots/{id}/parse":                         switchboard.ScopeReadBots,
	"GET /api/v1/channels":                                 switchboard.ScopeReadChannels,
	"POST /api/v1/channels":                                switchboard.ScopeWriteChannels,
	"GET /api/v1/channels/{id}":                            switchboard.ScopeReadChannels,
	"PATCH /api/v1/channels/{id}":                          switchboard.ScopeWriteChannels,
	"DELETE /api/v1/channels/{id}":                         switchboard.ScopeWriteChannels,
	"POST /api/v1/channels/{id}/register":                  switchboard.ScopeWriteChannels,
	"POST /hooks/channels/{id}":                            "",
	"GET /hooks/channels/{id}":                             "",
	"GET /api/v1/contacts":                                 switchboard.ScopeReadConversations,
	"GET /api/v1/contacts/{id}":                            switchboard.ScopeReadConversations,
	"PATCH /api/v1/contacts/{id}":                          switchboard.ScopeWriteConversations,
	"GET /api/v1/conversations":                            switchboard.ScopeReadConversations,
	"POST /api/v1/conversations":                           switchboard.ScopeWriteConversations,
	"GET /api/v1/conversations/{id}":                       switchboard.ScopeReadConversations,
	"PUT /api/v1/conversations/{id}":                       switchboard.ScopeWriteConversations,
	"DELETE /api/v1/conversations/{id}":                    switchboard.ScopeWriteConversations,
	"GET /api/v1/conversations/{id}/messages":              switchboard.ScopeReadMessages,
	"GET /api/v1/conversations/{id}/turns":                 switchboard.ScopeReadConversations,
	"POST /api/v1/conversations/{id}/messages":             switchboard.ScopeWriteMessages,
	"GET /api/v1/conversations/{id}/messages/{message_id}": switchboard.ScopeReadMessages,
	"POST /api/v1/messages":                                switchboard.ScopeWriteMessages,
	"GET /api/v1/events":                                   switchboard.ScopeReadWebhooks,
	"GET /api/v1/events/{id}":                              switchboard.ScopeReadWebhooks,
	"GET /api/v1/event-types":                              switchboard.ScopeReadWebhooks,
	"GET /api/v1/webhooks":                                 switchboard.ScopeReadWebhooks,
	"POST /api/v1/webhooks":                                switchboard.ScopeWriteWebhooks,
	"GET /api/v1/webhooks/{id}":                            switchboard.ScopeReadWebhooks,
	"PATCH /api/v1/webhooks/{id}":                          switchboard.ScopeWriteWebhooks,
	"DELETE /api/v1/webhooks/{id}":                         switchboard.ScopeWriteWebhooks,
	"POST /api/v1/webhooks/{id}/rotate-secret":             switchboard.ScopeWriteWebhooks,
	"POST /api/v1/webhooks/{id}/test":                      switchboard.ScopeWriteWebhooks,
	"POST /api/v1/webhooks/{id}/replay":                    switchboard.ScopeWriteWebhooks,
	"GET /api/v1/webhooks/{id}/deliveries":                 switchboard.ScopeReadWebhooks,
	"GET /api/v1/deliveries/{id}":                          switchboard.ScopeReadWebhooks,
	"POST /api/v1/deliveries/{id}/retry":                   switchboard.ScopeWriteWebhooks,
	"GET /api/v1/integrations":                             switchboard.ScopeReadIntegrations,
	"POST /api/v1/integrations":                            switchboard.ScopeWriteIntegrations,
	"GET /api/v1/integrations/{id}":                        switchboard.ScopeReadIntegrations,
	"PATCH /api/v1/integrations/{id}":                      switchboard.ScopeWriteIntegrations,
	"DELETE /api/v1/integrations/{id}":                     switchboard.ScopeWriteIntegrations,
	"POST /api/v1/integrations/{id}/register":              switchboard.ScopeWriteIntegrations,
	"POST /api/v1/integrations/{id}/actions/{action}":      switchboard.ScopeWriteIntegrations,
	"GET /api/v1/integrations/{id}/runs":                   switchboard.ScopeReadIntegrations,
	"GET /api/v1/runs/{id}":                                switchboard.ScopeReadIntegrations,
	"POST /hooks/integrations/{id}":                        "",
	"GET /api/v1/automations":                              switchboard.ScopeReadIntegrations,
	"POST /api/v1/automations":                             switchboard.ScopeWriteIntegrations,
	"GET /api/v1/automations/{id}":                         switchboard.ScopeReadIntegrations,
	"PATCH /api/v1/automations/{id}":                       switchboard.ScopeWriteIntegrations,
	"DELETE /api/v1/automations/{id}":                      switchboard.ScopeWriteIntegrations,

	"GET /api/v1/users":                           switchboard.ScopeAdmin,
	"POST /api/v1/users":                          switchboard.ScopeAdmin,
	"GET /api/v1/users/{id}":                      switchboard.ScopeAdmin,
	"PATCH /api/v1/users/{id}":                    switchboard.ScopeAdmin,
	"DELETE /api/v1/users/{id}":                   switchboard.ScopeAdmin,
	"GET /api/v1/oauth-clients":                   switchboard.ScopeAdmin,
	"POST /api/v1/oauth-clients":                  switchboard.ScopeAdmin,
	"GET /api/v1/oauth-clients/{id}":              switchboard.ScopeAdmin,
	"PATCH /api/v1/oauth-clients/{id}":            switchboard.ScopeAdmin,
	"DELETE /api/v1/oauth-clients/{id}":           switchboard.ScopeAdmin,
	"GET /oauth/authorize":                        "",
	"POST /oauth/authorize":                       "",
	"POST /oauth/token":                           "",
	"POST /oauth/revoke":                          "",
	"POST /oauth/introspect":                      "",
	"GET /.well-known/oauth-authorization-server": "",
	"GET /.well-known/jwks.json":                  "",
}

// standardHeaders are declared on every response of every operation.
var standardHeaders = []string{"X-Request-Id", "X-API-Version", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}

type operation struct {
	key    string // "GET /api/v1/bots"
	method string
	path   string
	item   *openapi3.PathItem
	op     *openapi3.Operation
}

func pathOperations(doc *openapi3.T) []operation {
	var ops []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, operation{method + " " + path, method, path, item, op})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].key < ops[j].key })
	return ops
}

// params returns the names of the parameters of op, path-level ones included.
func (o operation) params() map[string]*openapi3.Parameter {
	m := map[string]*openapi3.Parameter{}
	for _, list := range []openapi3.Parameters{o.item.Parameters, o.op.Parameters} {
		for _, p := range list {
			m[p.Value.In+":"+p.Value.Name] = p.Value
		}
	}
	return m
}

func TestOperationsAreExactlyTheContract(t *testing.T) {
	doc := loadDocument(t)
	got := map[string]bool{}
	for _, o := range pathOperations(doc) {
		got[o.key] = true
		if _, ok := operations[o.key]; !ok {
			t.Errorf("%s is in the document but not in the contract", o.key)
		}
	}
	for key := range operations {
		if !got[key] {
			t.Errorf("%s is missing from the document", key)
		}
	}
}

func TestEveryOperationFollowsTheConventions(t *testing.T) {
	doc := loadDocument(t)
	ids := map[string]string{}
	for _, o := range pathOperations(doc) {
		t.Run(o.key, func(t *testing.T) {
			op := o.op
			if op.OperationID == "" {
				t.Error("no operationId")
			} else if other, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %q is also used by %s", op.OperationID, other)
			}
			ids[op.OperationID] = o.key
			if op.Summary == "" || len(op.Summary) > 60 {
				t.Errorf("summary %q: want a short one", op.Summary)
			}
			if len(op.Description) < 20 {
				t.Error("no real description")
			}
			if len(op.Tags) != 1 {
				t.Errorf("tags = %v, want one", op.Tags)
			}
			checkResponses(t, o)
			checkRequestBody(t, o)

			scope := operations[o.key]
			params := o.params()
			if o.key == "GET /metrics" {
				// Open unless SWITCHBOARD_METRICS_TOKEN is set: no
				// requirement, or the metrics token.
				if op.Security == nil || len(*op.Security) != 2 || len((*op.Security)[0]) != 0 ||
					(*op.Security)[1]["metricsToken"] == nil || len((*op.Security)[1]) != 1 {
					t.Errorf("security = %v, want [{}, {metricsToken: []}]", op.Security)
				}
				return
			}
			if scope == "" {
				if op.Security == nil || len(*op.Security) != 0 {
					t.Error("a public operation must set security: []")
				}
				return
			}
			checkAuthenticated(t, o, scope, params)
		})
	}
}

// checkAuthenticated checks the conventions of an operation under /api/v1
// that needs a bearer token.
func checkAuthenticated(t *testing.T, o operation, scope string, params map[string]*openapi3.Parameter) {
	op := o.op
	if !switchboard.ValidScope(scope) {
		t.Fatalf("bad scope %q in the test's table", scope)
	}
	// Either an API key (bearerAuth) or an OAuth 2.0 access token with
	// the scope.
	if op.Security == nil || len(*op.Security) != 2 {
		t.Fatal("security must list two alternatives: bearerAuth and oauth2")
	}
	if got := (*op.Security)[0]["bearerAuth"]; !slices.Equal(got, []string{scope}) {
		t.Errorf("security = %v, want bearerAuth [%s]", *op.Security, scope)
	}
	if got := (*op.Security)[1]["oauth2"]; !slices.Equal(got, []string{scope}) {
		t.Errorf("security = %v, want oauth2 [%s]", *op.Security, scope)
	}
	if got, _ := op.Extensions["x-required-scopes"].([]any); len(got) != 1 || got[0] != scope {
		t.Errorf("x-required-scopes = %v, want [%s]", op.Extensions["x-required-scopes"], scope)
	}
	if !strings.Contains(op.Description, "`"+scope+"`") {
		t.Errorf("description does not name the scope %s", scope)
	}
	for _, name := range []string{"header:X-API-Version", "header:X-Request-Id"} {
		if params[name] == nil {
			t.Errorf("no %s parameter", name)
		}
	}
	want := []string{"400", "401", "403", "429", "500"}
	if strings.Contains(o.path, "{") {
		want = append(want, "404")
	}
	if op.RequestBody != nil {
		want = append(want, "413")
	}
	idem := params["header:Idempotency-Key"]
	if o.method == http.MethodPost {
		want = append(want, "409", "422")
		if idem == nil {
			t.Error("a POST must accept Idempotency-Key")
		}
	} else if idem != nil {
		t.Error("only POST operations take Idempotency-Key")
	}
	for _, code := range want {
		if op.Responses.Value(code) == nil {
			t.Errorf("no %s response", code)
		}
	}
	checkPagination(t, o, params)
}

func checkResponses(t *testing.T, o operation) {
	if strings.HasPrefix(o.path, "/oauth/") {
		checkOAuthResponses(t, o)
		return
	}
	responses := o.op.Responses.Map()
	errorsDeclared, successes := 0, 0
	for code, ref := range responses {
		resp := ref.Value
		if resp.Description == nil || *resp.Description == "" {
			t.Errorf("response %s has no description", code)
		}
		for _, h := range standardHeaders {
			if resp.Headers[h] == nil {
				t.Errorf("response %s does not declare the header %s", code, h)
			}
		}
		if code == "429" && resp.Headers["Retry-After"] == nil {
			t.Error("response 429 does not declare Retry-After")
		}
		status, err := strconv.Atoi(code)
		if err != nil {
			t.Errorf("response %q: want explicit status codes", code)
			continue
		}
		if status < 400 {
			successes++
			continue
		}
		errorsDeclared++
		mt := resp.Content.Get("application/problem+json")
		if mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Problem" {
			t.Errorf("response %s is not an application/problem+json Problem", code)
		}
		if len(resp.Content) != 1 {
			t.Errorf("response %s offers other media types than application/problem+json", code)
		}
	}
	// An upsert answers 201 when it creates and 200 when it replaces.
	upsert := successes == 2 && responses["200"] != nil && responses["201"] != nil
	if successes != 1 && !upsert {
		t.Errorf("%d success responses, want exactly one (or 200 and 201 for an upsert)", successes)
	}
	if errorsDeclared == 0 {
		t.Error("declares no error response")
	}
}

// checkRequestBody checks that request bodies are JSON objects that reject
// unknown fields.
func checkRequestBody(t *testing.T, o operation) {
	if o.op.RequestBody == nil {
		return
	}
	if o.method == http.MethodGet || o.method == http.MethodDelete {
		t.Errorf("a %s operation with a request body", o.method)
	}
	body := o.op.RequestBody.Value
	if !body.Required {
		t.Error("request body not required")
	}
	if strings.HasPrefix(o.path, "/oauth/") {
		// OAuth 2.0's own format (RFC 6749): form-encoded.
		if body.Content.Get("application/x-www-form-urlencoded") == nil || len(body.Content) != 1 {
			t.Error("an OAuth endpoint's body must be application/x-www-form-urlencoded")
		}
		return
	}
	if strings.HasPrefix(o.path, "/hooks/") {
		// The platforms' own formats (TestHookBodies), open to fields
		// they add; Twilio's is form-encoded.
		for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
			if body.Content.Get(ct) == nil {
				t.Errorf("an inbound hook body must be described as %s", ct)
			}
		}
		return
	}
	mt := body.Content.Get("application/json")
	if mt == nil || len(body.Content) != 1 {
		t.Fatal("request body must be application/json only")
	}
	schema := mt.Schema.Value
	branches := []*openapi3.SchemaRef{mt.Schema}
	if len(schema.OneOf) > 0 && len(schema.Properties) == 0 {
		branches = schema.OneOf // a union: one shape per bot engine or channel type
	}
	for _, b := range branches {
		if !b.Value.Type.Is("object") {
			t.Errorf("request body schema %s is not an object", b.Ref)
		}
		if ap := b.Value.AdditionalProperties; ap.Has == nil || *ap.Has {
			t.Errorf("request body schema %s does not set additionalProperties: false", b.Ref)
		}
	}
}

// checkPagination ties limit and cursor to list responses.
func checkPagination(t *testing.T, o operation, params map[string]*openapi3.Parameter) {
	ok := o.op.Responses.Value("200")
	var paginated bool
	if ok != nil {
		if mt := ok.Value.Content.Get("application/json"); mt != nil {
			next := mt.Schema.Value.Properties["next_cursor"]
			paginated = next != nil && next.Value.Type.Includes("string")
			if paginated {
				data := mt.Schema.Value.Properties["data"]
				if data == nil || !data.Value.Type.Is("array") ||
					!slices.Equal(mt.Schema.Value.Required, []string{"data", "next_cursor"}) ||
					!slices.Equal(next.Value.Type.Slice(), []string{"string", "null"}) {
					t.Error("a list answers {data: [...], next_cursor: string|null}, both required")
				}
			}
		}
	}
	limit, cursor := params["query:limit"], params["query:cursor"]
	if paginated != (limit != nil) || paginated != (cursor != nil) {
		t.Errorf("paginated response = %v, limit parameter = %v, cursor parameter = %v: want all or none",
			paginated, limit != nil, cursor != nil)
	}
	if paginated && !strings.HasPrefix(o.op.OperationID, "list") {
		t.Errorf("operationId %q of a list should start with list", o.op.OperationID)
	}
}

func TestPaginationParameters(t *testing.T) {
	doc := loadDocument(t)
	limit := doc.Components.Parameters["Limit"].Value.Schema.Value
	if limit.Min == nil || *limit.Min != 1 || limit.Max == nil || *limit.Max != 200 || limit.Default != float64(50) {
		t.Errorf("limit: want 1..200, default 50; got min %v max %v default %v", limit.Min, limit.Max, limit.Default)
	}
	version := doc.Components.Parameters["XAPIVersion"].Value.Schema.Value
	if !slices.Equal(version.Enum, []any{"2024-01"}) {
		t.Errorf("X-API-Version enum = %v, want [2024-01]", version.Enum)
	}
}

func TestEnumsMatchTheRootPackage(t *testing.T) {
	doc := loadDocument(t)
	schemas := doc.Components.Schemas
	enum := func(s *openapi3.Schema) []string {
		out := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			out[i] = v.(string)
		}
		return out
	}
	codes := []string{
		switchboard.EInvalid, switchboard.EUnauthorized, switchboard.EForbidden, switchboard.ENotFound,
		switchboard.EConflict, switchboard.EUnprocessable, switchboard.ERateLimited, switchboard.EPayloadTooLarge,
		switchboard.EUnsupportedVersion, switchboard.EInternal, switchboard.EUnavailable,
	}
	if got := enum(schemas["Problem"].Value.Properties["code"].Value); !sameSet(got, codes) {
		t.Errorf("Problem.code enum = %v, want the codes of errors.go %v", got, codes)
	}
	if got := enum(schemas["Scope"].Value); !slices.Equal(got, switchboard.AllScopes) {
		t.Errorf("Scope enum = %v, want %v", got, switchboard.AllScopes)
	}
	var names []string
	for _, et := range switchboard.EventTypes {
		names = append(names, et.Name)
	}
	if got := enum(schemas["EventTypeName"].Value); !slices.Equal(got, names) {
		t.Errorf("EventTypeName enum = %v, want %v", got, names)
	}
	if got := enum(schemas["ChannelType"].Value); !sameSet(got, channels.Types()) {
		t.Errorf("ChannelType enum = %v, want %v", got, channels.Types())
	}
	if got := enum(schemas["SendGuarantee"].Value); !slices.Equal(got, []string{switchboard.SendAtMostOnce, switchboard.SendAtLeastOnce}) {
		t.Errorf("SendGuarantee enum = %v", got)
	}
	if got := enum(schemas["Engine"].Value); !sameSet(got, engines.Names()) {
		t.Errorf("Engine enum = %v, want the engines of this build %v", got, engines.Names())
	}
	// Every channel type has its configuration schema, with the fields of
	// its spec, their secrets write-only.
	for _, b := range schemas["CreateChannelRequest"].Value.OneOf {
		typ, _ := b.Value.Properties["type"].Value.Const.(string)
		config := b.Value.Properties["config"].Value
		adapter, ok := channels.Lookup(typ)
		if !ok {
			t.Errorf("configuration schema for unknown channel type %q", typ)
			continue
		}
		fields := adapter.Spec().Fields
		want := []string{"api_base_url", "send_guarantee", "allowed_ips"} // every type takes these
		var required []string
		for _, f := range fields {
			want = append(want, f.Name)
			if f.Required {
				required = append(required, f.Name)
			}
			p := config.Properties[f.Name]
			if p == nil {
				continue
			}
			if p.Value.WriteOnly != f.Secret {
				t.Errorf("%s config.%s: writeOnly = %v, want %v", typ, f.Name, p.Value.WriteOnly, f.Secret)
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
	if n := len(schemas["CreateChannelRequest"].Value.OneOf); n != len(channels) {
		t.Errorf("CreateChannelRequest has %d per-type branches, want %d", n, len(channels))
	}
}

func TestWebhooksMatchEventTypes(t *testing.T) {
	doc := loadDocument(t)
	known := map[string]bool{}
	for _, et := range switchboard.EventTypes {
		known[et.Name] = true
		item := doc.Webhooks[et.Name]
		if item == nil {
			t.Errorf("event type %s has no entry in webhooks", et.Name)
			continue
		}
		t.Run(et.Name, func(t *testing.T) { checkWebhook(t, item, et) })
	}
	for name := range doc.Webhooks {
		if !known[name] {
			t.Errorf("webhooks has %s, which is not in switchboard.EventTypes", name)
		}
	}
}

func checkWebhook(t *testing.T, item *openapi3.PathItem, et switchboard.EventType) {
	if len(item.Operations()) != 1 || item.Post == nil {
		t.Fatal("want exactly one operation, a POST")
	}
	op := item.Post
	if op.OperationID == "" || op.Summary == "" || len(op.Description) < 20 {
		t.Error("want an operationId, a summary and a description")
	}
	if op.Security == nil || len(*op.Security) != 0 {
		t.Error("a webhook carries no bearer token: want security: []")
	}
	headers := map[string]bool{}
	for _, p := range op.Parameters {
		if p.Value.In == "header" && p.Value.Required {
			headers[p.Value.Name] = true
		}
	}
	for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature", "X-Signature", "X-Attempt", "X-Idempotency-Key", "User-Agent"} {
		if !headers[h] {
			t.Errorf("delivery header %s is not documented", h)
		}
	}
	if op.Responses.Value("2XX") == nil || op.Responses.Default() == nil {
		t.Error("want a 2XX (acknowledged) and a default (retried) response")
	}
	mt := op.RequestBody.Value.Content.Get("application/json")
	if mt == nil {
		t.Fatal("no application/json body")
	}
	body := mt.Schema.Value
	if len(body.AllOf) != 1 || body.AllOf[0].Ref != "#/components/schemas/Event" {
		t.Error("the body must be the Event envelope (allOf Event)")
	}
	if got := body.Properties["event"].Value.Const; got != et.Name {
		t.Errorf("event const = %v, want %s", got, et.Name)
	}
	// The data schema agrees with the one the root package serves at
	// GET /event-types: same required fields and properties, level by level.
	var want map[string]any
	if err := json.Unmarshal(et.Schema, &want); err != nil {
		t.Fatalf("switchboard's schema of %s: %v", et.Name, err)
	}
	compareSchemas(t, "data", want, body.Properties["data"].Value)
}

func compareSchemas(t *testing.T, path string, want map[string]any, got *openapi3.Schema) {
	t.Helper()
	if req, ok := want["required"].([]any); ok {
		var names []string
		for _, r := range req {
			names = append(names, r.(string))
		}
		// The document may require more: fields that are always present,
		// if only as null.
		for _, n := range names {
			if !slices.Contains(got.Required, n) {
				t.Errorf("%s: %s is not required, root package says it is", path, n)
			}
		}
	}
	if e, ok := want["enum"].([]any); ok && !slices.Equal(e, got.Enum) {
		t.Errorf("%s: enum = %v, root package says %v", path, got.Enum, e)
	}
	if typ, ok := want["type"]; ok {
		var types []string
		switch typ := typ.(type) {
		case string:
			types = []string{typ}
		case []any:
			for _, x := range typ {
				types = append(types, x.(string))
			}
		}
		if !sameSet(types, got.Type.Slice()) {
			t.Errorf("%s: type = %v, root package says %v", path, got.Type.Slice(), types)
		}
	}
	props, ok := want["properties"].(map[string]any)
	if !ok {
		return
	}
	if !sameSet(keys(props), keys(got.Properties)) {
		t.Errorf("%s: properties = %v, root package says %v", path, keys(got.Properties), keys(props))
	}
	for name, p := range props {
		if g := got.Properties[name]; g != nil {
			compareSchemas(t, path+"."+name, p.(map[string]any), g.Value)
		}
	}
}

// TestSchemasAcceptWhatTheRootPackageMarshals validates JSON produced by the
// domain types and event constructors of package switchboard against the
// document's schemas, as a server response would be.
func TestSchemasAcceptWhatTheRootPackageMarshals(t *testing.T) {
	doc := loadDocument(t)
	now := time.Date(2026, 1, 15, 10, 30, 0, 123e6, time.UTC)
	later := now.Add(time.Minute)
	ws := switchboard.NewID(switchboard.PrefixWorkspace)
	botID := switchboard.NewID(switchboard.PrefixBot)
	ext := "5123"
	failure := "telegram: 403 Forbidden: bot was blocked by the user"

	bots := map[string]string{
		switchboard.EngineBuiltin: `{"intents":[{"name":"hi","examples":["hello"],"responses":["Hi!"]},{"name":"human","examples":["agent"]}],"fallback":"Sorry?","handoff_intent":"human"}`,
		switchboard.EngineWebhook: `{"url":"https://bots.example.com/hook"}`,
	}
	var bot *switchboard.Bot
	for engine, raw := range bots {
		config, _, err := engines.ParseConfig(engine, json.RawMessage(raw))
		if err != nil {
			t.Fatalf("ParseConfig(%s): %v", engine, err)
		}
		b := &switchboard.Bot{ID: botID, WorkspaceID: ws, Name: "B", Engine: engine, Config: config,
			Status: switchboard.BotDraft, Version: 1, CreatedAt: now, UpdatedAt: now}
		validate(t, doc, "Bot", b)
		validateSchema(t, "BotConfig", doc.Components.Schemas["BotConfig"].Value, json.RawMessage(raw), openapi3.VisitAsRequest())
		if engine == switchboard.EngineBuiltin {
			bot = b
		}
	}
	// An empty builtin configuration is valid too.
	config, _, err := engines.ParseConfig(switchboard.EngineBuiltin, nil)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, doc, "BuiltinConfig", config)

	chConfig, _, err := channels.ParseConfig(switchboard.ChannelWebchat,
		json.RawMessage(`{"allowed_origins":["https://example.com"],"api_base_url":"http://127.0.0.1:9"}`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := &switchboard.Channel{ID: switchboard.NewID(switchboard.PrefixChannel), WorkspaceID: ws,
		Type: switchboard.ChannelWebchat, Name: "Site", BotID: &botID, Status: switchboard.ChannelConnected,
		Config: chConfig, CreatedAt: now, UpdatedAt: now}
	validate(t, doc, "Channel", withField(t, ch, "webhook_url", "http://127.0.0.1:8080/hooks/channels/"+ch.ID))
	ch.BotID, ch.Config = nil, map[string]any{}
	validate(t, doc, "Channel", withField(t, ch, "webhook_url", "http://127.0.0.1:8080/hooks/channels/"+ch.ID))

	contact := &switchboard.Contact{ID: switchboard.NewID(switchboard.PrefixContact), WorkspaceID: ws, ChannelID: ch.ID,
		ExternalID: "42", Attributes: map[string]any{"vip": true}, CreatedAt: now, UpdatedAt: now}
	validate(t, doc, "Contact", contact)

	conv := &switchboard.Conversation{ID: switchboard.NewID(switchboard.PrefixConversation), WorkspaceID: ws,
		ChannelID: ch.ID, BotID: &botID, ContactID: contact.ID, Status: switchboard.ConversationActive,
		Metadata: map[string]any{}, StartedAt: now, LastActivityAt: later}
	validate(t, doc, "Conversation", conv)
	ended := *conv
	ended.BotID, ended.Status, ended.EndedAt = nil, switchboard.ConversationEnded, &later
	agent := "agent@example.com"
	ended.Assignee = &agent
	validate(t, doc, "Conversation", &ended)

	msg := &switchboard.Message{ID: switchboard.NewID(switchboard.PrefixMessage), WorkspaceID: ws, ConversationID: conv.ID,
		Direction: switchboard.DirectionOutbound, Sender: switchboard.SenderAgent, Text: "Hello",
		Status: switchboard.MessageQueued, CreatedAt: now}
	validate(t, doc, "Message", msg)
	failed := *msg
	failed.Status, failed.ExternalID, failed.Error = switchboard.MessageFailed, &ext, &failure
	validate(t, doc, "Message", &failed)

	key := &switchboard.APIKey{ID: switchboard.NewID(switchboard.PrefixAPIKey), WorkspaceID: ws, Name: "k",
		Prefix: "sbk_abcd", Scopes: []string{switchboard.ScopeAdmin}, CreatedAt: now, LastUsedAt: &later}
	validate(t, doc, "APIKey", key)
	validate(t, doc, "APIKeyWithSecret", withField(t, key, "key", "sbk_abcdefghijklmnop"))

	problem := map[string]any{"type": "urn:switchboard:error:invalid_request", "title": "Invalid request", "status": 400, "detail": "The request is invalid.",
		"code": switchboard.EInvalid, "request_id": "r1", "errors": []switchboard.FieldError{{Field: "name", Message: "is required"}}}
	validate(t, doc, "Problem", problem)
	validate(t, doc, "EventTypeList", map[string]any{"data": switchboard.EventTypes})

	// Webhook endpoints, deliveries and attempts, as the API shows them.
	rate, code, failure := 5, 503, "timeout: no complete response within 15s"
	ep := &switchboard.WebhookEndpoint{ID: switchboard.NewID(switchboard.PrefixEndpoint), WorkspaceID: ws,
		URL: "https://hooks.example.com/x", EventTypes: []string{"message.*", "*"}, Status: switchboard.EndpointEnabled,
		Secrets: []switchboard.EndpointSecret{{Secret: "whsec_c2VjcmV0"}}, CreatedAt: now, UpdatedAt: now}
	validate(t, doc, "WebhookEndpoint", ep)
	validate(t, doc, "WebhookEndpointWithSecret", withField(t, ep, "secret", "whsec_c2VjcmV0"))
	ep.Status, ep.DisabledReason, ep.RateLimitPerSecond = switchboard.EndpointDisabled, &failure, &rate
	validate(t, doc, "WebhookEndpoint", ep)
	delivery := &switchboard.Delivery{ID: switchboard.NewID(switchboard.PrefixDelivery), WorkspaceID: ws, EndpointID: ep.ID,
		EventID: switchboard.NewID(switchboard.PrefixEvent), EventType: switchboard.EventMessageSent,
		Status: switchboard.DeliveryPending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now}
	validate(t, doc, "Delivery", delivery)
	delivery.Status, delivery.AttemptCount, delivery.NextAttemptAt, delivery.LastAttemptAt = switchboard.DeliveryFailed, 8, nil, &later
	delivery.LastStatusCode, delivery.LastError = &code, &failure
	validate(t, doc, "Delivery", delivery)
	attempt := withField(t, &switchboard.Attempt{Number: 1, AttemptedAt: now, StatusCode: &code, ResponseBody: "busy"}, "duration_ms", 12.5)
	validate(t, doc, "DeliveryAttempt", attempt)
	validate(t, doc, "DeliveryWithAttempts", withField(t, delivery, "attempts", []any{attempt}))

	// A bot with versions, training and deployed, and a failed training.
	one, why := 1, "config.intents: too few examples"
	version := &switchboard.BotVersion{BotID: bot.ID, WorkspaceID: ws, Version: 2, Engine: bot.Engine, Config: bot.Config,
		ModelSize: 10, Metrics: json.RawMessage(`{"intents":2,"cv_accuracy":0.9}`), CreatedAt: now}
	validate(t, doc, "BotVersion", version)
	version.DeployedAt = &later
	validate(t, doc, "BotVersion", version)
	bot.Version, bot.DeployedVersion, bot.Status = 2, &one, switchboard.BotTrained
	bot.Training = &switchboard.TrainingState{Status: switchboard.TrainingSucceeded, Version: &version.Version, StartedAt: now, FinishedAt: &later}
	validate(t, doc, "Bot", bot)
	failedBot := *bot
	failedBot.Status = switchboard.BotError
	failedBot.Training = &switchboard.TrainingState{Status: switchboard.TrainingFailed, StartedAt: now, FinishedAt: &later, Error: &why}
	validate(t, doc, "Bot", &failedBot)
	failedBot.Training = &switchboard.TrainingState{Status: switchboard.TrainingRunning, StartedAt: now}
	validate(t, doc, "Bot", &failedBot)

	// One event of every type, as the outbox would store and deliver it.
	integration := map[string]any{"id": ch.ID, "type": ch.Type, "name": ch.Name, "status": switchboard.ChannelConnected}
	endpoint := map[string]any{"id": switchboard.NewID(switchboard.PrefixEndpoint), "url": "https://hooks.example.com/x", "status": "disabled"}
	data := map[string]any{
		switchboard.EventConversationStarted: map[string]any{"conversation": conv},
		switchboard.EventConversationUpdated: map[string]any{"conversation": conv,
			"changes": switchboard.Change{Field: "assignee", OldValue: nil, NewValue: "agent@example.com"}},
		switchboard.EventConversationEnded:       map[string]any{"conversation": &ended},
		switchboard.EventMessageReceived:         map[string]any{"message": msg},
		switchboard.EventMessageSent:             map[string]any{"message": msg},
		switchboard.EventMessageDelivered:        map[string]any{"message": msg},
		switchboard.EventMessageRead:             map[string]any{"message": msg},
		switchboard.EventMessageFailed:           map[string]any{"message": &failed},
		switchboard.EventBotError:                map[string]any{"bot": bot, "error": "webhook: 503 Service Unavailable", "version": 1},
		switchboard.EventBotTrained:              sampleEventData(t, switchboard.BotVersionEvent(switchboard.EventBotTrained, bot, version, nil)),
		switchboard.EventBotDeployed:             sampleEventData(t, switchboard.BotVersionEvent(switchboard.EventBotDeployed, bot, version, &one)),
		switchboard.EventIntegrationConnected:    map[string]any{"integration": integration},
		switchboard.EventEndpointDisabled:        map[string]any{"endpoint": endpoint, "reason": "failing for 5 days"},
		switchboard.EventWebhookTest:             map[string]any{"message": "This is a test event."},
		switchboard.EventIntegrationDisconnected: map[string]any{"integration": integration, "reason": "deleted"},
		switchboard.EventIntegrationSyncFailed:   map[string]any{"integration": integration, "run": sampleRun(ws, now)},
	}
	for _, et := range switchboard.EventTypes {
		d, ok := data[et.Name]
		if !ok {
			t.Errorf("no sample data for %s: add one", et.Name)
			continue
		}
		ev := switchboard.NewEvent(ws, et.Name, d)
		validate(t, doc, "Event", ev)
		if item := doc.Webhooks[et.Name]; item != nil && item.Post != nil {
			validateSchema(t, et.Name+" webhook body", item.Post.RequestBody.Value.Content.Get("application/json").Schema.Value, ev, openapi3.VisitAsRequest())
		}
	}
	// A webhook body must not accept another type's event.
	wrong := switchboard.NewEvent(ws, switchboard.EventMessageSent, data[switchboard.EventMessageSent])
	body := doc.Webhooks[switchboard.EventBotError].Post.RequestBody.Value.Content.Get("application/json").Schema.Value
	if err := body.VisitJSON(toJSONValue(t, wrong), openapi3.EnableJSONSchema2020()); err == nil {
		t.Error("the bot.error webhook body accepts a message.sent event")
	}
}

// TestRequestSchemasRejectWhatTheServerRejects spot-checks request schemas
// with bodies the server answers 400 to.
func TestRequestSchemasRejectWhatTheServerRejects(t *testing.T) {
	doc := loadDocument(t)
	cases := []struct {
		schema string
		body   string
		ok     bool
	}{
		{"CreateBotRequest", `{"name":"b","engine":"builtin"}`, true},
		{"CreateBotRequest", `{"name":"b","engine":"webhook","config":{"url":"https://x.example"}}`, true},
		{"CreateBotRequest", `{"name":"b","engine":"webhook","config":{"base_url":"https://x.example","model":"m"}}`, false},
		{"CreateBotRequest", `{"name":"b","engine":"llm","config":{"base_url":"https://x.example","model":"m"}}`, true},
		{"CreateBotRequest", `{"name":"b","engine":"llm","config":{"base_url":"https://x.example","model":"m","tools":["knowledge","int_01JHF3Q8R5ZK7M2W9XN4T6B0CD:lookup_order"]}}`, true},
		{"CreateBotRequest", `{"name":"b","engine":"llm","config":{"base_url":"https://x.example","model":"m","tools":["weather"]}}`, false},
		{"CreateBotRequest", `{"name":"b","engine":"llm","config":{"base_url":"https://x.example","model":"m","history":0}}`, false},
		{"CreateBotRequest", `{"name":"b","engine":"llm","config":{"base_url":"https://x.example"}}`, false},
		{"CreateBotRequest", `{"name":"b","engine":"webhook"}`, false},
		{"CreateBotRequest", `{"name":"b","engine":"builtin","config":{"url":"https://x.example"}}`, false},
		{"CreateBotRequest", `{"engine":"builtin"}`, false},
		{"CreateBotRequest", `{"name":"b","engine":"builtin","colour":"red"}`, false},
		{"CreateBotRequest", `{"name":"b","engine":"rules"}`, false},
		{"CreateAPIKeyRequest", `{"name":"k","scopes":["read:bots"]}`, true},
		{"CreateAPIKeyRequest", `{"name":"k","scopes":[]}`, false},
		{"CreateAPIKeyRequest", `{"name":"k","scopes":["read:everything"]}`, false},
		{"CreateAPIKeyRequest", `{"name":"k","scopes":["read:integrations"]}`, true},
		{"CreateAPIKeyRequest", `{"name":"","scopes":["admin"]}`, false},
		{"CreateChannelRequest", `{"type":"telegram","name":"t","config":{"bot_token":"1:a"}}`, true},
		{"CreateChannelRequest", `{"type":"telegram","name":"t"}`, false},
		{"CreateChannelRequest", `{"type":"telegram","name":"t","config":{"bot_token":"1:a","callback_url":"https://x.example"}}`, false},
		{"CreateChannelRequest", `{"type":"api","name":"a"}`, true},
		{"CreateChannelRequest", `{"type":"api","name":"a","bot_id":null,"config":{"callback_url":"https://x.example"}}`, true},
		{"CreateChannelRequest", `{"type":"fax","name":"f"}`, false},
		{"CreateChannelRequest", `{"type":"twilio","name":"t","config":{"account_sid":"AC1","auth_token":"x","from":"+1"}}`, true},
		{"CreateChannelRequest", `{"type":"twilio","name":"t","config":{"account_sid":"AC1","from":"+1"}}`, false},
		{"CreateChannelRequest", `{"name":"t","config":{"callback_url":"https://x.example"}}`, false},
		{"UpdateChannelRequest", `{"bot_id":null,"config":{"secret_token":null,"bot_token":"2:b"}}`, true},
		{"UpdateChannelRequest", `{"status":"error"}`, false},
		{"UpdateChannelRequest", `{"config":{"allowed_origins":["https://a.example"],"callback_url":null}}`, true},
		{"UpdateChannelRequest", `{"config":{"colour":"red"}}`, false},
		{"CreateChannelRequest", `{"type":"telegram","name":"t","config":{"bot_token":"1:a","send_guarantee":"at_least_once"}}`, true},
		{"CreateChannelRequest", `{"type":"api","name":"a","config":{"send_guarantee":"at_most_once"}}`, true},
		{"CreateChannelRequest", `{"type":"telegram","name":"t","config":{"bot_token":"1:a","send_guarantee":"twice"}}`, false},
		{"UpdateChannelRequest", `{"config":{"send_guarantee":"at_least_once"}}`, true},
		{"UpdateChannelRequest", `{"config":{"send_guarantee":null}}`, true},
		{"UpdateChannelRequest", `{"config":{"send_guarantee":"exactly_once"}}`, false},
		{"UpdateChannelRequest", `{"config":{"bot_token":7}}`, false},
		{"CreateConversationRequest", `{"channel_id":"ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD","user_id":"42"}`, true},
		{"CreateConversationRequest", `{"channel_id":"ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD","contact_id":"ct_01JHF3Q8R5ZK7M2W9XN4T6B0CD"}`, true},
		{"CreateConversationRequest", `{"channel_id":"ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD"}`, false},
		{"CreateConversationRequest", `{"channel_id":"ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD","user_id":"42","contact_id":"ct_01JHF3Q8R5ZK7M2W9XN4T6B0CD"}`, false},
		{"UpdateConversationRequest", `{"status":"handoff","assignee":null}`, true},
		{"UpdateConversationRequest", `{"status":"closed"}`, false},
		{"SendConversationMessageRequest", `{"text":"hi","sender":"agent"}`, true},
		{"SendConversationMessageRequest", `{"text":"hi","sender":"user"}`, false},
		{"SendConversationMessageRequest", `{"text":"","sender":"bot"}`, false},
		{"SendConversationMessageRequest", `{"text":"` + strings.Repeat("a", 4097) + `","sender":"bot"}`, false},
		{"SendMessageRequest", `{"channel_id":"ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD","user_id":"42","text":"hi"}`, true},
		{"SendMessageRequest", `{"channel_id":"ch_01JHF3Q8R5ZK7M2W9XN4T6B0CD","text":"hi"}`, false},
		{"UpdateContactRequest", `{"attributes":{"a":1},"phone":"+1"}`, true},
		{"UpdateContactRequest", `{"external_id":"x"}`, false},
		{"CreateWebhookEndpointRequest", `{"url":"https://hooks.example.com/x","event_types":["message.*"],"rate_limit_per_second":null}`, true},
		{"CreateWebhookEndpointRequest", `{"description":"no url"}`, false},
		{"CreateWebhookEndpointRequest", `{"url":"https://x.example","rate_limit_per_second":0}`, false},
		{"CreateWebhookEndpointRequest", `{"url":"https://x.example","secret":"whsec_x"}`, false},
		{"UpdateWebhookEndpointRequest", `{"status":"enabled","rate_limit_per_second":null}`, true},
		{"UpdateWebhookEndpointRequest", `{"status":"paused"}`, false},
		{"RotateWebhookSecretRequest", `{"grace_period_seconds":0}`, true},
		{"RotateWebhookSecretRequest", `{"grace_period_seconds":604801}`, false},
		{"ReplayWebhookRequest", `{"since":"2026-01-15T10:30:00Z","status":"succeeded"}`, true},
		{"ReplayWebhookRequest", `{"status":"failed"}`, false},
		{"ReplayWebhookRequest", `{"since":"2026-01-15T10:30:00Z","status":"pending"}`, false},
		{"TestWebhookRequest", `{}`, true},
		{"TestWebhookRequest", `{"message":""}`, false},
		{"RetryDeliveryRequest", `{}`, true},
		{"RetryDeliveryRequest", `{"now":true}`, false},
	}
	for _, c := range cases {
		schema := doc.Components.Schemas[c.schema].Value
		var v any
		if err := json.Unmarshal([]byte(c.body), &v); err != nil {
			t.Fatal(err)
		}
		err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsRequest())
		if c.ok && err != nil {
			t.Errorf("%s rejects %s: %v", c.schema, c.body, err)
		}
		if !c.ok && err == nil {
			t.Errorf("%s accepts %.120s", c.schema, c.body)
		}
	}
}

func validate(t *testing.T, doc *openapi3.T, name string, v any) {
	t.Helper()
	ref := doc.Components.Schemas[name]
	if ref == nil {
		t.Fatalf("no schema %s", name)
	}
	validateSchema(t, name, ref.Value, v, openapi3.VisitAsResponse())
}

func validateSchema(t *testing.T, name string, schema *openapi3.Schema, v any, direction openapi3.SchemaValidationOption) {
	t.Helper()
	value := toJSONValue(t, v)
	// JSON Schema 2020-12, as openapi3filter uses for a 3.1 document.
	if err := schema.VisitJSON(value, openapi3.EnableJSONSchema2020(), openapi3.EnableFormatValidation(), direction); err != nil {
		b, _ := json.Marshal(value)
		t.Errorf("%s rejects %s:\n%v", name, b, err)
	}
}

// toJSONValue marshals v and decodes it again into plain JSON values.
func toJSONValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func withField(t *testing.T, v any, field string, value any) map[string]any {
	t.Helper()
	m := toJSONValue(t, v).(map[string]any)
	m[field] = value
	return m
}

// TestIDPatterns checks the documented id patterns against ids the root
// package generates.
func TestIDPatterns(t *testing.T) {
	doc := loadDocument(t)
	prefixes := map[string]string{
		"WorkspaceID": switchboard.PrefixWorkspace, "APIKeyID": switchboard.PrefixAPIKey, "BotID": switchboard.PrefixBot,
		"ChannelID": switchboard.PrefixChannel, "ContactID": switchboard.PrefixContact,
		"ConversationID": switchboard.PrefixConversation, "MessageID": switchboard.PrefixMessage, "EventID": switchboard.PrefixEvent,
		"WebhookEndpointID": switchboard.PrefixEndpoint, "DeliveryID": switchboard.PrefixDelivery,
		"IntegrationID": switchboard.PrefixIntegration, "RunID": switchboard.PrefixRun, "AutomationID": switchboard.PrefixAutomation,
	}
	for name, prefix := range prefixes {
		s := doc.Components.Schemas[name].Value
		re := regexp.MustCompile(s.Pattern)
		for range 100 {
			if id := switchboard.NewID(prefix); !re.MatchString(id) {
				t.Errorf("%s pattern %s rejects %s", name, s.Pattern, id)
				break
			}
		}
		if re.MatchString(switchboard.NewID("x")) {
			t.Errorf("%s pattern accepts another prefix", name)
		}
		if !strings.Contains(s.Description, "`"+prefix+"_`") {
			t.Errorf("%s description does not name its prefix %s_", name, prefix)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// sampleEventData is the data of an event as it is delivered.
func sampleEventData(t *testing.T, ev *switchboard.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(ev.Data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkOAuthResponses checks the endpoints of the OAuth 2.0 authorization
// server, which speak OAuth's formats rather than the API's: their errors
// are RFC 6749 §5.2 JSON (OAuthError), and the authorization endpoint
// answers with a page or a redirect.
func checkOAuthResponses(t *testing.T, o operation) {
	for code, ref := range o.op.Responses.Map() {
		resp := ref.Value
		if resp.Description == nil || *resp.Description == "" {
			t.Errorf("response %s has no description", code)
		}
		if resp.Headers["X-Request-Id"] == nil {
			t.Errorf("response %s does not declare X-Request-Id", code)
		}
		status, err := strconv.Atoi(code)
		if err != nil || status < 400 {
			continue
		}
		mt := resp.Content.Get("application/json")
		if mt == nil {
			mt = resp.Content.Get("text/html") // the consent page's refusals
			if mt == nil || o.path != "/oauth/authorize" {
				t.Errorf("response %s is neither an OAuthError nor a page", code)
			}
			continue
		}
		if mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/OAuthError" {
			t.Errorf("response %s is not an OAuthError", code)
		}
	}
}
