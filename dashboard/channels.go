package dashboard

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

// The Channels page: the workspace's channels with their type and status;
// a form per type, made from the type's spec (its settings, which are
// secret); after creation, the URL to give the platform and the secrets
// Switchboard generated, shown once; registration with the platform
// where its API allows it; edit, disconnect, connect, delete.

func (h *Handler) mountChannels(mux *http.ServeMux) {
	mux.Handle("GET /channels", h.page(true, h.channelsPage))
	mux.Handle("GET /channels/new", h.page(true, h.newChannelPage))
	mux.Handle("POST /channels", h.page(true, h.createChannel))
	mux.Handle("GET /channels/{id}", h.page(true, h.channelPage))
	mux.Handle("GET /channels/{id}/edit", h.page(true, h.editChannelPage))
	mux.Handle("POST /channels/{id}/edit", h.page(true, h.editChannel))
	mux.Handle("POST /channels/{id}/register", h.page(true, h.registerChannel))
	mux.Handle("POST /channels/{id}/connect", h.page(true, h.connectChannel))
	mux.Handle("GET /channels/{id}/disconnect", h.page(true, h.confirmDisconnectChannel))
	mux.Handle("POST /channels/{id}/disconnect", h.page(true, h.disconnectChannel))
	mux.Handle("GET /channels/{id}/delete", h.page(true, h.confirmDeleteChannel))
	mux.Handle("POST /channels/{id}/delete", h.page(true, h.deleteChannel))
}

type channelsView struct {
	Channels []app.ChannelView
	Types    []app.ChannelType
	Pager    pager
}

func (h *Handler) channelsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	data := &channelsView{Types: h.app.ChannelTypes()}
	p := &pageView{Title: "Channels", Section: "channels", visit: v, Data: data}
	rows, err := h.app.ListChannels(r.Context(), v.Workspace, listPage(r))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	data.Channels, data.Pager = paginate(r, rows, func(c app.ChannelView) string { return c.ID })
	h.show(w, http.StatusOK, "channels", p)
}

// configField is one setting of a channel type as its form shows it.
type configField struct {
	sb.ConfigField
	// Value is the value shown in the control: what was typed (after a
	// refused post) or is stored; never a secret's.
	Value string
	// IsSet says that a secret has a stored value (edit forms).
	IsSet bool
	// Error is the message about the field, by its API name.
	Error string
	// Editing is true on the edit form: a secret left empty is kept.
	Editing bool
}

// Key is the field's name in forms and errors, as the API names it.
func (f configField) Key() string { return "config." + f.Name }

// ID is the id of the field's control.
func (f configField) ID() string { return "config-" + f.Name }

// Label is the field's name in words.
func (f configField) Label() string { return words(f.Name) }

// Generated says that Switchboard makes the value when none is given,
// and shows it once.
func (f configField) Generated() bool { return f.Generate != nil && !f.Internal }

// Help says what to type.
func (f configField) Help() string {
	var parts []string
	switch {
	case f.Name == "api_base_url":
		parts = append(parts, "Only for a self-hosted platform server or a test: the base URL of the platform's API.")
	case f.Name == "send_guarantee":
		parts = append(parts, "What a send interrupted by a crash becomes: at_most_once never sends a message twice, at_least_once never loses one.")
	case f.CIDRs:
		parts = append(parts, "One address range per line, like 203.0.113.0/24: inbound requests from other addresses are refused. Empty: any address.")
	case f.List:
		parts = append(parts, "One per line.")
	case f.URL:
		parts = append(parts, "An absolute http or https URL.")
	}
	if f.Secret {
		parts = append(parts, "Secret: stored encrypted, never shown again.")
	}
	if f.Generated() && !f.Editing {
		parts = append(parts, "Leave empty and Switchboard makes one, shown once.")
	}
	if f.Secret && f.Editing {
		if f.IsSet {
			parts = append(parts, "A value is set; leave empty to keep it.")
		} else {
			parts = append(parts, "No value is set.")
		}
	}
	return strings.Join(parts, " ")
}

// words turns a setting's name into words: bot_token → Bot token.
func words(name string) string {
	ws := strings.Split(name, "_")
	for i, w := range ws {
		switch w {
		case "api", "url", "id", "sid":
			ws[i] = strings.ToUpper(w)
		case "ips":
			ws[i] = "IPs"
		}
	}
	s := strings.Join(ws, " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// channelForm is the create and edit form of one channel type.
type channelForm struct {
	Type  app.ChannelType
	ID    string // the channel's, when editing
	Name  string
	BotID string
	Bots  []*sb.Bot
	// Errors are the messages about the name and the bot, by field.
	Errors    map[string]string
	Fields    []configField
	Registers bool
}

// formFields are the settings of a type a form shows (not the internal
// ones only the server uses), with the values of form (or of the stored
// channel ch) and the messages of p.
func formFields(t app.ChannelType, ch *sb.Channel, form map[string][]string, p *pageView) []configField {
	var out []configField
	for _, f := range t.Spec.AllFields() {
		if f.Internal {
			continue
		}
		cf := configField{ConfigField: f, Error: listError(p.Fields, "config."+f.Name), Editing: ch != nil}
		if ch != nil {
			if f.Secret {
				_, cf.IsSet = ch.Secrets[f.Name]
			} else {
				cf.Value = settingText(ch.Config[f.Name])
			}
		}
		if vals, ok := form["config."+f.Name]; ok && !f.Secret && len(vals) > 0 {
			cf.Value = vals[0]
		}
		out = append(out, cf)
	}
	return out
}

// settingText is a stored setting as a control shows it: lists one item a
// line.
func settingText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []string:
		return strings.Join(v, "\n")
	case []any:
		items := make([]string, 0, len(v))
		for _, it := range v {
			if s, ok := it.(string); ok {
				items = append(items, s)
			}
		}
		return strings.Join(items, "\n")
	}
	return ""
}

// channelType returns the type named typ, if this build has it.
func (h *Handler) channelType(typ string) (app.ChannelType, bool) {
	for _, t := range h.app.ChannelTypes() {
		if t.Spec.Type == typ {
			return t, true
		}
	}
	return app.ChannelType{}, false
}

// bots returns the workspace's bots for a form's choice (the first 200).
func (h *Handler) bots(r *http.Request, ws string) []*sb.Bot {
	bots, err := h.app.ListBots(r.Context(), ws, sb.Page{Limit: 200})
	if err != nil {
		h.log.Warn("listing bots for a channel form", "error", err)
	}
	return bots
}

func (h *Handler) newChannelPage(w http.ResponseWriter, r *http.Request, v *visit) {
	typ := r.URL.Query().Get("type")
	t, ok := h.channelType(typ)
	if !ok {
		data := &channelsView{Types: h.app.ChannelTypes()}
		p := &pageView{Title: "Connect a channel", Section: "channels", visit: v, Data: data}
		status := http.StatusOK
		if typ != "" {
			status, p.Error = http.StatusBadRequest, "There is no channel type "+typ+" in this build: choose one of the list."
		}
		h.show(w, status, "channels_types", p)
		return
	}
	p := &pageView{Title: "Connect a " + typ + " channel", Section: "channels", visit: v}
	p.Data = &channelForm{Type: t, Bots: h.bots(r, v.Workspace), Fields: formFields(t, nil, nil, p)}
	h.show(w, http.StatusOK, "channels_new", p)
}

// formConfig reads the settings of type t from a posted form as the API's
// config object. Empty controls are left out on create; on edit (old is
// the stored channel) an emptied setting is removed (null), and an empty
// secret keeps its value.
func formConfig(t app.ChannelType, r *http.Request, old *sb.Channel) json.RawMessage {
	config := map[string]any{}
	for _, f := range t.Spec.AllFields() {
		if f.Internal {
			continue
		}
		raw := r.PostFormValue("config." + f.Name)
		var val any
		if f.List {
			items := []string{}
			for _, it := range strings.FieldsFunc(raw, func(c rune) bool { return c == '\n' || c == '\r' || c == ',' }) {
				if it = strings.TrimSpace(it); it != "" {
					items = append(items, it)
				}
			}
			if len(items) > 0 {
				val = items
			}
		} else if s := strings.TrimSpace(raw); s != "" {
			val = s
		}
		switch {
		case val != nil:
			config[f.Name] = val
		case old != nil && !f.Secret:
			if _, had := old.Config[f.Name]; had {
				config[f.Name] = nil
			}
		}
	}
	if len(config) == 0 && old != nil {
		return nil
	}
	b, _ := json.Marshal(config)
	return b
}

// channelView is the page of a channel: the channel with its type, and,
// just after creation, the secrets Switchboard generated for it (shown
// this once).
type channelView struct {
	app.ChannelView
	Type      app.ChannelType
	Generated []setting
	BotName   string
}

type setting struct{ Name, Value string }

// Settings are the channel's public settings, for display, and the names
// of its secrets that are set.
func (c *channelView) Settings() []setting {
	var out []setting
	for _, f := range c.Type.Spec.AllFields() {
		if f.Internal {
			continue
		}
		if f.Secret {
			if _, ok := c.Secrets[f.Name]; ok {
				out = append(out, setting{f.Name, "(secret, set)"})
			}
			continue
		}
		if v := settingText(c.Config[f.Name]); v != "" {
			out = append(out, setting{f.Name, strings.ReplaceAll(v, "\n", ", ")})
		}
	}
	return out
}

func (h *Handler) createChannel(w http.ResponseWriter, r *http.Request, v *visit) {
	typ := r.PostFormValue("type")
	t, ok := h.channelType(typ)
	if !ok {
		p := &pageView{Title: "Connect a channel", Section: "channels", visit: v, Data: &channelsView{Types: h.app.ChannelTypes()},
			Error: "There is no channel type " + typ + " in this build: choose one of the list."}
		h.show(w, http.StatusBadRequest, "channels_types", p)
		return
	}
	req := &app.CreateChannelParams{Type: typ, Name: strings.TrimSpace(r.PostFormValue("name")), Config: formConfig(t, r, nil)}
	if b := r.PostFormValue("bot_id"); b != "" {
		req.BotID = &b
	}
	created, err := h.app.CreateChannel(r.Context(), v.Workspace, req)
	if err != nil {
		p := &pageView{Title: "Connect a " + typ + " channel", Section: "channels", visit: v}
		form := &channelForm{Type: t, Name: req.Name, BotID: r.PostFormValue("bot_id"), Bots: h.bots(r, v.Workspace)}
		p.Data = form
		h.failedForm(w, r, err, "channels_new", p, func() { form.Fields, form.Errors = formFields(t, nil, r.PostForm, p), p.Fields })
		return
	}
	view := &channelView{ChannelView: created, Type: t}
	for _, f := range t.Spec.Fields {
		if f.Generate != nil && !f.Internal {
			if s, ok := created.Config[f.Name].(string); ok {
				view.Generated = append(view.Generated, setting{f.Name, s})
			}
		}
	}
	// The generated values are shown this once, in this answer (not
	// after a redirect): the stored channel never shows them again.
	v.Notice = "Channel " + created.Name + " created."
	h.showChannel(w, r, v, http.StatusOK, view)
}

// failedForm is failed for a form whose fields' messages must be set on
// its data before it is shown again: fill runs once p.Fields are known.
func (h *Handler) failedForm(w http.ResponseWriter, r *http.Request, err error, page string, p *pageView, fill func()) {
	p.Fields = errorFields(err)
	fill()
	h.failed(w, r, err, page, p)
}

func (h *Handler) showChannel(w http.ResponseWriter, r *http.Request, v *visit, status int, c *channelView) {
	if c.BotID != nil {
		if b, err := h.app.GetBot(r.Context(), v.Workspace, *c.BotID); err == nil {
			c.BotName = b.Name
		}
	}
	h.show(w, status, "channels_show", &pageView{Title: c.Name, Section: "channels", visit: v, Data: c})
}

// channel reads the channel the path names, with its type; false when it
// answered the request (not found).
func (h *Handler) channel(w http.ResponseWriter, r *http.Request, v *visit) (*channelView, bool) {
	ch, err := h.app.GetChannel(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", &pageView{Title: "Channel", Section: "channels", visit: v})
		return nil, false
	}
	t, _ := h.channelType(ch.Type)
	return &channelView{ChannelView: ch, Type: t}, true
}

func (h *Handler) channelPage(w http.ResponseWriter, r *http.Request, v *visit) {
	if c, ok := h.channel(w, r, v); ok {
		h.showChannel(w, r, v, http.StatusOK, c)
	}
}

func (h *Handler) editChannelPage(w http.ResponseWriter, r *http.Request, v *visit) {
	c, ok := h.channel(w, r, v)
	if !ok {
		return
	}
	p := &pageView{Title: "Edit " + c.Name, Section: "channels", visit: v}
	form := &channelForm{Type: c.Type, ID: c.ID, Name: c.Name, Bots: h.bots(r, v.Workspace), Fields: formFields(c.Type, c.Channel, nil, p)}
	if c.BotID != nil {
		form.BotID = *c.BotID
	}
	p.Data = form
	h.show(w, http.StatusOK, "channels_edit", p)
}

func (h *Handler) editChannel(w http.ResponseWriter, r *http.Request, v *visit) {
	c, ok := h.channel(w, r, v)
	if !ok {
		return
	}
	req := &app.UpdateChannelParams{Name: sb.Optional[string]{Set: true, Value: strings.TrimSpace(r.PostFormValue("name"))},
		Config: formConfig(c.Type, r, c.Channel)}
	if b := r.PostFormValue("bot_id"); b != "" {
		req.BotID = sb.Optional[string]{Set: true, Value: b}
	} else {
		req.BotID = sb.Optional[string]{Set: true, Null: true}
	}
	if _, err := h.app.UpdateChannel(r.Context(), v.Workspace, c.ID, req); err != nil {
		p := &pageView{Title: "Edit " + c.Name, Section: "channels", visit: v}
		form := &channelForm{Type: c.Type, ID: c.ID, Name: req.Name.Value, BotID: r.PostFormValue("bot_id"), Bots: h.bots(r, v.Workspace)}
		p.Data = form
		h.failedForm(w, r, err, "channels_edit", p, func() { form.Fields, form.Errors = formFields(c.Type, c.Channel, r.PostForm, p), p.Fields })
		return
	}
	h.done(w, r, "/channels/"+c.ID, "Channel saved.")
}

func (h *Handler) registerChannel(w http.ResponseWriter, r *http.Request, v *visit) {
	c, ok := h.channel(w, r, v)
	if !ok {
		return
	}
	if _, err := h.app.RegisterChannel(r.Context(), v.Workspace, c.ID); err != nil {
		// The platform's refusal says why; the channel's page shows it.
		var e *sb.Error
		if errors.As(err, &e) && (e.Code == sb.EUnprocessable || e.Code == sb.EInvalid) {
			p := &pageView{Title: c.Name, Section: "channels", visit: v, Data: c, Error: fieldsSentence(e)}
			h.show(w, map[string]int{sb.EUnprocessable: http.StatusUnprocessableEntity, sb.EInvalid: http.StatusBadRequest}[e.Code], "channels_show", p)
			return
		}
		h.failed(w, r, err, "", &pageView{Title: c.Name, Section: "channels", visit: v})
		return
	}
	h.done(w, r, "/channels/"+c.ID, "The platform now sends "+c.Name+"'s messages to "+c.WebhookURL+".")
}

func (h *Handler) setChannelStatus(w http.ResponseWriter, r *http.Request, v *visit, status, notice string) {
	id := r.PathValue("id")
	_, err := h.app.UpdateChannel(r.Context(), v.Workspace, id, &app.UpdateChannelParams{Status: sb.Optional[string]{Set: true, Value: status}})
	if err != nil {
		h.failed(w, r, err, "", &pageView{Title: "Channel", Section: "channels", visit: v})
		return
	}
	h.done(w, r, "/channels/"+id, notice)
}

func (h *Handler) connectChannel(w http.ResponseWriter, r *http.Request, v *visit) {
	h.setChannelStatus(w, r, v, sb.ChannelConnected, "Channel connected: its messages are accepted and sent again.")
}

func (h *Handler) confirmDisconnectChannel(w http.ResponseWriter, r *http.Request, v *visit) {
	c, ok := h.channel(w, r, v)
	if !ok {
		return
	}
	h.confirm(w, v, "channels", &confirmation{
		Question: "Disconnect the " + c.Type.Spec.Type + " channel " + c.Name + "?",
		Consequences: []string{
			"Messages the platform sends to " + c.WebhookURL + " are refused and not stored.",
			"Nothing is sent through the channel: bot replies and agents' answers fail.",
			"Its settings, contacts and conversations are kept; connecting it again resumes.",
		},
		Action: "/channels/" + c.ID + "/disconnect", Button: "Disconnect", Back: "/channels/" + c.ID,
	})
}

func (h *Handler) disconnectChannel(w http.ResponseWriter, r *http.Request, v *visit) {
	h.setChannelStatus(w, r, v, sb.ChannelDisconnected, "Channel disconnected: nothing is received or sent through it.")
}

func (h *Handler) confirmDeleteChannel(w http.ResponseWriter, r *http.Request, v *visit) {
	c, ok := h.channel(w, r, v)
	if !ok {
		return
	}
	h.confirm(w, v, "channels", &confirmation{
		Question: "Delete the " + c.Type.Spec.Type + " channel " + c.Name + "?",
		Consequences: []string{
			"Its contacts, conversations and messages are erased.",
			"Messages the platform sends to " + c.WebhookURL + " are refused from now on.",
			"Its settings and secrets are erased: connecting the platform again means a new channel.",
		},
		Action: "/channels/" + c.ID + "/delete", Button: "Delete the channel", Back: "/channels/" + c.ID,
	})
}

func (h *Handler) deleteChannel(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := h.app.DeleteChannel(r.Context(), v.Workspace, r.PathValue("id")); err != nil {
		h.failed(w, r, err, "", &pageView{Title: "Channel", Section: "channels", visit: v})
		return
	}
	h.done(w, r, "/channels", "Channel deleted.")
}
