package salesforce

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/integration/salesforce/salesforcetest"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"maria@example.org":    `'maria@example.org'`,
		"o'brien@example.com":  `'o\'brien@example.com'`,
		`a\b@example.com`:      `'a\\b@example.com'`,
		`"q"@example.com`:      `'\"q\"@example.com'`,
		"x' OR Name != '":      `'x\' OR Name != \''`,
		"line\nbreak\ttab\r\f": `'line\nbreak\ttab\r\f'`,
		"\\'":                  `'\\\''`,
		"ünïcode":              `'ünïcode'`,
	} {
		got, err := Quote(in)
		if err != nil || got != want {
			t.Errorf("Quote(%q) = %s, %v; want %s", in, got, err, want)
		}
		value, rest, err := salesforcetest.ParseLiteral(got + " AND")
		if err != nil || value != in || rest != " AND" {
			t.Errorf("SOQL reads Quote(%q) back as %q, rest %q, %v", in, value, rest, err)
		}
	}
	for _, in := range []string{"a\x00b", "a\x1bb", "\x7f"} {
		if _, err := Quote(in); err == nil {
			t.Errorf("Quote(%q) accepted a control character", in)
		}
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a'b", `\`, `\'`, "''", "\n", `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Quote(s)
		if err != nil || !utf8.ValidString(s) {
			return
		}
		value, rest, err := salesforcetest.ParseLiteral(q + " AND IsConverted = false")
		if err != nil || value != s || rest != " AND IsConverted = false" {
			t.Fatalf("Quote(%q) = %s reads back as %q, rest %q, %v", s, q, value, rest, err)
		}
	})
}

type fixture struct {
	t   *testing.T
	sf  *salesforcetest.Server
	p   *Provider
	in  *sb.Integration
	now time.Time
}

func newFixture(t *testing.T, extra string) *fixture {
	t.Helper()
	sf := salesforcetest.NewServer("3MVG9cid", "csecret", "5Aep861refresh")
	t.Cleanup(sf.Close)
	raw := `{"client_id":"3MVG9cid","client_secret":"csecret","refresh_token":"5Aep861refresh","api_base_url":"` + sf.URL + `"` + extra + `}`
	config, secrets, err := New().Spec().ParseConfig(json.RawMessage(raw), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, sf: sf, p: New(), now: time.Now(),
		in: &sb.Integration{ID: "int_sf", Type: sb.IntegrationSalesforce, Config: config, Secrets: secrets}}
}

func (f *fixture) run(params string, contact *sb.Contact, transcript string) (map[string]any, *sb.ActionError) {
	f.t.Helper()
	res, err := f.p.Run(context.Background(), &sb.ActionCall{Integration: f.in, Action: ActionUpsertLead,
		Params: json.RawMessage(params), Contact: contact, Transcript: transcript, Client: http.DefaultClient,
		Now: f.now, Attempt: 1, IdempotencyKey: "run_1"})
	if err != nil {
		e, ok := err.(*sb.ActionError)
		if !ok {
			f.t.Fatalf("Run error %T %v, want *sb.ActionError", err, err)
		}
		return nil, e
	}
	var out map[string]any
	if err := json.Unmarshal(res.Output, &out); err != nil {
		f.t.Fatal(err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		f.t.Errorf("result status %d", res.StatusCode)
	}
	return out, nil
}

var maria = &sb.Contact{ID: "ct_1", Name: "María José López", Email: "maria.lopez@example.org", Phone: "+34612345678"}

func TestUpsertLeadCreatesThenUpdates(t *testing.T) {
	f := newFixture(t, "")
	out, err := f.run(`{}`, maria, "contact: I want 20 hoodies for my team\nbot: Great, a colleague will call you")
	if err != nil {
		t.Fatal(err)
	}
	leads := f.sf.Leads()
	if len(leads) != 1 || out["created"] != true || out["id"] != leads[0].ID {
		t.Fatalf("out %v, leads %+v", out, leads)
	}
	want := map[string]any{"Email": "maria.lopez@example.org", "FirstName": "María José", "LastName": "López",
		"Company": DefaultCompany, "Phone": "+34612345678", "LeadSource": "Chatbot", "IsConverted": false,
		"Description": "contact: I want 20 hoodies for my team\nbot: Great, a colleague will call you"}
	for k, v := range want {
		if leads[0].Fields[k] != v {
			t.Errorf("%s = %v, want %v", k, leads[0].Fields[k], v)
		}
	}
	// The second conversation updates the same Lead: a company given now,
	// the newer transcript.
	out, err = f.run(`{"company":"Club Deportivo Norte","fields":{"Industry":"Sports"}}`, maria, "contact: make it 25")
	if err != nil {
		t.Fatal(err)
	}
	leads = f.sf.Leads()
	if len(leads) != 1 || out["created"] != false || out["id"] != leads[0].ID {
		t.Fatalf("second run: out %v, %d leads", out, len(leads))
	}
	if l := leads[0].Fields; l["Description"] != "contact: make it 25" || l["Company"] != "Club Deportivo Norte" || l["Industry"] != "Sports" || l["LastName"] != "López" {
		t.Errorf("updated lead %v", l)
	}
	// A third without company keeps it (an update never writes the default).
	if _, err := f.run(`{}`, maria, "contact: thanks"); err != nil {
		t.Fatal(err)
	}
	if l := f.sf.Leads()[0].Fields; l["Company"] != "Club Deportivo Norte" {
		t.Errorf("company overwritten: %v", l["Company"])
	}
	if n := len(f.sf.Calls("/services/oauth2/token")); n != 1 {
		t.Errorf("%d token requests for three runs, want 1 (cached)", n)
	}
	for _, c := range f.sf.Calls("/services/data/") {
		if !strings.HasPrefix(c.Path, "/services/data/v60.0/") || c.Token == "" {
			t.Errorf("call %s %s token %q", c.Method, c.Path, c.Token)
		}
	}
}

// TestEmailWithQuote: the email is quoted by SOQL's rules, so a quote in
// it finds the Lead (raw concatenation would be a MALFORMED_QUERY in the
// fake, as in Salesforce, or worse).
func TestEmailWithQuote(t *testing.T) {
	f := newFixture(t, "")
	id := f.sf.AddLead(map[string]any{"Email": "o'brien@example.com", "LastName": "O'Brien", "Company": "Acme"})
	f.sf.AddLead(map[string]any{"Email": "other@example.com", "LastName": "Other", "Company": "Acme"})
	out, err := f.run(`{"email":"o'brien@example.com"}`, nil, "contact: hi")
	if err != nil || out["id"] != id || out["created"] != false {
		t.Fatalf("run = %v, %v; want an update of %s", out, err, id)
	}
	q := f.sf.Calls("/query")[0].Query.Get("q")
	if !strings.Contains(q, `Email = 'o\'brien@example.com' AND`) {
		t.Errorf("query %s", q)
	}
	if len(f.sf.Leads()) != 2 {
		t.Errorf("a Lead was created")
	}
	// An attempt to widen the query is a value like any other.
	out, err = f.run(`{"email":"x@y.z' OR Email != 'a"}`, nil, "")
	if err == nil || err.Retryable || !strings.Contains(err.Message, "not an email address") {
		t.Fatalf("run with a crafted email = %v, %#v", out, err)
	}
}

func TestLeadDefaults(t *testing.T) {
	f := newFixture(t, "")
	if _, err := f.run(`{}`, &sb.Contact{Email: "solo@example.org"}, ""); err != nil {
		t.Fatal(err)
	}
	l := f.sf.Leads()[0].Fields
	if l["LastName"] != "solo" || l["Company"] != DefaultCompany || l["FirstName"] != nil || l["Description"] != nil {
		t.Errorf("lead %v", l)
	}
	if _, err := f.run(`{}`, &sb.Contact{Name: "Cher"}, ""); err == nil || err.Retryable || !strings.Contains(err.Message, "no email") {
		t.Errorf("no email: %#v", err)
	}
	long := strings.Repeat("é", maxDescription+10)
	if _, err := f.run(`{"email":"long@example.org"}`, nil, long); err != nil {
		t.Fatal(err)
	}
	if d := f.sf.Leads()[1].Fields["Description"].(string); len([]rune(d)) != maxDescription {
		t.Errorf("description of %d characters", len([]rune(d)))
	}
}

func TestExpiredTokenRefreshedOnce(t *testing.T) {
	f := newFixture(t, "")
	if _, err := f.run(`{}`, maria, "a"); err != nil {
		t.Fatal(err)
	}
	f.sf.ExpireTokens()
	if _, err := f.run(`{}`, maria, "b"); err != nil {
		t.Fatalf("run with an expired token: %v", err)
	}
	if n := len(f.sf.Calls("/services/oauth2/token")); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
	if len(f.sf.Leads()) != 1 || f.sf.Leads()[0].Fields["Description"] != "b" {
		t.Errorf("leads %+v", f.sf.Leads())
	}
}

func TestTokenLifetime(t *testing.T) {
	f := newFixture(t, "")
	for range 2 {
		if _, err := f.run(`{}`, maria, "a"); err != nil {
			t.Fatal(err)
		}
	}
	f.now = f.now.Add(DefaultTokenLifetime + time.Second)
	if _, err := f.run(`{}`, maria, "a"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.sf.Calls("/services/oauth2/token")); n != 2 {
		t.Errorf("%d token requests, want 2 (one when the first expired)", n)
	}
	// New credentials are another cache entry.
	f.in.Secrets["client_secret"] = "rotated"
	f.sf.ClientSecret = "rotated"
	if _, err := f.run(`{}`, maria, "a"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.sf.Calls("/services/oauth2/token")); n != 3 {
		t.Errorf("%d token requests, want 3 (new credentials)", n)
	}
}

func TestTokenFromTestdata(t *testing.T) {
	body, _ := os.ReadFile("testdata/token_refresh.json")
	var form []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		form = append(form, r.URL.Path, r.PostForm.Get("grant_type"), r.PostForm.Get("refresh_token"), r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"))
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	in := &sb.Integration{ID: "int_1", Config: map[string]any{"login_url": srv.URL, "client_id": "cid"},
		Secrets: map[string]string{"client_secret": "cs", "refresh_token": "rt"}}
	issued := time.UnixMilli(1796140800000)
	tok, err := requestToken(context.Background(), http.DefaultClient, in, issued.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Data != "https://hoodiesandco.my.salesforce.com" || !strings.HasPrefix(tok.Access, "00D5g000004XyZ1!") || !tok.Expires.Equal(issued.Add(DefaultTokenLifetime)) {
		t.Errorf("token %+v", tok)
	}
	if strings.Join(form, " ") != "/services/oauth2/token refresh_token rt cid cs" {
		t.Errorf("request %q", form)
	}
}

func TestClientCredentialsGrant(t *testing.T) {
	sf := salesforcetest.NewServer("cid", "cs", "")
	defer sf.Close()
	sf.ClientCredentials = true
	p := New()
	in := &sb.Integration{ID: "int_cc", Config: map[string]any{"client_id": "cid", "api_base_url": sf.URL}, Secrets: map[string]string{"client_secret": "cs"}}
	_, err := p.Run(context.Background(), &sb.ActionCall{Integration: in, Action: ActionUpsertLead, Params: json.RawMessage(`{"email":"a@example.org"}`),
		Client: http.DefaultClient, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if g := sf.Calls("/services/oauth2/token")[0].Form; g.Get("grant_type") != "client_credentials" || g.Has("refresh_token") {
		t.Errorf("token form %v", g)
	}
}

func TestCredentialsRefused(t *testing.T) {
	f := newFixture(t, "")
	f.sf.RevokeRefreshToken()
	_, err := f.run(`{}`, maria, "")
	if err == nil || !err.CredentialsRefused || err.Retryable || !strings.Contains(err.Message, "invalid_grant") {
		t.Fatalf("revoked refresh token: %#v", err)
	}
	if len(f.sf.Calls("/services/data/")) != 0 {
		t.Errorf("the API was called without a token")
	}

	// A 401 on a fresh token: one refresh, then refused.
	f = newFixture(t, "")
	f.sf.FailNext(2, salesforcetest.ErrorInvalidSession)
	_, err = f.run(`{}`, maria, "")
	if err == nil || !err.CredentialsRefused || err.StatusCode != 401 || !strings.Contains(err.Message, "INVALID_SESSION_ID") {
		t.Fatalf("401 twice: %#v", err)
	}
	if n := len(f.sf.Calls("/services/oauth2/token")); n != 2 {
		t.Errorf("%d token requests, want 2 (the refresh once)", n)
	}

	f = newFixture(t, "")
	f.in.Secrets["client_secret"] = "wrong"
	if _, err = f.run(`{}`, maria, ""); err == nil || !err.CredentialsRefused || !strings.Contains(err.Message, "invalid_client") {
		t.Fatalf("wrong secret: %#v", err)
	}
}

func TestRetryableAndPermanentErrors(t *testing.T) {
	f := newFixture(t, "")
	for _, tc := range []struct {
		reply     salesforcetest.Reply
		retryable bool
		refused   bool
		message   string
	}{
		{salesforcetest.ErrorUnavailable, true, false, "SERVER_UNAVAILABLE"},
		{salesforcetest.Error429, true, false, "REQUEST_LIMIT_EXCEEDED"},
		{salesforcetest.ErrorRequestLimit, true, false, "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."},
		{salesforcetest.Reply{Status: 400, Body: string(readTestdata(t, "error_malformed_query.json"))}, false, false, "MALFORMED_QUERY"},
		{salesforcetest.Reply{Status: 403, Body: `[{"message":"insufficient access rights on object id","errorCode":"INSUFFICIENT_ACCESS_OR_READONLY"}]`}, false, true, "INSUFFICIENT_ACCESS_OR_READONLY"},
	} {
		f.sf.FailNext(1, tc.reply)
		_, err := f.run(`{}`, maria, "")
		if err == nil || err.Retryable != tc.retryable || err.CredentialsRefused != tc.refused || !strings.Contains(err.Message, tc.message) || err.Response != tc.reply.Body {
			t.Errorf("%d %s: %#v", tc.reply.Status, tc.reply.Body, err)
		}
	}
	f.sf.FailNext(1, salesforcetest.Error429)
	_, err := f.run(`{}`, maria, "")
	if err == nil || err.Header.Get("Retry-After") != "3" {
		t.Errorf("429 without its Retry-After: %#v", err)
	}
	// The create's REQUIRED_FIELD_MISSING is permanent and says so.
	f.sf.FailNext(1, salesforcetest.Reply{Status: 200, Body: string(readTestdata(t, "query_empty.json"))})
	f.sf.FailNext(1, salesforcetest.Reply{Status: 400, Body: string(readTestdata(t, "error_required_field.json"))})
	_, err = f.run(`{}`, maria, "")
	if err == nil || err.Retryable || err.Message != "salesforce: create Lead: REQUIRED_FIELD_MISSING: Required fields are missing: [Company]" {
		t.Errorf("required field: %#v", err)
	}
	if len(f.sf.Leads()) != 0 {
		t.Errorf("leads %+v", f.sf.Leads())
	}
	// The token endpoint down is retryable.
	f.p = New()
	f.sf.FailToken(1, salesforcetest.Reply{Status: 503, Body: "<html>down</html>"})
	if _, err := f.run(`{}`, maria, ""); err == nil || !err.Retryable || err.CredentialsRefused {
		t.Errorf("token endpoint 503: %#v", err)
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConcurrentRunsShareOneToken: runs of one integration that start
// together ask for one token.
func TestConcurrentRunsShareOneToken(t *testing.T) {
	f := newFixture(t, "")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.p.Run(context.Background(), &sb.ActionCall{Integration: f.in, Action: ActionUpsertLead,
				Params: json.RawMessage(`{"email":"c` + string(rune('a'+i)) + `@example.org"}`), Client: http.DefaultClient, Now: f.now})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(f.sf.Calls("/services/oauth2/token")); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

func TestSpecConfig(t *testing.T) {
	spec := New().Spec()
	for raw, field := range map[string]string{
		`{"client_secret":"x"}`: "config.client_id",
		`{"client_id":"x"}`:     "config.client_secret",
		`{"client_id":"x","client_secret":"y","api_version":"60"}`:  "config.api_version",
		`{"client_id":"x","client_secret":"y","api_version":"v60"}`: "config.api_version",
		`{"client_id":"x","client_secret":"y","login_url":"login"}`: "config.login_url",
	} {
		_, _, err := spec.ParseConfig(json.RawMessage(raw), nil, nil)
		e, ok := err.(*sb.Error)
		if !ok || e.Fields[0].Field != field {
			t.Errorf("ParseConfig(%s) = %v, want %s", raw, err, field)
		}
	}
	config, secrets, err := spec.ParseConfig(json.RawMessage(`{"client_id":"x","client_secret":"y","refresh_token":"z","api_version":"v61.0","login_url":"https://test.salesforce.com"}`), nil, nil)
	if err != nil || secrets["client_secret"] != "y" || secrets["refresh_token"] != "z" || config["client_secret"] != nil {
		t.Fatalf("%v %v %v", config, secrets, err)
	}
	if u := spec.URLs(config, secrets); u["config.login_url"] != "https://test.salesforce.com" {
		t.Errorf("URLs %v", u)
	}
}
