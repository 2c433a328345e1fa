package dashboard

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

// The Integrations page: the integrations of the workspace with their
// status, connecting one of each type of this build with the settings its
// provider describes (secrets as password inputs, never shown again), its
// runs with their attempts, running an action by hand, registering the
// inbound URL, disconnecting and deleting; and the automations, which run
// an integration's action on events.

func (h *Handler) mountIntegrations(mux *http.ServeMux) {
	mux.Handle("GET /integrations", h.page(true, h.integrationsPage))
	mux.Handle("GET /integrations/new", h.page(true, h.newIntegrationPage))
	mux.Handle("POST /integrations/new", h.page(true, h.createIntegration))
	mux.Handle("GET /integrations/{id}", h.page(true, h.integrationPage))
	mux.Handle("POST /integrations/{id}/edit", h.page(true, h.saveIntegration))
	mux.Handle("POST /integrations/{id}/run", h.page(true, h.runAction))
	mux.Handle("GET /integrations/{id}/runs/{run}", h.page(true, h.runPage))
	mux.Handle("POST /integrations/{id}/register", h.page(true, h.registerIntegration))
	mux.Handle("POST /integrations/{id}/connect", h.page(true, h.connectIntegration))
	mux.Handle("GET /integrations/{id}/disconnect", h.page(true, h.confirmDisconnect))
	mux.Handle("POST /integrations/{id}/disconnect", h.page(true, h.disconnectIntegration))
	mux.Handle("GET /integrations/{id}/delete", h.page(true, h.confirmDeleteIntegration))
	mux.Handle("POST /integrations/{id}/delete", h.page(true, deleteNamed(h, "integrations", "/integrations", h.app.GetIntegration,
		h.app.DeleteIntegration, func(in *sb.Integration) string { return "The integration " + in.Name + " was deleted." })))

	mux.Handle("GET /automations", h.page(true, h.automationsPage))
	mux.Handle("GET /automations/new", h.page(true, h.automationPage))
	mux.Handle("POST /automations/new", h.page(true, h.saveAutomation))
	mux.Handle("GET /automations/{id}", h.page(true, h.automationPage))
	mux.Handle("POST /automations/{id}", h.page(true, h.saveAutomation))
	mux.Handle("POST /automations/{id}/enable", h.page(true, h.enableAutomation))
	mux.Handle("POST /automations/{id}/disable", h.page(true, h.enableAutomation))
	mux.Handle("GET /automations/{id}/delete", h.page(true, h.confirmDeleteAutomation))
	mux.Handle("POST /automations/{id}/delete", h.page(true, deleteNamed(h, "integrations", "/automations", h.app.GetAutomation,
		h.app.DeleteAutomation, func(a *sb.Automation) string { return "The automation " + a.Name + " was deleted." })))
}

// integrationBadge is the badge class of an integration's status.
func integrationBadge(status string) string {
	switch status {
	case sb.IntegrationConnected:
		return "ok"
	case sb.IntegrationError:
		return "bad"
	}
	return "warn"
}

type integrationRow struct {
	*sb.Integration
	Badge string
}

type integrationsView struct {
	Integrations []integrationRow
	Specs        []*sb.IntegrationSpec
	Pager        pager
}

func (h *Handler) integrationsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	data := &integrationsView{Specs: h.app.IntegrationSpecs()}
	p := &pageView{Title: "Integrations", Section: "integrations", visit: v, Data: data}
	list, err := h.app.ListIntegrations(r.Context(), v.Workspace, listPage(r))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	list, data.Pager = paginate(r, list, func(in *sb.Integration) string { return in.ID })
	for _, in := range list {
		data.Integrations = append(data.Integrations, integrationRow{in, integrationBadge(in.Status)})
	}
	h.show(w, http.StatusOK, "integrations", p)
}

// settingField is one setting of an integration's form.
type settingField struct {
	p *pageView
	sb.IntegrationField
	// Value is the public value shown (an object as JSON); secrets have
	// none: IsSet says whether one is stored.
	Value string
	IsSet bool
}

// Key is the setting's form field and API name ("config.url").
func (f settingField) Key() string { return "config." + f.Name }

// Err returns the messages about the setting.
func (f settingField) Err() string { return fieldsUnder(f.p, f.Key()) }

// integrationForm is the form of an integration's settings: a new one's
// or a stored one's.
type integrationForm struct {
	p      *pageView
	Spec   *sb.IntegrationSpec
	Name   string
	Fields []settingField
	// Integration is the stored one (nil on create).
	Integration *sb.Integration
}

// NameErr returns the message about the name.
func (f *integrationForm) NameErr() string { return f.p.FieldError("name") }

// newIntegrationForm fills the form from the stored integration (nil on
// create).
func newIntegrationForm(p *pageView, spec *sb.IntegrationSpec, in *sb.Integration) *integrationForm {
	f := &integrationForm{p: p, Spec: spec, Integration: in}
	if in != nil {
		f.Name = in.Name
	}
	for _, field := range spec.AllFields() {
		sf := settingField{p: p, IntegrationField: field}
		if in != nil {
			if field.Secret {
				_, sf.IsSet = in.Secrets[field.Name]
			} else if x, ok := in.Config[field.Name]; ok {
				sf.IsSet = true
				if s, isString := x.(string); isString {
					sf.Value = s
				} else {
					b, _ := json.Marshal(x)
					sf.Value = string(b)
				}
			}
		}
		f.Fields = append(f.Fields, sf)
	}
	return f
}

// readSettings reads the posted settings into f (secrets are not kept in
// the form) and returns the config object to send: settings left empty
// are left out (a secret keeps its stored value) but for public settings
// that were set, which are removed (null). An object setting must be JSON.
func readSettings(r *http.Request, f *integrationForm) (json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	var v sb.Validation
	for i := range f.Fields {
		sf := &f.Fields[i]
		value := r.PostFormValue(sf.Key())
		if sf.Secret {
			if value != "" {
				if sf.Kind == sb.FieldObject {
					if !json.Valid([]byte(value)) {
						v.Add(sf.Key(), "must be a JSON object of strings")
						continue
					}
					out[sf.Name] = json.RawMessage(value)
				} else {
					out[sf.Name], _ = json.Marshal(value)
				}
			}
			continue
		}
		sf.Value = value
		switch {
		case strings.TrimSpace(value) == "" && sf.IsSet:
			out[sf.Name] = json.RawMessage("null")
		case strings.TrimSpace(value) == "":
		case sf.Kind == sb.FieldObject:
			if !json.Valid([]byte(value)) {
				v.Add(sf.Key(), "must be a JSON object of strings")
				continue
			}
			out[sf.Name] = json.RawMessage(value)
		default:
			out[sf.Name], _ = json.Marshal(strings.TrimSpace(value))
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

func (h *Handler) integrationSpec(typ string) (*sb.IntegrationSpec, error) {
	spec, ok := h.app.IntegrationSpec(typ)
	if !ok {
		var types []string
		for _, s := range h.app.IntegrationSpecs() {
			types = append(types, s.Type)
		}
		return nil, sb.Invalid("type", "must be one of "+strings.Join(types, ", "))
	}
	return spec, nil
}

func (h *Handler) newIntegrationPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Connect an integration", Section: "integrations", visit: v}
	spec, err := h.integrationSpec(r.URL.Query().Get("type"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	p.Title = "Connect " + spec.Type
	p.Data = newIntegrationForm(p, spec, nil)
	h.show(w, http.StatusOK, "integrationnew", p)
}

func (h *Handler) createIntegration(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Connect an integration", Section: "integrations", visit: v}
	spec, err := h.integrationSpec(r.PostFormValue("type"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	p.Title = "Connect " + spec.Type
	f := newIntegrationForm(p, spec, nil)
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	p.Data = f
	config, err := readSettings(r, f)
	if err == nil {
		var in *sb.Integration
		in, err = h.app.CreateIntegration(r.Context(), v.Workspace, &app.CreateIntegrationParams{Type: spec.Type, Name: f.Name, Config: config})
		if err == nil {
			h.done(w, r, "/integrations/"+in.ID, "The integration "+in.Name+" is connected.")
			return
		}
	}
	h.failed(w, r, err, "integrationnew", p)
}

// The integration's page.

type integrationView struct {
	p        *pageView
	In       *sb.Integration
	Badge    string
	Form     *integrationForm
	Register bool
	// LastError is the newest failed run's error, among the runs shown.
	LastError *runRow
	Runs      []runRow
	Pager     pager
	// The run form.
	Actions        []sb.ActionSpec
	Action         string
	Params         string
	ConversationID string
}

type runRow struct {
	*sb.Run
	Badge string
}

func runBadge(status string) string {
	switch status {
	case sb.RunSucceeded:
		return "ok"
	case sb.RunFailed:
		return "bad"
	}
	return "warn"
}

// ParamsErr returns the messages about the params of the run form.
func (v *integrationView) ParamsErr() string { return fieldsUnder(v.p, "params") }

// ActionSchema is the JSON Schema of an action's params, indented.
func (v *integrationView) ActionSchema(a sb.ActionSpec) string { return prettyJSON(a.Params) }

func (h *Handler) integrationView(r *http.Request, p *pageView) (*integrationView, error) {
	in, err := h.app.GetIntegration(r.Context(), p.Workspace, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	data := &integrationView{p: p, In: in, Badge: integrationBadge(in.Status), Params: "{}", Register: h.app.CanRegisterIntegration(in.Type)}
	if spec, ok := h.app.IntegrationSpec(in.Type); ok {
		data.Form, data.Actions = newIntegrationForm(p, spec, in), spec.Actions
		if len(spec.Actions) > 0 {
			data.Action = spec.Actions[0].Name
		}
	}
	runs, err := h.app.ListRuns(r.Context(), p.Workspace, in.ID, listPage(r))
	if err != nil {
		return nil, err
	}
	runs, data.Pager = paginate(r, runs, func(x *sb.Run) string { return x.ID })
	for _, x := range runs {
		row := runRow{x, runBadge(x.Status)}
		data.Runs = append(data.Runs, row)
		if data.LastError == nil && x.Error != nil {
			data.LastError = &row
		}
	}
	p.Title, p.Data = in.Name, data
	return data, nil
}

func (h *Handler) integrationPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Integration", Section: "integrations", visit: v}
	if _, err := h.integrationView(r, p); err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	h.show(w, http.StatusOK, "integration", p)
}

func (h *Handler) saveIntegration(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Integration", Section: "integrations", visit: v}
	data, err := h.integrationView(r, p)
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	if data.Form == nil {
		h.failed(w, r, sb.Errorf(sb.EConflict, "Integrations of type %s are not available in this version of Switchboard.", data.In.Type), "", p)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	data.Form.Name = name
	config, err := readSettings(r, data.Form)
	if err == nil {
		_, err = h.app.UpdateIntegration(r.Context(), v.Workspace, data.In.ID, &app.UpdateIntegrationParams{
			Name: sb.Optional[string]{Set: true, Value: name}, Config: config})
		if err == nil {
			h.done(w, r, "/integrations/"+data.In.ID, "The settings were saved.")
			return
		}
	}
	h.failed(w, r, err, "integration", p)
}

func (h *Handler) runAction(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Integration", Section: "integrations", visit: v}
	data, err := h.integrationView(r, p)
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	data.Action, data.Params, data.ConversationID = r.PostFormValue("action"), r.PostFormValue("params"), strings.TrimSpace(r.PostFormValue("conversation_id"))
	params := json.RawMessage(strings.TrimSpace(data.Params))
	if len(params) > 0 && !json.Valid(params) {
		h.failed(w, r, sb.Invalid("params", "is not valid JSON: write a JSON object"), "integration", p)
		return
	}
	run, err := h.app.RunAction(r.Context(), v.Workspace, data.In.ID, data.Action, &app.RunActionParams{Params: params, ConversationID: data.ConversationID})
	if err != nil {
		if sb.ErrorCode(err) == sb.ENotFound { // an action the type does not have
			err = sb.Invalid("action", err.(*sb.Error).Message)
		}
		h.failed(w, r, err, "integration", p)
		return
	}
	h.done(w, r, "/integrations/"+data.In.ID+"/runs/"+run.ID, "The run is queued: this page shows its attempts as they happen.")
}

type runView struct {
	In     *sb.Integration
	Run    *sb.Run
	Badge  string
	Params string
	Result string
}

func (h *Handler) runPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Run", Section: "integrations", visit: v}
	in, err := h.app.GetIntegration(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	run, err := h.app.GetRun(r.Context(), v.Workspace, r.PathValue("run"))
	if err == nil && run.IntegrationID != in.ID {
		err = sb.ErrNotFound("run")
	}
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	data := &runView{In: in, Run: run, Badge: runBadge(run.Status), Params: prettyJSON(run.Params)}
	if len(run.Result) > 0 && string(run.Result) != "null" {
		data.Result = prettyJSON(run.Result)
	}
	p.Title, p.Data = run.Action+" "+run.ID, data
	h.show(w, http.StatusOK, "integrationrun", p)
}

func (h *Handler) registerIntegration(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Register", Section: "integrations", visit: v}
	in, err := h.app.RegisterIntegration(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	h.done(w, r, "/integrations/"+in.ID, "The inbound URL was registered with the system.")
}

// setIntegrationStatus connects or disconnects an integration.
func (h *Handler) setIntegrationStatus(w http.ResponseWriter, r *http.Request, v *visit, status, notice string) {
	p := &pageView{Title: "Integration", Section: "integrations", visit: v}
	in, err := h.app.UpdateIntegration(r.Context(), v.Workspace, r.PathValue("id"), &app.UpdateIntegrationParams{
		Status: sb.Optional[string]{Set: true, Value: status}})
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	h.done(w, r, "/integrations/"+in.ID, notice)
}

func (h *Handler) connectIntegration(w http.ResponseWriter, r *http.Request, v *visit) {
	h.setIntegrationStatus(w, r, v, sb.IntegrationConnected, "The integration is connected: its actions run again.")
}

func (h *Handler) disconnectIntegration(w http.ResponseWriter, r *http.Request, v *visit) {
	h.setIntegrationStatus(w, r, v, sb.IntegrationDisconnected, "The integration is disconnected: its actions do not run.")
}

func (h *Handler) confirmDisconnect(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Disconnect", Section: "integrations", visit: v}
	in, err := h.app.GetIntegration(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	h.confirm(w, v, "integrations", &confirmation{Question: "Disconnect the integration " + in.Name + "?",
		Consequences: []string{"Its actions stop: running one by hand is refused, and the runs that automations and bot intents start fail.",
			"Its settings and runs stay; connect it again to resume."},
		Action: "/integrations/" + in.ID + "/disconnect", Button: "Disconnect", Back: "/integrations/" + in.ID})
}

// automationsOf lists the names of the automations that run an
// integration's actions (among the first thousand).
func (h *Handler) automationsOf(r *http.Request, ws, integrationID string) []string {
	var names []string
	p := sb.Page{Limit: 100}
	for range 10 {
		list, err := h.app.ListAutomations(r.Context(), ws, p)
		if err != nil {
			h.log.Warn("listing automations", "error", err)
			return names
		}
		for _, a := range list {
			if a.IntegrationID == integrationID {
				names = append(names, a.Name)
			}
		}
		if len(list) < p.Limit {
			break
		}
		p.After = list[len(list)-1].ID
	}
	return names
}

func (h *Handler) confirmDeleteIntegration(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Delete integration", Section: "integrations", visit: v}
	in, err := h.app.GetIntegration(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	consequences := []string{"Its settings and secrets, its runs with their attempts and its stored inbound webhooks are deleted.",
		"Bot intents whose action names it skip that action."}
	if names := h.automationsOf(r, v.Workspace, in.ID); len(names) > 0 {
		consequences = append(consequences, fmt.Sprintf("%d automation(s) that run its actions are deleted: %s.", len(names), strings.Join(names, ", ")))
	}
	h.confirm(w, v, "integrations", &confirmation{Question: "Delete the integration " + in.Name + "?", Consequences: consequences,
		Action: "/integrations/" + in.ID + "/delete", Button: "Delete the integration", Back: "/integrations/" + in.ID})
}

// Automations.

type automationRow struct {
	*sb.Automation
	Integration string // its name, or its id if it is not among those read
}

type automationsView struct {
	Automations []automationRow
	Pager       pager
}

// integrationNames maps the ids of the first integrations to their names.
func (h *Handler) integrationNames(r *http.Request, ws string) map[string]string {
	names := map[string]string{}
	for _, in := range h.someIntegrations(r, &visit{Workspace: ws}) {
		names[in.ID] = in.Name
	}
	return names
}

func (h *Handler) automationsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	data := &automationsView{}
	p := &pageView{Title: "Automations", Section: "integrations", visit: v, Data: data}
	list, err := h.app.ListAutomations(r.Context(), v.Workspace, listPage(r))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	list, data.Pager = paginate(r, list, func(a *sb.Automation) string { return a.ID })
	names := h.integrationNames(r, v.Workspace)
	for _, a := range list {
		name := names[a.IntegrationID]
		if name == "" {
			name = a.IntegrationID
		}
		data.Automations = append(data.Automations, automationRow{a, name})
	}
	h.show(w, http.StatusOK, "automations", p)
}

// automationForm is the form of an automation, new (Automation nil) or
// stored.
type automationForm struct {
	p                                *pageView
	Automation                       *sb.Automation
	Name, EventTypes, Filter, Params string
	IntegrationID, Action            string
	Enabled                          bool
	Integrations                     []*sb.Integration
	EventNames                       []sb.EventType
	ActionNames                      []string
}

// Err returns the messages about a field and the fields under it
// ("params" and "params.subject").
func (f *automationForm) Err(field string) string { return fieldsUnder(f.p, field) }

// Listed reports whether an integration is among those the form lists.
func (f *automationForm) Listed(id string) bool {
	return slices.ContainsFunc(f.Integrations, func(in *sb.Integration) bool { return in.ID == id })
}

// Path is where the form posts.
func (f *automationForm) Path() string {
	if f.Automation == nil {
		return "/automations/new"
	}
	return "/automations/" + f.Automation.ID
}

func (h *Handler) newAutomationForm(r *http.Request, p *pageView, a *sb.Automation) *automationForm {
	v := p.visit
	f := &automationForm{p: p, Automation: a, Filter: "{}", Params: "{}", Enabled: true,
		Integrations: h.someIntegrations(r, v), EventNames: h.app.EventTypes()}
	actions := map[string]bool{}
	for _, s := range h.app.IntegrationSpecs() {
		for _, n := range s.ActionNames() {
			actions[n] = true
		}
	}
	f.ActionNames = slices.Sorted(maps.Keys(actions))
	if a != nil {
		f.Name, f.EventTypes, f.IntegrationID, f.Action, f.Enabled = a.Name, strings.Join(a.EventTypes, " "), a.IntegrationID, a.Action, a.Enabled
		b, _ := json.Marshal(a.Filter)
		f.Filter, f.Params = prettyJSON(b), prettyJSON(a.Params)
	} else if id := r.URL.Query().Get("integration_id"); id != "" {
		f.IntegrationID = id
	}
	return f
}

// automationOf reads the automation of the request's path (nil for a new
// one, at /automations/new), naming the page after it; false when it
// answered the error.
func (h *Handler) automationOf(w http.ResponseWriter, r *http.Request, p *pageView) (*sb.Automation, bool) {
	id := r.PathValue("id")
	if id == "" {
		return nil, true
	}
	a, err := h.app.GetAutomation(r.Context(), p.Workspace, id)
	if err != nil {
		h.failed(w, r, err, "", p)
		return nil, false
	}
	p.Title = a.Name
	return a, true
}

func (h *Handler) automationPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "New automation", Section: "integrations", visit: v}
	a, ok := h.automationOf(w, r, p)
	if !ok {
		return
	}
	p.Data = h.newAutomationForm(r, p, a)
	h.show(w, http.StatusOK, "automation", p)
}

// eventTypeList splits the event types typed, by spaces or commas.
func eventTypeList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func (h *Handler) saveAutomation(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "New automation", Section: "integrations", visit: v}
	a, ok := h.automationOf(w, r, p)
	if !ok {
		return
	}
	f := h.newAutomationForm(r, p, a)
	p.Data = f
	f.Name, f.EventTypes, f.Filter = strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("event_types"), r.PostFormValue("filter")
	f.IntegrationID, f.Action, f.Params = r.PostFormValue("integration_id"), strings.TrimSpace(r.PostFormValue("action")), r.PostFormValue("params")
	f.Enabled = r.PostFormValue("enabled") != ""
	var vd sb.Validation
	filter := map[string]any{}
	if s := strings.TrimSpace(f.Filter); s != "" {
		if err := json.Unmarshal([]byte(s), &filter); err != nil || filter == nil {
			vd.Add("filter", `must be a JSON object of dotted paths and values, such as {"data.conversation.status": "ended"}`)
		}
	}
	params := json.RawMessage(strings.TrimSpace(f.Params))
	if len(params) > 0 && !json.Valid(params) {
		vd.Add("params", "is not valid JSON: write a JSON object")
	}
	err := vd.Err()
	if err == nil {
		types := eventTypeList(f.EventTypes)
		if a == nil {
			a, err = h.app.CreateAutomation(r.Context(), v.Workspace, &app.CreateAutomationParams{Name: f.Name, EventTypes: types,
				Filter: filter, IntegrationID: f.IntegrationID, Action: f.Action, Params: params, Enabled: &f.Enabled})
		} else {
			a, err = h.app.UpdateAutomation(r.Context(), v.Workspace, a.ID, &app.UpdateAutomationParams{
				Name: sb.Optional[string]{Set: true, Value: f.Name}, EventTypes: sb.Optional[[]string]{Set: true, Value: types},
				Filter: sb.Optional[map[string]any]{Set: true, Value: filter}, IntegrationID: sb.Optional[string]{Set: true, Value: f.IntegrationID},
				Action: sb.Optional[string]{Set: true, Value: f.Action}, Params: params, Enabled: sb.Optional[bool]{Set: true, Value: f.Enabled}})
		}
		if err == nil {
			h.done(w, r, "/automations", "The automation "+a.Name+" was saved.")
			return
		}
	}
	h.failed(w, r, err, "automation", p)
}

func (h *Handler) enableAutomation(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Automation", Section: "integrations", visit: v}
	enable := strings.HasSuffix(r.URL.Path, "/enable")
	a, err := h.app.UpdateAutomation(r.Context(), v.Workspace, r.PathValue("id"), &app.UpdateAutomationParams{
		Enabled: sb.Optional[bool]{Set: true, Value: enable}})
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	notice := "The automation " + a.Name + " is disabled: events no longer run it."
	if enable {
		notice = "The automation " + a.Name + " is enabled."
	}
	h.done(w, r, "/automations", notice)
}

func (h *Handler) confirmDeleteAutomation(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Delete automation", Section: "integrations", visit: v}
	a, err := h.app.GetAutomation(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	h.confirm(w, v, "integrations", &confirmation{Question: "Delete the automation " + a.Name + "?",
		Consequences: []string{"Events no longer run its action (" + a.Action + "). The runs it started stay in the integration's log."},
		Action:       "/automations/" + a.ID + "/delete", Button: "Delete the automation", Back: "/automations/" + a.ID})
}
