package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
	inthttp "github.com/switchboardhq/switchboard/integration/http"
	"github.com/switchboardhq/switchboard/tmpl"
)

func parse(t *testing.T, raw string) (map[string]any, map[string]string, error) {
	t.Helper()
	return inthttp.New().Spec().ParseConfig(json.RawMessage(raw), nil, nil)
}

func TestConfig(t *testing.T) {
	config, secrets, err := parse(t, `{"url":"https://desk.example.com/api/{{params.kind}}","method":"PUT","headers":{"Authorization":"Bearer x"},"timeout":"5s","store_as":"ticket.latest"}`)
	if err != nil {
		t.Fatal(err)
	}
	if config["headers"] != nil || !strings.Contains(secrets["headers"], "Bearer x") || config["method"] != "PUT" {
		t.Fatalf("config %v secrets %v", config, secrets)
	}
	urls := inthttp.New().Spec().URLs(config, secrets)
	if urls["config.url"] != "https://desk.example.com/" {
		t.Fatalf("URLs to check: %v", urls)
	}
	for raw, field := range map[string]string{
		`{}`:                                  "config.url",
		`{"url":"ftp://x.example"}`:           "config.url",
		`{"url":"https://{{params.host}}/x"}`: "config.url",
		`{"url":"https://x.example","method":"TRACE"}`:  "config.method",
		`{"url":"https://x.example","headers":{"A":1}}`: "config.headers.A",
		`{"url":"https://x.example","timeout":"2m"}`:    "config.timeout",
		`{"url":"https://x.example","store_as":"a..b"}`: "config.store_as",
		`{"url":"https://x.example","body":"{nope"}`:    "config.body",
		`{"url":"https://x.example","colour":"red"}`:    "config.colour",
	} {
		_, _, err := parse(t, raw)
		var e *sb.Error
		if !asError(err, &e) || len(e.Fields) == 0 || e.Fields[0].Field != field {
			t.Errorf("%s: %v, want an error naming %s", raw, err, field)
		}
	}
}

func asError(err error, e **sb.Error) bool {
	x, ok := err.(*sb.Error)
	*e = x
	return ok
}

// TestCall sends the templated request: JSON-escaped values in the body,
// the secret headers, the run's idempotency key; the answer is the run's
// result and, with store_as, a fact about the contact.
func TestCall(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":35436,"status":"open"}`)
	}))
	defer srv.Close()
	config, secrets, err := parse(t, `{"url":"`+srv.URL+`/api/v2/{{params.kind}}","headers":{"Authorization":"Bearer {{params.token}}"},
		"body":"{\"subject\": \"{{params.subject}}\", \"by\": \"{{contact.name}}\"}","store_as":"ticket.latest"}`)
	if err != nil {
		t.Fatal(err)
	}
	in := &sb.Integration{ID: "int_1", Type: "http", Config: config, Secrets: secrets}
	contact := &sb.Contact{ID: "ct_1", Name: `Ada "the" Lovelace`}
	params := json.RawMessage(`{"kind":"tickets","token":"t0k","subject":"Line one\nline \"two\""}`)
	vars := tmpl.Vars{Contact: contact, Params: params}
	res, err := inthttp.New().Run(context.Background(), &sb.ActionCall{
		Integration: in, Action: "call", Params: params, IdempotencyKey: "run_1", Attempt: 1, Contact: contact, Client: srv.Client(),
		Fill: vars.Fill,
		FillJSON: func(ctx context.Context, s string) (string, error) {
			return tmpl.Render(ctx, s, vars.Lookup, tmpl.JSONString)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var sent map[string]string
	if err := json.Unmarshal(body, &sent); err != nil || sent["subject"] != "Line one\nline \"two\"" || sent["by"] != `Ada "the" Lovelace` {
		t.Fatalf("body %s: %v", body, err)
	}
	if got.URL.Path != "/api/v2/tickets" || got.Method != "POST" || got.Header.Get("Authorization") != "Bearer t0k" ||
		got.Header.Get("Idempotency-Key") != "run_1" || got.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %s %v", got.Method, got.URL, got.Header)
	}
	if string(res.Output) != `{"id":35436,"status":"open"}` || res.StatusCode != 200 || len(res.Facts) != 1 ||
		res.Facts[0].Key != "ticket.latest" || res.Facts[0].ContactID != "ct_1" || res.Facts[0].Text != "open" {
		t.Fatalf("result %+v", res)
	}
}

// TestErrors classifies the answers: 5xx and 429 retryable, 401
// credentials refused, 422 permanent with the body kept for the log.
func TestErrors(t *testing.T) {
	status := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		http.Error(w, `{"error":"nope"}`, status)
	}))
	defer srv.Close()
	config, _, _ := parse(t, `{"url":"`+srv.URL+`"}`)
	call := &sb.ActionCall{Integration: &sb.Integration{Config: config}, Action: "call", Params: json.RawMessage(`{}`), Client: srv.Client(),
		Fill: func(_ context.Context, s string) (string, error) { return s, nil }}
	for _, c := range []struct {
		status             int
		retryable, refused bool
	}{{503, true, false}, {429, true, false}, {401, false, true}, {403, false, true}, {422, false, false}} {
		status = c.status
		_, err := inthttp.New().Run(context.Background(), call)
		ae, ok := err.(*sb.ActionError)
		if !ok || ae.Retryable != c.retryable || ae.CredentialsRefused != c.refused || ae.StatusCode != c.status ||
			!strings.Contains(ae.Response, "nope") || ae.Header.Get("Retry-After") != "7" {
			t.Errorf("%d: %#v", c.status, err)
		}
	}
	srv.Close()
	_, err := inthttp.New().Run(context.Background(), call)
	if ae, ok := err.(*sb.ActionError); !ok || !ae.Retryable || strings.Contains(ae.Message, srv.URL) {
		t.Errorf("network error: %#v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
