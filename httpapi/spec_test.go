package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/switchboardhq/switchboard/api"
	"github.com/switchboardhq/switchboard/httpapi"
)

// specChecker validates every response a test receives against the
// OpenAPI document.
type specChecker struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	specOnce sync.Once
	specDoc  *specChecker
	specErr  error
)

func loadSpec(t testing.TB) *specChecker {
	t.Helper()
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(api.Document)
		if err != nil {
			specErr = err
			return
		}
		doc.Servers = openapi3.Servers{{URL: "http://127.0.0.1"}} // match any loopback test server by path
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			specErr = err
			return
		}
		specDoc = &specChecker{doc: doc, router: r}
	})
	if specErr != nil {
		t.Fatalf("loading the OpenAPI document: %v", specErr)
	}
	return specDoc
}

// check validates a response against the operation of its request. Paths
// that the document does not describe (404s by design) are skipped: the
// route test below proves every real route is described.
func (c *specChecker) check(t testing.TB, req *http.Request, r *response) {
	t.Helper()
	probe := req.Clone(context.Background())
	probe.URL.Host = "127.0.0.1"
	probe.Host = "127.0.0.1"
	route, params, err := c.router.FindRoute(probe)
	if err != nil {
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: r.status,
		Header: r.header,
		Body:   io.NopCloser(bytes.NewReader(r.body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus:   true,
			ExcludeResponseBody:     strings.HasPrefix(r.header.Get("Content-Type"), "text/html"), // no HTML decoder
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020()},
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s answered %d, which does not match the OpenAPI document: %v\n%s", req.Method, req.URL.Path, r.status, err, r.body)
	}
}

// TestRoutesMatchDocument proves the server registers exactly the
// operations the OpenAPI document describes.
func TestRoutesMatchDocument(t *testing.T) {
	spec := loadSpec(t)
	documented := map[string]bool{}
	for path, item := range spec.doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	srv := httpapi.New(httpapi.Config{PublicURL: "http://x"}, httpapi.Deps{Registry: newRegistry()})
	registered := map[string]bool{}
	for _, r := range srv.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	var missing, extra []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("registered but not documented: %s\ndocumented but not registered: %s",
			strings.Join(missing, ", "), strings.Join(extra, ", "))
	}
}
