package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

// fakeDesk is a help desk's API on loopback: it records the tickets it
// is sent, and answers 500 while failing is set.
type fakeDesk struct {
	srv     *httptest.Server
	mu      sync.Mutex
	auth    []string
	bodies  []string
	failing bool
	refused bool // answers 401: the credentials are refused
}

func newFakeDesk(t *testing.T) *fakeDesk {
	d := &fakeDesk{}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		d.mu.Lock()
		defer d.mu.Unlock()
		d.auth, d.bodies = append(d.auth, r.Header.Get("Authorization")), append(d.bodies, string(b))
		if d.refused {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		if d.failing {
			http.Error(w, "desk is down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ticket":"T-42","note":"<img src=x onerror=alert(1)>"}`)
	}))
	t.Cleanup(d.srv.Close)
	return d
}

// waitRun runs due jobs until the run is finished.
func (s *opsStack) waitRun(t *testing.T, id string) *sb.Run {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := s.pipe.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		run, err := s.app.GetRun(context.Background(), s.ws, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.FinishedAt != nil {
			return run
		}
	}
	t.Fatal("the run did not finish")
	return nil
}

var runPath = regexp.MustCompile(`^/integrations/(int_[0-9A-Za-z]+)/runs/(run_[0-9A-Za-z]+)$`)

// TestIntegrationsPages connects an http integration to a fake help desk
// through the form its spec describes, never shows its secret headers
// again, runs its action by hand (params checked against the schema),
// shows the run's attempts and the last error, disconnects and deletes
// after confirmations.
func TestIntegrationsPages(t *testing.T) {
	s := newOpsStack(t)
	desk := newFakeDesk(t)
	body := s.open(t, "/integrations", 200)
	for _, typ := range []string{"http", "shopify", "salesforce", "hubspot"} {
		if !strings.Contains(body, `href="/integrations/new?type=`+typ+`"`) {
			t.Fatalf("no way to connect %s", typ)
		}
	}
	body = s.open(t, "/integrations/new?type=http", 200)
	if !strings.Contains(body, `<input id="cfg-headers" name="config.headers" type="password"`) || !strings.Contains(body, `id="cfg-url"`) ||
		!strings.Contains(body, `<select id="cfg-method"`) {
		t.Fatalf("http form:\n%s", body)
	}
	s.open(t, "/integrations/new?type=nonsense", 400)
	s.open(t, "/integrations/new?type=shopify", 200)

	const secretHeaders = `{"Authorization":"Bearer s3cret-token"}`
	form := url.Values{"type": {"http"}, "name": {"Desk " + evilText}, "config.url": {"not a url"}, "config.headers": {secretHeaders}, "config.method": {"POST"}}
	_, body = s.submit(t, "/integrations/new", form, 400)
	if !strings.Contains(body, `id="cfg-url-error"`) || !strings.Contains(body, "config.url") {
		t.Fatalf("a bad URL names no field:\n%s", body)
	}
	if strings.Contains(body, "s3cret-token") {
		t.Fatal("a refused form shows the secret typed")
	}
	showsEscaped(t, "refused integration form", body)
	form.Set("config.url", desk.srv.URL+"/tickets")
	loc, _ := s.submit(t, "/integrations/new", form, http.StatusSeeOther)
	id := strings.TrimPrefix(loc, "/integrations/")
	body = s.open(t, loc, 200)
	showsEscaped(t, "integration page", body)
	if strings.Contains(body, "s3cret-token") || !strings.Contains(body, "set, leave empty to keep it") || !strings.Contains(body, `<span class="badge ok">connected</span>`) {
		t.Fatalf("integration page:\n%s", body)
	}

	// Params that the action's schema refuses name their field.
	_, body = s.submit(t, loc+"/run", url.Values{"action": {"call"}, "params": {`{"store_as": "not a key!"}`}}, 400)
	if !strings.Contains(body, "params.store_as") || !strings.Contains(body, `id="run-params-error"`) || !strings.Contains(body, "not a key!") {
		t.Fatalf("refused params:\n%s", body)
	}
	s.submit(t, loc+"/run", url.Values{"action": {"call"}, "params": {`{nope`}}, 400)
	s.submit(t, loc+"/run", url.Values{"action": {"nonsense"}, "params": {`{}`}}, 400)

	runLoc, _ := s.submit(t, loc+"/run", url.Values{"action": {"call"}, "params": {`{"subject": "Printer on fire"}`}}, http.StatusSeeOther)
	m := runPath.FindStringSubmatch(runLoc)
	if m == nil || m[1] != id {
		t.Fatalf("run: redirected to %q", runLoc)
	}
	run := s.waitRun(t, m[2])
	if run.Status != sb.RunSucceeded {
		t.Fatalf("run %+v", run)
	}
	desk.mu.Lock()
	if len(desk.auth) != 1 || desk.auth[0] != "Bearer s3cret-token" || !strings.Contains(desk.bodies[0], "Printer on fire") {
		t.Fatalf("the desk got %v %v", desk.auth, desk.bodies)
	}
	desk.failing = true
	desk.mu.Unlock()
	body = s.open(t, runLoc, 200)
	showsEscaped(t, "run page", body)
	for _, want := range []string{`<span class="badge ok">succeeded</span>`, "T-42", "<td>200</td>", "Printer on fire"} {
		if !strings.Contains(body, want) {
			t.Fatalf("run page lacks %q:\n%s", want, body)
		}
	}
	s.open(t, "/integrations/int_01ARZ3NDEKTSV4RRFFQ69G5FAV/runs/"+m[2], 404)

	// A failing run: its attempts and the integration's last error.
	runLoc, _ = s.submit(t, loc+"/run", url.Values{"action": {"call"}, "params": {`{}`}}, http.StatusSeeOther)
	failed := s.waitRun(t, runPath.FindStringSubmatch(runLoc)[2])
	if failed.Status != sb.RunFailed || len(failed.Attempts) != 2 {
		t.Fatalf("failed run %+v", failed)
	}
	body = s.open(t, runLoc, 200)
	if !strings.Contains(body, `<span class="badge bad">failed</span>`) || strings.Count(body, "<td>500</td>") != 2 || !strings.Contains(body, "desk is down") {
		t.Fatalf("failed run page:\n%s", body)
	}
	body = s.open(t, loc, 200)
	if !strings.Contains(body, "Last error") || strings.Count(body, `href="/integrations/`+id+`/runs/run_`) < 3 {
		t.Fatalf("integration page after a failure:\n%s", body)
	}

	// Credentials the desk refuses put the integration in error, until it
	// is connected again.
	desk.mu.Lock()
	desk.refused = true
	desk.mu.Unlock()
	runLoc, _ = s.submit(t, loc+"/run", url.Values{"action": {"call"}, "params": {`{}`}}, http.StatusSeeOther)
	s.waitRun(t, runPath.FindStringSubmatch(runLoc)[2])
	body = s.open(t, loc, 200)
	if !strings.Contains(body, `<span class="badge bad">error</span>`) || !strings.Contains(body, "refused the credentials") ||
		!strings.Contains(body, `action="/integrations/`+id+`/connect"`) {
		t.Fatalf("integration in error:\n%s", body)
	}
	desk.mu.Lock()
	desk.refused = false
	desk.mu.Unlock()
	s.submit(t, loc+"/connect", url.Values{}, http.StatusSeeOther)

	// Saving the settings without the secret keeps it.
	s.submit(t, loc+"/edit", url.Values{"name": {"Help desk"}, "config.url": {desk.srv.URL + "/v2/tickets"}, "config.timeout": {"5s"}}, http.StatusSeeOther)
	in, _ := s.db.GetIntegration(context.Background(), s.ws, id)
	if in.Name != "Help desk" || in.Config["url"] != desk.srv.URL+"/v2/tickets" || !strings.Contains(in.Secrets["headers"], "s3cret-token") {
		t.Fatalf("saved settings: %+v", in)
	}
	_, body = s.submit(t, loc+"/edit", url.Values{"name": {"Help desk"}, "config.url": {desk.srv.URL}, "config.timeout": {"forever"}}, 400)
	if !strings.Contains(body, `id="cfg-timeout-error"`) {
		t.Fatalf("a bad timeout names no field:\n%s", body)
	}
	_, body = s.submit(t, loc+"/edit", url.Values{"name": {" "}, "config.url": {desk.srv.URL}}, 400)
	if !strings.Contains(body, `id="name-error"`) {
		t.Fatalf("an empty name is not named:\n%s", body)
	}

	// Disconnect after a confirmation; runs are refused until connected.
	body = s.open(t, loc+"/disconnect", 200)
	if !strings.Contains(body, "Disconnect the integration Help desk?") {
		t.Fatalf("disconnect confirmation:\n%s", body)
	}
	s.submit(t, loc+"/disconnect", url.Values{}, http.StatusSeeOther)
	_, body = s.submit(t, loc+"/run", url.Values{"action": {"call"}, "params": {`{}`}}, http.StatusConflict)
	if !strings.Contains(body, "disconnected") {
		t.Fatal("a run of a disconnected integration does not say why it is refused")
	}
	s.submit(t, loc+"/connect", url.Values{}, http.StatusSeeOther)
	if in, _ := s.db.GetIntegration(context.Background(), s.ws, id); in.Status != sb.IntegrationConnected {
		t.Fatalf("status %s", in.Status)
	}
	// The http type registers nothing: said plainly.
	s.submit(t, loc+"/register", url.Values{}, http.StatusUnprocessableEntity)

	// Automations.
	s.open(t, "/automations", 200)
	body = s.open(t, "/automations/new?integration_id="+id, 200)
	if !strings.Contains(body, `<option value="`+id+`" selected>`) {
		t.Fatal("the new automation form does not preselect the integration")
	}
	auto := url.Values{"name": {"Ticket on handoff " + evilText}, "event_types": {"conversation.updated"}, "filter": {`{"data.conversation.status": `},
		"integration_id": {id}, "action": {"call"}, "params": {`{"subject": "{{event.data.conversation.id}}"}`}, "enabled": {"1"}}
	_, body = s.submit(t, "/automations/new", auto, 400)
	if !strings.Contains(body, `id="filter-error"`) {
		t.Fatalf("a bad filter names no field:\n%s", body)
	}
	auto.Set("filter", `{"data.conversation.status": "handoff"}`)
	auto.Set("action", "nonsense")
	_, body = s.submit(t, "/automations/new", auto, 400)
	if !strings.Contains(body, `id="action-error"`) {
		t.Fatalf("a bad action names no field:\n%s", body)
	}
	auto.Set("action", "call")
	auto.Set("event_types", "conversation.updated nonsense.x")
	_, body = s.submit(t, "/automations/new", auto, 400)
	if !strings.Contains(body, `id="event_types-error"`) {
		t.Fatalf("a bad event type names no field:\n%s", body)
	}
	auto.Set("event_types", "conversation.updated")
	s.submit(t, "/automations/new", auto, http.StatusSeeOther)
	list, _ := s.app.ListAutomations(context.Background(), s.ws, sb.Page{Limit: 10})
	if len(list) != 1 || !list[0].Enabled || list[0].Filter["data.conversation.status"] != "handoff" {
		t.Fatalf("automations %+v", list)
	}
	aid := list[0].ID
	body = s.open(t, "/automations", 200)
	showsEscaped(t, "automations", body)
	if !strings.Contains(body, "<code>conversation.updated</code>") || !strings.Contains(body, "Help desk</a>: <code>call</code>") {
		t.Fatalf("automations page:\n%s", body)
	}
	s.submit(t, "/automations/"+aid+"/disable", url.Values{}, http.StatusSeeOther)
	if a, _ := s.app.GetAutomation(context.Background(), s.ws, aid); a.Enabled {
		t.Fatal("not disabled")
	}
	body = s.open(t, "/automations/"+aid, 200)
	if strings.Contains(body, "checked") || !strings.Contains(body, "{{event.data.conversation.id}}") {
		t.Fatalf("automation form:\n%s", body)
	}
	auto.Set("name", "Ticket on handoff")
	auto.Set("event_types", "conversation.*")
	s.submit(t, "/automations/"+aid, auto, http.StatusSeeOther)
	if a, _ := s.app.GetAutomation(context.Background(), s.ws, aid); !a.Enabled || a.EventTypes[0] != "conversation.*" {
		t.Fatalf("edited automation %+v", a)
	}
	body = s.open(t, "/automations/"+aid+"/delete", 200)
	if !strings.Contains(body, "Delete the automation Ticket on handoff?") {
		t.Fatalf("automation delete confirmation:\n%s", body)
	}

	agentRefused(t, s.stack, "/integrations", loc, runLoc, "/integrations/new?type=http", "/automations", "/automations/"+aid, loc+"/delete")

	// Deleting the integration names the automation that goes with it.
	body = s.open(t, loc+"/delete", 200)
	if !strings.Contains(body, "Delete the integration Help desk?") || !strings.Contains(body, "1 automation(s) that run its actions are deleted: Ticket on handoff.") {
		t.Fatalf("integration delete confirmation:\n%s", body)
	}
	s.submit(t, loc+"/delete", url.Values{}, http.StatusSeeOther)
	s.open(t, loc, 404)
	if list, _ := s.app.ListAutomations(context.Background(), s.ws, sb.Page{Limit: 10}); len(list) != 0 {
		t.Fatalf("automations left %v", list)
	}
}

// TestAutomationDelete deletes an automation after its confirmation.
func TestAutomationDelete(t *testing.T) {
	s := newOpsStack(t)
	loc, _ := s.submit(t, "/integrations/new", url.Values{"type": {"http"}, "name": {"Sheet"}, "config.url": {"http://127.0.0.1:9/rows"}}, http.StatusSeeOther)
	id := strings.TrimPrefix(loc, "/integrations/")
	s.submit(t, "/automations/new", url.Values{"name": {"Row per end"}, "event_types": {"conversation.ended"}, "integration_id": {id},
		"action": {"call"}, "params": {"{}"}, "enabled": {"1"}}, http.StatusSeeOther)
	list, _ := s.app.ListAutomations(context.Background(), s.ws, sb.Page{Limit: 10})
	s.submit(t, "/automations/"+list[0].ID+"/delete", url.Values{}, http.StatusSeeOther)
	if list, _ := s.app.ListAutomations(context.Background(), s.ws, sb.Page{Limit: 10}); len(list) != 0 {
		t.Fatal("not deleted")
	}
	s.open(t, "/automations/"+list[0].ID, 404)
}

// TestIntegrationRunsPaginate: an integration's runs come fifty a page,
// with the API's cursors.
func TestIntegrationRunsPaginate(t *testing.T) {
	s := newOpsStack(t)
	loc, _ := s.submit(t, "/integrations/new", url.Values{"type": {"http"}, "name": {"Sheet"}, "config.url": {"http://127.0.0.1:9/rows"}}, http.StatusSeeOther)
	id := strings.TrimPrefix(loc, "/integrations/")
	for range 55 {
		if _, err := s.app.RunAction(context.Background(), s.ws, id, "call", &app.RunActionParams{}); err != nil {
			t.Fatal(err)
		}
	}
	count := func(body string) int { return strings.Count(body, `<a href="/integrations/`+id+`/runs/run_`) }
	body := s.open(t, loc, 200)
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(body)
	if count(body) != 50 || next == nil {
		t.Fatalf("first page: %d runs", count(body))
	}
	if b := s.open(t, htmlUnescape(next[1]), 200); count(b) != 5 || strings.Contains(b, `rel="next"`) {
		t.Fatalf("second page: %d runs", count(b))
	}
}
