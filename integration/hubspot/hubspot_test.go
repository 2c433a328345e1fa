package hubspot

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/hubspot/hubspottest"
)

var maria = &sb.Contact{ID: "ct_1", Name: "María José López", Email: "maria.lopez@example.org", Phone: "+34612345678"}

func integration(t *testing.T, base string) *sb.Integration {
	t.Helper()
	config, secrets, err := New().Spec().ParseConfig(json.RawMessage(`{"access_token":"pat-eu1-good","api_base_url":"`+base+`"}`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &sb.Integration{ID: "int_hs", Type: sb.IntegrationHubSpot, Config: config, Secrets: secrets}
}

func run(t *testing.T, in *sb.Integration, params string, contact *sb.Contact) (map[string]any, *sb.ActionError) {
	t.Helper()
	res, err := New().Run(context.Background(), &sb.ActionCall{Integration: in, Action: ActionUpsertContact,
		Params: json.RawMessage(params), Contact: contact, Client: http.DefaultClient, Now: time.Now(), Attempt: 1})
	if err != nil {
		e, ok := err.(*sb.ActionError)
		if !ok {
			t.Fatalf("Run error %T %v", err, err)
		}
		return nil, e
	}
	var out map[string]any
	if err := json.Unmarshal(res.Output, &out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

func TestUpsertContactCreatesThenUpdates(t *testing.T) {
	hs := hubspottest.NewServer("pat-eu1-good")
	defer hs.Close()
	in := integration(t, hs.URL)
	out, err := run(t, in, `{"company":"Club Deportivo Norte","properties":{"lifecyclestage":"lead"}}`, maria)
	if err != nil {
		t.Fatal(err)
	}
	c := hs.Contacts()["maria.lopez@example.org"]
	if out["created"] != true || out["id"] != c.ID {
		t.Fatalf("out %v, contact %+v", out, c)
	}
	for k, v := range map[string]string{"firstname": "María José", "lastname": "López", "phone": "+34612345678", "company": "Club Deportivo Norte", "lifecyclestage": "lead"} {
		if c.Properties[k] != v {
			t.Errorf("%s = %q, want %q", k, c.Properties[k], v)
		}
	}
	var req struct {
		Inputs []upsertInput `json:"inputs"`
	}
	call := hs.Calls()[0]
	if err := json.Unmarshal(call.Body, &req); err != nil || len(req.Inputs) != 1 || req.Inputs[0].IDProperty != "email" || req.Inputs[0].ID != "maria.lopez@example.org" {
		t.Fatalf("request %s", call.Body)
	}
	if call.Token != "pat-eu1-good" || call.Path != "/crm/v3/objects/contacts/batch/upsert" {
		t.Errorf("call %+v", call)
	}
	out, err = run(t, in, `{"email":"MARIA.LOPEZ@example.org","phone":"+34 600 000 000"}`, nil)
	if err != nil || out["created"] != false || out["id"] != c.ID {
		t.Fatalf("second run = %v, %v", out, err)
	}
	if n := len(hs.Contacts()); n != 1 {
		t.Errorf("%d contacts", n)
	}
	if p := hs.Contacts()["maria.lopez@example.org"].Properties; p["phone"] != "+34 600 000 000" || p["company"] != "Club Deportivo Norte" {
		t.Errorf("updated %v", p)
	}
}

// TestRequestSample: the request built matches the sample in testdata.
func TestRequestSample(t *testing.T) {
	in, err := input(&sb.ActionCall{Params: json.RawMessage(`{"company":"Club Deportivo Norte"}`), Contact: maria})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(map[string][]upsertInput{"inputs": {*in}})
	var a, b any
	_ = json.Unmarshal(got, &a)
	_ = json.Unmarshal(read(t, "batch_upsert_request.json"), &b)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("request\n%s\nwant\n%s", ja, jb)
	}
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// replay serves a testdata answer with its headers (a .headers file of
// "Name: value" lines).
func replay(t *testing.T, status int, name string) *httptest.Server {
	t.Helper()
	body := read(t, name+".json")
	h := http.Header{}
	if raw, err := os.ReadFile("testdata/" + name + ".headers"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(raw))
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ": ")
			h.Add(k, v)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAnswersFromTestdata(t *testing.T) {
	out, err := run(t, integration(t, replay(t, 200, "batch_upsert_created").URL), `{}`, maria)
	if err != nil || out["id"] != "112233445566" || out["created"] != true {
		t.Fatalf("created sample: %v, %v", out, err)
	}
	_, err = run(t, integration(t, replay(t, 429, "error_429").URL), `{}`, maria)
	if err == nil || !err.Retryable || err.RetryAfter != 10*time.Second || err.Message != "hubspot: upsert contact: RATE_LIMIT: You have reached your ten_secondly_rolling limit." {
		t.Fatalf("429 sample: %#v", err)
	}
	_, err = run(t, integration(t, replay(t, 401, "error_401").URL), `{}`, maria)
	if err == nil || !err.CredentialsRefused || err.Retryable || !strings.Contains(err.Message, "INVALID_AUTHENTICATION: Authentication credentials not found") {
		t.Fatalf("401 sample: %#v", err)
	}
	_, err = run(t, integration(t, replay(t, 400, "error_validation").URL), `{}`, maria)
	if err == nil || err.Retryable || err.CredentialsRefused || !strings.Contains(err.Message, "VALIDATION_ERROR") || !strings.Contains(err.Response, "PROPERTY_DOESNT_EXIST") {
		t.Fatalf("validation sample: %#v", err)
	}
}

func TestRateLimitsAndErrors(t *testing.T) {
	hs := hubspottest.NewServer("pat-eu1-good")
	defer hs.Close()
	in := integration(t, hs.URL)
	hs.FailNext(1, hubspottest.Error429(10000, 0))
	_, err := run(t, in, `{}`, maria)
	if err == nil || !err.Retryable || err.RetryAfter != 10*time.Second || err.StatusCode != 429 {
		t.Fatalf("429 without Retry-After: %#v", err)
	}
	hs.FailNext(1, hubspottest.Error429(10000, 2))
	if _, err = run(t, in, `{}`, maria); err == nil || err.RetryAfter != 2*time.Second {
		t.Fatalf("429 with Retry-After: %#v", err)
	}
	daily := hubspottest.Error429(86400000, 0)
	daily.Header.Set(HeaderDailyRemaining, "0")
	hs.FailNext(1, daily)
	if _, err = run(t, in, `{}`, maria); err == nil || err.RetryAfter != dailyWait {
		t.Fatalf("daily limit: %#v", err)
	}
	hs.FailNext(1, hubspottest.Error502)
	if _, err = run(t, in, `{}`, maria); err == nil || !err.Retryable || err.RetryAfter != 0 || err.StatusCode != 502 {
		t.Fatalf("502: %#v", err)
	}
	if len(hs.Contacts()) != 0 {
		t.Fatalf("contacts after failures: %v", hs.Contacts())
	}
	if _, err = run(t, in, `{}`, maria); err != nil {
		t.Fatal(err)
	}
	in.Secrets["access_token"] = "pat-eu1-revoked"
	if _, err = run(t, in, `{}`, maria); err == nil || !err.CredentialsRefused || err.StatusCode != 401 {
		t.Fatalf("revoked token: %#v", err)
	}
	in.Secrets["access_token"] = "pat-eu1-good"
	if _, err = run(t, in, `{"properties":{"favourite_colour":"green"}}`, maria); err == nil || err.Retryable || !strings.Contains(err.Message, "PROPERTY_DOESNT_EXIST") {
		t.Fatalf("unknown property: %#v", err)
	}
	for _, tc := range []struct {
		params  string
		contact *sb.Contact
	}{{`{}`, nil}, {`{}`, &sb.Contact{Name: "No Email"}}, {`{"email":"not an email"}`, nil}, {`[]`, maria}} {
		if _, err = run(t, in, tc.params, tc.contact); err == nil || err.Retryable || err.CredentialsRefused {
			t.Errorf("params %s contact %v: %#v", tc.params, tc.contact, err)
		}
	}
	hs.Close()
	if _, err = run(t, in, `{}`, maria); err == nil || !err.Retryable || strings.Contains(err.Message, hs.URL) {
		t.Fatalf("closed server: %#v", err)
	}
}

// TestPartialFailure: a 207 whose one input failed is a permanent error
// with HubSpot's message.
func TestPartialFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(207)
		w.Write([]byte(`{"status":"COMPLETE","results":[],"numErrors":1,"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"Email address x@ is invalid","context":{}}],"startedAt":"2026-12-01T10:15:02.051Z","completedAt":"2026-12-01T10:15:02.177Z"}`))
	}))
	defer srv.Close()
	_, err := run(t, integration(t, srv.URL), `{}`, maria)
	if err == nil || err.Retryable || err.Message != "hubspot: upsert contact: VALIDATION_ERROR: Email address x@ is invalid" {
		t.Fatalf("207: %#v", err)
	}
}

func TestSpecConfig(t *testing.T) {
	if _, _, err := New().Spec().ParseConfig(json.RawMessage(`{}`), nil, nil); err == nil || !strings.Contains(err.Error(), "config.access_token") {
		t.Fatalf("no token: %v", err)
	}
	config, secrets, err := New().Spec().ParseConfig(json.RawMessage(`{"access_token":"pat"}`), nil, nil)
	if err != nil || secrets["access_token"] != "pat" || len(config) != 0 {
		t.Fatalf("%v %v %v", config, secrets, err)
	}
}
