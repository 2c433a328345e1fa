package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/bot/builtin"
)

// The Bots page: the list of bots with their engine, status and versions;
// a bot's page (its draft's status, live while it trains, its versions
// with their metrics, deploy and roll back, a test chat); the editor of
// its draft; and deletion.
//
// The editor has a form per engine: the builtin engine's intents, the
// webhook engine's URL, and a JSON text of the configuration for any other
// engine of the build, which that engine validates. The builtin form works
// without JavaScript: it shows one block per intent and a spare empty one;
// "Add an intent block" posts the form and shows it again, unsaved, with
// one more. Blank blocks and blocks marked "remove" are left out when the
// draft is saved, so the n-th block shown after a refusal is the n-th
// intent the API checked, and its errors (config.intents[n].examples) are
// shown by it.

func (h *Handler) mountBots(mux *http.ServeMux) {
	mux.Handle("GET /bots", h.page(true, h.botsPage))
	mux.Handle("GET /bots/new", h.page(true, h.newBotPage))
	mux.Handle("POST /bots/new", h.page(true, h.createBot))
	mux.Handle("GET /bots/{id}", h.page(true, h.botPage))
	mux.Handle("GET /bots/{id}/edit", h.page(true, h.editBotPage))
	mux.Handle("POST /bots/{id}/edit", h.page(true, h.saveBot))
	mux.Handle("POST /bots/{id}/train", h.page(true, h.trainBot))
	mux.Handle("GET /bots/{id}/deploy", h.page(true, h.confirmDeploy))
	mux.Handle("POST /bots/{id}/deploy", h.page(true, h.deployBot))
	mux.Handle("POST /bots/{id}/parse", h.page(true, h.parseBot))
	mux.Handle("GET /bots/{id}/delete", h.page(true, h.confirmDeleteBot))
	mux.Handle("POST /bots/{id}/delete", h.page(true, deleteNamed(h, "bots", "/bots", h.app.GetBot, h.app.DeleteBot,
		func(b *sb.Bot) string { return "The bot " + b.Name + " was deleted." })))
}

// botBadge is the badge class of a bot's status.
func botBadge(status string) string {
	switch status {
	case sb.BotDeployed:
		return "ok"
	case sb.BotError:
		return "bad"
	}
	return "warn"
}

type botRow struct {
	*sb.Bot
	Badge string
}

type botsView struct {
	Bots    []botRow
	Engines []string
	Pager   pager
}

func (h *Handler) botsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	data := &botsView{Engines: h.app.BotEngines()}
	p := &pageView{Title: "Bots", Section: "bots", visit: v, Data: data}
	bots, err := h.app.ListBots(r.Context(), v.Workspace, listPage(r))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	bots, data.Pager = paginate(r, bots, func(b *sb.Bot) string { return b.ID })
	for _, b := range bots {
		data.Bots = append(data.Bots, botRow{b, botBadge(b.Status)})
	}
	h.show(w, http.StatusOK, "bots", p)
}

// The editor.

// Kinds of editor forms.
const (
	botFormBuiltin = "builtin"
	botFormWebhook = "webhook"
	botFormJSON    = "json"
	botFormLLM     = "llm"
)

// botFormKind is the form that edits an engine's configuration.
func botFormKind(engine string) string {
	switch engine {
	case sb.EngineBuiltin:
		return botFormBuiltin
	case sb.EngineWebhook:
		return botFormWebhook
	case sb.EngineLLM:
		return botFormLLM
	}
	return botFormJSON
}

// botForm is the editor's form: a new bot's (Create) or a draft's.
type botForm struct {
	p      *pageView
	Create bool
	Bot    *sb.Bot // nil on create
	Name   string
	Engine string
	Kind   string
	// The builtin form.
	Intents                                       []intentForm
	OutOfScope, Fallback, HandoffIntent, Language string
	Integrations                                  []*sb.Integration
	// The webhook form; its secret is never shown.
	URL       string
	HasSecret bool
	// The llm form; its key is never shown.
	LLM llmForm
	// Any other engine's: the configuration as JSON.
	JSON string
}

// llmForm is the llm engine's settings (SPEC §3), as typed.
type llmForm struct {
	BaseURL, Model, SystemPrompt    string
	Temperature, MaxTokens, History string
	HasKey                          bool
	Tools                           []toolOption
}

// toolOption is one tool the model may be given: the built-in ones, then
// each action of the workspace's integrations ("int_…:ACTION").
type toolOption struct {
	Value, Label string
	Checked      bool
}

// llmConfig is the llm engine's configuration as stored.
type llmConfig struct {
	BaseURL      string   `json:"base_url"`
	Model        string   `json:"model"`
	SystemPrompt string   `json:"system_prompt"`
	Temperature  *float64 `json:"temperature,omitempty"`
	MaxTokens    *int     `json:"max_tokens,omitempty"`
	History      *int     `json:"history,omitempty"`
	Tools        []string `json:"tools"`
	APIKey       string   `json:"api_key,omitempty"`
}

// llmTools lists the tools an llm bot may be given, those in enabled
// checked.
func (h *Handler) llmTools(r *http.Request, v *visit, enabled []string) []toolOption {
	on := map[string]bool{}
	for _, t := range enabled {
		on[t] = true
	}
	opts := []toolOption{
		{Value: "knowledge", Label: "knowledge: look facts up for the contact and the workspace"},
		{Value: "handoff", Label: "handoff: pass the conversation to agents, with a reason"},
		{Value: "contact", Label: "contact: update the contact's name, email, phone or attributes"},
	}
	for _, in := range h.someIntegrations(r, v) {
		spec, ok := h.app.IntegrationSpec(in.Type)
		if !ok {
			continue
		}
		for _, a := range spec.Actions {
			opts = append(opts, toolOption{Value: in.ID + ":" + a.Name, Label: in.Name + ": " + a.Name + " (" + a.Description + ")"})
		}
	}
	listed := map[string]bool{}
	for i := range opts {
		opts[i].Checked, listed[opts[i].Value] = on[opts[i].Value], true
	}
	for _, t := range enabled { // a tool of an integration past the first page stays chosen
		if !listed[t] {
			opts = append(opts, toolOption{Value: t, Label: t, Checked: true})
		}
	}
	return opts
}

// optionalNumber returns the decimal text of n, or "".
func optionalNumber[N int | float64](n *N) string {
	if n == nil {
		return ""
	}
	return fmt.Sprint(*n)
}

// Action is where the form posts.
func (f *botForm) Action() string {
	if f.Create {
		return "/bots/new"
	}
	return "/bots/" + f.Bot.ID + "/edit"
}

// Err returns the messages about a field of the configuration and the
// fields under it ("config.fallback"; "config" for all).
func (f *botForm) Err(field string) string { return fieldsUnder(f.p, field) }

// fieldsUnder joins the messages of p about field and the fields under it
// (field.x, field[i]).
func fieldsUnder(p *pageView, field string) string {
	var msgs []string
	for _, k := range slices.Sorted(maps.Keys(p.Fields)) {
		if k == field || strings.HasPrefix(k, field+".") || strings.HasPrefix(k, field+"[") {
			msg := p.Fields[k]
			if k != field {
				msg = strings.TrimPrefix(k, field) + ": " + msg
			}
			msgs = append(msgs, msg)
		}
	}
	return strings.Join(msgs, "; ")
}

// intentForm is one intent's block of the builtin form.
type intentForm struct {
	p                                 *pageView
	Index                             int
	Name, Examples, Responses         string
	IntegrationID, ActionName, Params string
}

// Err returns the messages about a part of the intent ("examples",
// "action"), by the API's names (config.intents[2].examples).
func (in intentForm) Err(part string) string {
	return fieldsUnder(in.p, "config.intents["+strconv.Itoa(in.Index)+"]."+part)
}

// newBotForm fills the form from a bot's draft (nil: a new bot of engine).
func (h *Handler) newBotForm(r *http.Request, p *pageView, b *sb.Bot, engine string) *botForm {
	f := &botForm{p: p, Create: b == nil, Bot: b, Engine: engine, Kind: botFormKind(engine)}
	if b != nil {
		f.Name = b.Name
	}
	switch f.Kind {
	case botFormBuiltin:
		var c builtin.Config
		if b != nil {
			_ = json.Unmarshal(b.Config, &c)
		}
		for i, in := range c.Intents {
			fi := intentForm{p: p, Index: i, Name: in.Name, Examples: strings.Join(in.Examples, "\n"),
				Responses: strings.Join(in.Responses, "\n")}
			if a := in.Action; a != nil {
				fi.IntegrationID, fi.ActionName = a.IntegrationID, a.Action
				if len(a.Params) > 0 && string(a.Params) != "null" {
					fi.Params = prettyJSON(a.Params)
				}
			}
			f.Intents = append(f.Intents, fi)
		}
		f.spareIntents(1)
		f.OutOfScope, f.Fallback = strings.Join(c.OutOfScopeExamples, "\n"), c.Fallback
		f.HandoffIntent, f.Language = c.HandoffIntent, c.Language
		if f.Language == "" {
			f.Language = "en"
		}
		f.Integrations = h.someIntegrations(r, p.visit)
	case botFormWebhook:
		if b != nil {
			var c struct {
				URL string `json:"url"`
			}
			_ = json.Unmarshal(b.Config, &c)
			f.URL, f.HasSecret = c.URL, b.Secrets["secret"] != ""
		}
	case botFormLLM:
		c := llmConfig{Tools: []string{"knowledge", "handoff"}}
		if b != nil {
			_ = json.Unmarshal(b.Config, &c)
			f.LLM.HasKey = b.Secrets["api_key"] != ""
		}
		f.LLM.BaseURL, f.LLM.Model, f.LLM.SystemPrompt = c.BaseURL, c.Model, c.SystemPrompt
		f.LLM.Temperature, f.LLM.MaxTokens, f.LLM.History = optionalNumber(c.Temperature), optionalNumber(c.MaxTokens), optionalNumber(c.History)
		f.LLM.Tools = h.llmTools(r, p.visit, c.Tools)
	default:
		f.JSON = "{}"
		if b != nil {
			f.JSON = prettyJSON(b.Config)
		}
	}
	return f
}

// spareIntents adds n empty intent blocks.
func (f *botForm) spareIntents(n int) {
	for range n {
		f.Intents = append(f.Intents, intentForm{p: f.p, Index: len(f.Intents)})
	}
}

// someIntegrations are the integrations an intent's action may name (the
// first page; the API takes any id).
func (h *Handler) someIntegrations(r *http.Request, v *visit) []*sb.Integration {
	list, err := h.app.ListIntegrations(r.Context(), v.Workspace, sb.Page{Limit: 100})
	if err != nil {
		h.log.Warn("listing integrations for a form", "error", err)
	}
	return list
}

// prettyJSON indents a JSON document for a text area.
func prettyJSON(raw []byte) string {
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") != nil {
		return string(raw)
	}
	return b.String()
}

// lines splits a text area into its non-blank lines, trimmed.
func lines(s string) []string {
	out := []string{}
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// maxIntentBlocks bounds the intent blocks a form may post.
const maxIntentBlocks = 500

// readBotForm reads the posted form into f and returns the configuration
// to send, and whether the person asked for one more intent block
// instead of saving. Posted values that are not valid JSON are refused
// here, naming the field as the API would.
func (h *Handler) readBotForm(r *http.Request, f *botForm) (json.RawMessage, bool, error) {
	switch f.Kind {
	case botFormLLM:
		return h.readLLMForm(r, f)
	case botFormWebhook:
		f.URL = strings.TrimSpace(r.PostFormValue("url"))
		c := map[string]string{"url": f.URL}
		if s := r.PostFormValue("secret"); s != "" {
			c["secret"] = s
		}
		raw, err := json.Marshal(c)
		return raw, false, err
	case botFormJSON:
		f.JSON = r.PostFormValue("config")
		raw := json.RawMessage(strings.TrimSpace(f.JSON))
		if !json.Valid(raw) {
			return nil, false, sb.Invalid("config", "is not valid JSON")
		}
		return raw, false, nil
	}
	var v sb.Validation
	var c builtin.Config
	n, _ := strconv.Atoi(r.PostFormValue("intents"))
	n = min(max(n, 0), maxIntentBlocks)
	blank := 0
	f.Intents = nil
	for i := range n {
		key := func(part string) string { return r.PostFormValue("intent." + strconv.Itoa(i) + "." + part) }
		fi := intentForm{p: f.p, Name: strings.TrimSpace(key("name")), Examples: key("examples"), Responses: key("responses"),
			IntegrationID: key("integration_id"), ActionName: strings.TrimSpace(key("action")), Params: strings.TrimSpace(key("params"))}
		if key("remove") != "" {
			continue
		}
		if fi.Name == "" && len(lines(fi.Examples)) == 0 && len(lines(fi.Responses)) == 0 && fi.IntegrationID == "" && fi.ActionName == "" {
			blank++
			continue
		}
		fi.Index = len(f.Intents)
		f.Intents = append(f.Intents, fi)
		in := builtin.Intent{Name: fi.Name, Examples: lines(fi.Examples), Responses: lines(fi.Responses)}
		if fi.IntegrationID != "" || fi.ActionName != "" || fi.Params != "" {
			in.Action = &sb.IntentAction{IntegrationID: fi.IntegrationID, Action: fi.ActionName}
			if fi.Params != "" {
				if !json.Valid([]byte(fi.Params)) {
					v.Add("config.intents["+strconv.Itoa(fi.Index)+"].action.params", "is not valid JSON: write a JSON object")
				} else {
					in.Action.Params = json.RawMessage(fi.Params)
				}
			}
		}
		c.Intents = append(c.Intents, in)
	}
	f.OutOfScope, f.Fallback = r.PostFormValue("out_of_scope_examples"), r.PostFormValue("fallback")
	f.HandoffIntent, f.Language = strings.TrimSpace(r.PostFormValue("handoff_intent")), strings.TrimSpace(r.PostFormValue("language"))
	c.OutOfScopeExamples, c.Fallback, c.HandoffIntent, c.Language = lines(f.OutOfScope), f.Fallback, f.HandoffIntent, f.Language
	if c.Intents == nil { // an empty list, not null
		c.Intents = []builtin.Intent{}
	}
	if r.PostFormValue("add") != "" {
		f.spareIntents(blank + 1)
		return nil, true, nil
	}
	f.spareIntents(1)
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	raw, err := json.Marshal(c)
	return raw, false, err
}

func (h *Handler) newBotPage(w http.ResponseWriter, r *http.Request, v *visit) {
	engine := r.URL.Query().Get("engine")
	p := &pageView{Title: "New bot", Section: "bots", visit: v}
	if !slices.Contains(h.app.BotEngines(), engine) {
		h.failed(w, r, sb.Invalid("engine", "must be one of "+strings.Join(h.app.BotEngines(), ", ")), "", p)
		return
	}
	f := h.newBotForm(r, p, nil, engine)
	f.Name = r.URL.Query().Get("name")
	if f.Kind == botFormBuiltin {
		f.spareIntents(2)
	}
	p.Data = f
	h.show(w, http.StatusOK, "botedit", p)
}

func (h *Handler) createBot(w http.ResponseWriter, r *http.Request, v *visit) {
	engine := r.PostFormValue("engine")
	p := &pageView{Title: "New bot", Section: "bots", visit: v}
	if !slices.Contains(h.app.BotEngines(), engine) {
		h.failed(w, r, sb.Invalid("engine", "must be one of "+strings.Join(h.app.BotEngines(), ", ")), "", p)
		return
	}
	f := h.newBotForm(r, p, nil, engine)
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	p.Data = f
	raw, more, err := h.readBotForm(r, f)
	if more {
		h.show(w, http.StatusOK, "botedit", p)
		return
	}
	if err == nil {
		var b *sb.Bot
		b, err = h.app.CreateBot(r.Context(), v.Workspace, &app.CreateBotParams{Name: f.Name, Engine: engine, Config: raw})
		if err == nil {
			if shown := generatedSecrets(b, h.storedConfig(r, v, b.ID)); len(shown) > 0 {
				h.showBot(w, r, v, b.ID, http.StatusOK, func(bv *botView) { bv.Secrets = shown }, "The bot was created: version 1 is trained and answers.")
				return
			}
			h.done(w, r, "/bots/"+b.ID, "The bot was created: version 1 is trained and answers.")
			return
		}
	}
	h.botFormFailed(w, r, err, p)
}

// withoutSecrets is a configuration typed as JSON without the fields the
// bot keeps as secrets, to show it again after a refusal.
func withoutSecrets(typed string, secrets map[string]string) string {
	var m map[string]json.RawMessage
	if len(secrets) == 0 || json.Unmarshal([]byte(typed), &m) != nil || m == nil {
		return typed
	}
	for k := range secrets {
		delete(m, k)
	}
	b, _ := json.Marshal(m)
	return prettyJSON(b)
}

// storedConfig is the public configuration of a bot as stored.
func (h *Handler) storedConfig(r *http.Request, v *visit, id string) json.RawMessage {
	b, err := h.app.GetBot(r.Context(), v.Workspace, id)
	if err != nil {
		return nil
	}
	return b.Config
}

// generatedSecrets are the secrets Switchboard made for a new bot (the
// webhook engine's signing secret), which the creation's answer shows
// once: the string fields of its configuration that the stored
// configuration does not have.
func generatedSecrets(created *sb.Bot, stored json.RawMessage) []metric {
	var shown, kept map[string]any
	if json.Unmarshal(created.Config, &shown) != nil || json.Unmarshal(stored, &kept) != nil {
		return nil
	}
	var out []metric
	for _, k := range slices.Sorted(maps.Keys(shown)) {
		if s, ok := shown[k].(string); ok && s != "" {
			if _, stays := kept[k]; !stays {
				out = append(out, metric{k, s})
			}
		}
	}
	return out
}

// botFormFailed shows the editor again with the refusal; an engine's
// error about the whole body names the configuration.
func (h *Handler) botFormFailed(w http.ResponseWriter, r *http.Request, err error, p *pageView) {
	if f, ok := p.Data.(*botForm); ok && f.Kind == botFormJSON && f.Bot != nil {
		f.JSON = withoutSecrets(f.JSON, f.Bot.Secrets)
	}
	if e, ok := err.(*sb.Error); ok {
		for i, fe := range e.Fields {
			if fe.Field == "body" {
				e.Fields[i].Field = "config"
			}
		}
	}
	h.failed(w, r, err, "botedit", p)
}

func (h *Handler) editBotPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Edit bot", Section: "bots", visit: v}
	b, err := h.app.GetBot(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	p.Title = "Edit " + b.Name
	p.Data = h.newBotForm(r, p, b, b.Engine)
	h.show(w, http.StatusOK, "botedit", p)
}

func (h *Handler) saveBot(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Edit bot", Section: "bots", visit: v}
	b, err := h.app.GetBot(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	p.Title = "Edit " + b.Name
	f := h.newBotForm(r, p, b, b.Engine)
	p.Data = f
	raw, more, err := h.readBotForm(r, f)
	if more {
		h.show(w, http.StatusOK, "botedit", p)
		return
	}
	if err == nil {
		if _, err = h.app.ReplaceBotConfig(r.Context(), v.Workspace, b.ID, raw); err == nil {
			h.done(w, r, "/bots/"+b.ID, "The draft was saved. Train it to make a new version; the deployed version answers until then.")
			return
		}
	}
	h.botFormFailed(w, r, err, p)
}

// The bot's page.

type botView struct {
	Bot      *sb.Bot
	Badge    string
	Versions []versionRow
	Pager    pager
	// Secrets are the secrets generated for a new bot, shown once.
	Secrets []metric
	// The test chat: the text typed, the version to try (0: the deployed
	// one), the tries, newest first, and their state for the next post.
	Text    string
	Version int
	Tries   []chatTry
	Chat    string
	CanTest bool
}

type versionRow struct {
	*sb.BotVersion
	// Deployed: the version answers; Rollback: deploying it goes back
	// from a newer one.
	Deployed, Rollback bool
	Metrics            []metric
}

type metric struct{ Name, Value string }

// versionMetrics are a version's metrics as the page shows them: the
// builtin engine's by name, then any others.
func versionMetrics(raw json.RawMessage) []metric {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []metric
	known := []struct{ key, name string }{
		{"intents", "Intents"}, {"examples", "Examples"}, {"out_of_scope_examples", "Out-of-scope examples"},
		{"training_ms", "Training time"}, {"cv_accuracy", "Cross-validated accuracy"},
	}
	for _, k := range known {
		x, ok := m[k.key]
		if !ok {
			continue
		}
		delete(m, k.key)
		f, _ := x.(float64)
		val := fmt.Sprint(x)
		switch k.key {
		case "training_ms":
			val = strconv.FormatFloat(f/1000, 'f', 2, 64) + " s"
		case "cv_accuracy":
			val = strconv.FormatFloat(f*100, 'f', 1, 64) + " %"
		}
		out = append(out, metric{k.name, val})
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b, _ := json.Marshal(m[k])
		out = append(out, metric{k, string(b)})
	}
	return out
}

func (h *Handler) botPage(w http.ResponseWriter, r *http.Request, v *visit) {
	h.showBot(w, r, v, r.PathValue("id"), http.StatusOK, nil, "")
}

// showBot renders a bot's page; fill adds to its data (a secret, the test
// chat's tries).
func (h *Handler) showBot(w http.ResponseWriter, r *http.Request, v *visit, id string, status int, fill func(*botView), notice string) {
	p := &pageView{Title: "Bot", Section: "bots", visit: v}
	data, err := h.botView(r, v.Workspace, id)
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	if notice != "" {
		v.Notice = notice
	}
	p.Title, p.Data = data.Bot.Name, data
	if fill != nil {
		fill(data)
	}
	h.show(w, status, "bot", p)
}

// botView reads a bot and a page of its versions.
func (h *Handler) botView(r *http.Request, ws, id string) (*botView, error) {
	b, err := h.app.GetBot(r.Context(), ws, id)
	if err != nil {
		return nil, err
	}
	versions, err := h.app.ListBotVersions(r.Context(), ws, id, listPage(r))
	if err != nil {
		return nil, err
	}
	data := &botView{Bot: b, Badge: botBadge(b.Status), CanTest: b.Engine != sb.EngineWebhook}
	versions, data.Pager = paginate(r, versions, func(x *sb.BotVersion) string { return strconv.Itoa(x.Version) })
	for _, x := range versions {
		d := b.DeployedVersion
		data.Versions = append(data.Versions, versionRow{BotVersion: x, Deployed: d != nil && *d == x.Version,
			Rollback: d != nil && x.Version < *d, Metrics: versionMetrics(x.Metrics)})
	}
	return data, nil
}

func (h *Handler) trainBot(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Train", Section: "bots", visit: v}
	b, err := h.app.TrainBot(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	h.done(w, r, "/bots/"+b.ID, "Training started: this page shows when it ends.")
}

// deployVersion reads the version a deploy names.
func deployVersion(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, sb.Invalid("version", "must be a version number (1 or more)")
	}
	return n, nil
}

func (h *Handler) confirmDeploy(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Deploy", Section: "bots", visit: v}
	b, err := h.app.GetBot(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	n, err := deployVersion(r.URL.Query().Get("version"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	c := &confirmation{Action: "/bots/" + b.ID + "/deploy", Back: "/bots/" + b.ID,
		Hidden: map[string]string{"version": strconv.Itoa(n)}}
	switch d := b.DeployedVersion; {
	case d == nil:
		c.Question = fmt.Sprintf("Deploy version %d of %s?", n, b.Name)
		c.Consequences = []string{fmt.Sprintf("Version %d starts answering the bot's conversations; no version answers now.", n)}
		c.Button = fmt.Sprintf("Deploy version %d", n)
	case *d == n:
		h.failed(w, r, sb.Invalid("version", fmt.Sprintf("is the deployed version already (%d)", n)), "", p)
		return
	case n < *d:
		c.Question = fmt.Sprintf("Roll %s back to version %d?", b.Name, n)
		c.Consequences = []string{fmt.Sprintf("Version %d replaces version %d, which answers now.", n, *d),
			fmt.Sprintf("Version %d stays; you can deploy it again.", *d)}
		c.Button = fmt.Sprintf("Roll back to version %d", n)
	default:
		c.Question = fmt.Sprintf("Deploy version %d of %s?", n, b.Name)
		c.Consequences = []string{fmt.Sprintf("Version %d replaces version %d, which answers now.", n, *d),
			fmt.Sprintf("Version %d stays; you can roll back to it.", *d)}
		c.Button = fmt.Sprintf("Deploy version %d", n)
	}
	h.confirm(w, v, "bots", c)
}

func (h *Handler) deployBot(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Deploy", Section: "bots", visit: v}
	n, err := deployVersion(r.PostFormValue("version"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	before, err := h.app.GetBot(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	b, err := h.app.DeployBot(r.Context(), v.Workspace, before.ID, &app.DeployBotParams{Version: &n})
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	notice := fmt.Sprintf("Version %d answers now.", n)
	if d := before.DeployedVersion; d != nil && *d != n {
		notice = fmt.Sprintf("Version %d answers now, in place of version %d.", n, *d)
	}
	h.done(w, r, "/bots/"+b.ID, notice)
}

// The test chat.

// maxTries is how many tries the test chat keeps on the page.
const maxTries = 5

// chatTry is one try of the test chat: the text and what the bot made of
// it. The page carries the earlier tries in a hidden field (nothing is
// stored): they are only shown again.
type chatTry struct {
	Text   string           `json:"text"`
	Result *app.ParseResult `json:"result"`
}

// Confidence is the intent's confidence in percent.
func (c chatTry) Confidence() string {
	if c.Result == nil || c.Result.Intent == nil {
		return ""
	}
	return percent(c.Result.Intent.Confidence)
}

// Ranking is the intents considered, with their confidences in percent.
func (c chatTry) Ranking() []metric {
	if c.Result == nil {
		return nil
	}
	out := make([]metric, len(c.Result.Ranking))
	for i, s := range c.Result.Ranking {
		out[i] = metric{s.Name, percent(s.Confidence)}
	}
	return out
}

func percent(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + " %" }

// earlierTries reads the tries the page carried.
func earlierTries(s string) []chatTry {
	var tries []chatTry
	if json.Unmarshal([]byte(s), &tries) != nil {
		return nil
	}
	tries = slices.DeleteFunc(tries, func(c chatTry) bool { return c.Result == nil })
	return tries[:min(len(tries), maxTries)]
}

func (h *Handler) parseBot(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Bot", Section: "bots", visit: v}
	data, err := h.botView(r, v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	p.Title, p.Data = data.Bot.Name, data
	data.Text = r.PostFormValue("text")
	data.Tries = earlierTries(r.PostFormValue("chat"))
	req := &app.ParseBotParams{Text: data.Text}
	if s := r.PostFormValue("version"); s != "" {
		n, err := deployVersion(s)
		if err != nil {
			h.failed(w, r, err, "bot", p)
			return
		}
		data.Version, req.Version = n, &n
	}
	res, err := h.app.ParseBot(r.Context(), v.Workspace, data.Bot.ID, req)
	if err != nil {
		data.Chat = chatState(data.Tries)
		h.failed(w, r, err, "bot", p)
		return
	}
	data.Tries = append([]chatTry{{Text: data.Text, Result: res}}, data.Tries...)[:min(len(data.Tries)+1, maxTries)]
	data.Chat, data.Text = chatState(data.Tries), ""
	h.show(w, http.StatusOK, "bot", p)
}

// chatState is the hidden field that carries the tries to the next post.
func chatState(tries []chatTry) string {
	if len(tries) == 0 {
		return ""
	}
	b, _ := json.Marshal(tries)
	return string(b)
}

func (h *Handler) confirmDeleteBot(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Delete bot", Section: "bots", visit: v}
	b, err := h.app.GetBot(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	consequences := []string{"Its draft and every trained version are deleted, with their metrics.",
		"Channels attached to it stay, without a bot: their conversations get no answer until another bot is attached."}
	if d := b.DeployedVersion; d != nil {
		consequences = append([]string{fmt.Sprintf("Version %d, which answers now, stops answering.", *d)}, consequences...)
	}
	h.confirm(w, v, "bots", &confirmation{Question: "Delete the bot " + b.Name + "?", Consequences: consequences,
		Action: "/bots/" + b.ID + "/delete", Button: "Delete the bot", Back: "/bots/" + b.ID})
}

// Listed reports whether an integration is among those the form lists.
func (f *botForm) Listed(id string) bool {
	return slices.ContainsFunc(f.Integrations, func(in *sb.Integration) bool { return in.ID == id })
}

// readLLMForm reads the llm form: numbers left empty take the engine's
// defaults, the key left empty keeps the stored one.
func (h *Handler) readLLMForm(r *http.Request, f *botForm) (json.RawMessage, bool, error) {
	var v sb.Validation
	l := &f.LLM
	l.BaseURL, l.Model = strings.TrimSpace(r.PostFormValue("base_url")), strings.TrimSpace(r.PostFormValue("model"))
	l.SystemPrompt = r.PostFormValue("system_prompt")
	l.Temperature, l.MaxTokens = strings.TrimSpace(r.PostFormValue("temperature")), strings.TrimSpace(r.PostFormValue("max_tokens"))
	l.History = strings.TrimSpace(r.PostFormValue("history"))
	c := llmConfig{BaseURL: l.BaseURL, Model: l.Model, SystemPrompt: l.SystemPrompt, APIKey: r.PostFormValue("api_key"),
		Tools: r.PostForm["tools"]}
	if c.Tools == nil {
		c.Tools = []string{}
	}
	if l.Temperature != "" {
		t, err := strconv.ParseFloat(l.Temperature, 64)
		if err != nil {
			v.Add("config.temperature", "must be a number from 0 to 2")
		}
		c.Temperature = &t
	}
	for _, n := range []struct {
		field, text string
		dst         **int
	}{{"max_tokens", l.MaxTokens, &c.MaxTokens}, {"history", l.History, &c.History}} {
		if n.text == "" {
			continue
		}
		i, err := strconv.Atoi(n.text)
		if err != nil {
			v.Add("config."+n.field, "must be a whole number")
		}
		*n.dst = &i
	}
	l.Tools = h.llmTools(r, f.p.visit, c.Tools)
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	raw, err := json.Marshal(c)
	return raw, false, err
}
