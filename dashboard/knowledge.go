package dashboard

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

// The Knowledge page: the facts bot responses and integration templates
// use, by key and subject (a contact, an email, a phone, or the whole
// workspace); searching them by key (or the start of keys) and subject;
// adding or replacing one (a fact is named by its key and subject);
// making one expire now; deleting one.

func (h *Handler) mountKnowledge(mux *http.ServeMux) {
	mux.Handle("GET /knowledge", h.page(true, h.knowledgePage))
	mux.Handle("GET /knowledge/new", h.page(true, h.newFactPage))
	mux.Handle("POST /knowledge/new", h.page(true, h.putFact))
	mux.Handle("GET /knowledge/{id}", h.page(true, h.factPage))
	mux.Handle("GET /knowledge/{id}/expire", h.page(true, h.confirmExpireFact))
	mux.Handle("POST /knowledge/{id}/expire", h.page(true, h.expireFact))
	mux.Handle("GET /knowledge/{id}/delete", h.page(true, h.confirmDeleteFact))
	mux.Handle("POST /knowledge/{id}/delete", h.page(true, deleteNamed(h, "knowledge", "/knowledge", h.app.GetFact, h.app.DeleteFact,
		func(f *sb.Fact) string { return "The fact " + f.Key + " was deleted." })))
}

// Subjects of facts as the forms name them.
const (
	aboutWorkspace = "workspace"
	aboutContact   = "contact"
	aboutEmail     = "email"
	aboutPhone     = "phone"
)

// factSubjects are the subjects a form offers, in order.
var factSubjects = []string{aboutWorkspace, aboutContact, aboutEmail, aboutPhone}

type factRow struct{ *sb.Fact }

// Subject says whom the fact is about.
func (f factRow) Subject() string {
	switch {
	case f.ContactID != "":
		return "contact " + f.ContactID
	case f.Email != "":
		return "email " + f.Email
	case f.Phone != "":
		return "phone " + f.Phone
	}
	return "the workspace"
}

// Short is the start of the fact's text.
func (f factRow) Short() string { return truncate(f.Text, 120) }

type knowledgeView struct {
	Key, Subject, Who, Source string
	Subjects                  []string
	Facts                     []factRow
	Pager                     pager
}

func (h *Handler) knowledgePage(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	data := &knowledgeView{Key: strings.TrimSpace(q.Get("key")), Subject: q.Get("subject"), Who: strings.TrimSpace(q.Get("who")),
		Source: strings.TrimSpace(q.Get("source")), Subjects: factSubjects}
	p := &pageView{Title: "Knowledge", Section: "knowledge", visit: v, Data: data}
	f := app.FactListParams{Key: data.Key, Source: data.Source}
	switch data.Subject {
	case "":
		if data.Who != "" {
			h.failed(w, r, sb.Invalid("subject", "choose whom the value is: a contact, an email or a phone"), "knowledge", p)
			return
		}
	case aboutWorkspace:
		f.WorkspaceOnly = true
	case aboutContact:
		f.ContactID = data.Who
	case aboutEmail:
		f.Email = data.Who
	case aboutPhone:
		f.Phone = data.Who
	default:
		h.failed(w, r, sb.Invalid("subject", "must be one of "+strings.Join(factSubjects, ", ")), "knowledge", p)
		return
	}
	if data.Subject != "" && data.Subject != aboutWorkspace && data.Who == "" {
		h.failed(w, r, sb.Invalid("who", "is required to search the facts about a "+data.Subject), "knowledge", p)
		return
	}
	facts, err := h.app.ListFacts(r.Context(), v.Workspace, f, listPage(r))
	if err != nil {
		h.failed(w, r, err, "knowledge", p)
		return
	}
	facts, data.Pager = paginate(r, facts, func(f *sb.Fact) string { return f.ID })
	for _, f := range facts {
		data.Facts = append(data.Facts, factRow{f})
	}
	h.show(w, http.StatusOK, "knowledge", p)
}

// factForm is the form that adds or replaces a fact.
type factForm struct {
	p                                      *pageView
	Key, Subject, Who, Text, Data, Expires string
	Subjects                               []string
}

// WhoErr returns the messages about the subject's value.
func (f *factForm) WhoErr() string {
	var msgs []string
	for _, k := range []string{"contact_id", "email", "phone", "who"} {
		if m := f.p.Fields[k]; m != "" {
			msgs = append(msgs, m)
		}
	}
	return strings.Join(msgs, "; ")
}

// factFormOf fills the form from a fact (nil: an empty form).
func factFormOf(p *pageView, f *sb.Fact) *factForm {
	form := &factForm{p: p, Subject: aboutWorkspace, Subjects: factSubjects}
	if f == nil {
		return form
	}
	form.Key, form.Text = f.Key, f.Text
	switch {
	case f.ContactID != "":
		form.Subject, form.Who = aboutContact, f.ContactID
	case f.Email != "":
		form.Subject, form.Who = aboutEmail, f.Email
	case f.Phone != "":
		form.Subject, form.Who = aboutPhone, f.Phone
	}
	if len(f.Data) > 0 && string(f.Data) != "null" {
		form.Data = prettyJSON(f.Data)
	}
	if f.ExpiresAt != nil {
		form.Expires = f.ExpiresAt.UTC().Format("2006-01-02T15:04")
	}
	return form
}

type factView struct {
	Fact *factRow
	Form *factForm
	Data string
}

func (h *Handler) newFactPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Add a fact", Section: "knowledge", visit: v}
	p.Data = &factView{Form: factFormOf(p, nil)}
	h.show(w, http.StatusOK, "knowledgefact", p)
}

// putFact adds a fact, or replaces the fact with the same key and subject.
func (h *Handler) putFact(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Add a fact", Section: "knowledge", visit: v}
	form := &factForm{p: p, Key: strings.TrimSpace(r.PostFormValue("key")), Subject: r.PostFormValue("subject"),
		Who: strings.TrimSpace(r.PostFormValue("who")), Text: r.PostFormValue("text"), Data: r.PostFormValue("data"),
		Expires: strings.TrimSpace(r.PostFormValue("expires_at")), Subjects: factSubjects}
	p.Data = &factView{Form: form}
	req := &app.PutFactParams{Key: form.Key, Text: &form.Text}
	var vd sb.Validation
	switch form.Subject {
	case aboutWorkspace:
	case aboutContact:
		req.ContactID = &form.Who
	case aboutEmail:
		req.Email = &form.Who
	case aboutPhone:
		req.Phone = &form.Who
	default:
		vd.Add("subject", "must be one of "+strings.Join(factSubjects, ", "))
	}
	if form.Subject != aboutWorkspace && form.Who == "" {
		vd.Add("who", "is required for a fact about a "+form.Subject)
	}
	if d := strings.TrimSpace(form.Data); d != "" {
		if !json.Valid([]byte(d)) {
			vd.Add("data", "is not valid JSON: write a JSON object")
		}
		req.Data = json.RawMessage(d)
	}
	if form.Expires != "" {
		t, err := parseLocalTime(form.Expires)
		if err != nil {
			vd.Add("expires_at", "must be a date and time like 2026-01-31T14:00 (UTC)")
		} else {
			s := t.Format(time.RFC3339)
			req.ExpiresAt = &s
		}
	}
	err := vd.Err()
	if err == nil {
		var f *sb.Fact
		var created bool
		f, created, err = h.app.PutFact(r.Context(), v.Workspace, req)
		if err == nil {
			notice := "The fact " + f.Key + " was replaced."
			if created {
				notice = "The fact " + f.Key + " was added."
			}
			h.done(w, r, "/knowledge/"+f.ID, notice)
			return
		}
	}
	h.failed(w, r, err, "knowledgefact", p)
}

func (h *Handler) factPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Fact", Section: "knowledge", visit: v}
	f, err := h.app.GetFact(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	p.Title = f.Key
	data := &factView{Fact: &factRow{f}, Form: factFormOf(p, f)}
	data.Data = data.Form.Data
	p.Data = data
	h.show(w, http.StatusOK, "knowledgefact", p)
}

func (h *Handler) confirmExpireFact(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Expire", Section: "knowledge", visit: v}
	f, err := h.app.GetFact(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	h.confirm(w, v, "knowledge", &confirmation{Question: "Expire the fact " + f.Key + " about " + factRow{f}.Subject() + " now?",
		Consequences: []string{"Bots and integrations stop using it at once: responses that need it use another response or the fallback.",
			"It is purged with the other expired facts; writing the same key and subject again makes a new fact."},
		Action: "/knowledge/" + f.ID + "/expire", Button: "Expire now", Back: "/knowledge/" + f.ID})
}

func (h *Handler) expireFact(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Expire", Section: "knowledge", visit: v}
	f, err := h.app.ExpireFact(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	h.done(w, r, "/knowledge", "The fact "+f.Key+" expired: it is no longer used.")
}

func (h *Handler) confirmDeleteFact(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Delete fact", Section: "knowledge", visit: v}
	f, err := h.app.GetFact(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	h.confirm(w, v, "knowledge", &confirmation{Question: "Delete the fact " + f.Key + " about " + factRow{f}.Subject() + "?",
		Consequences: []string{"Its text and data are deleted; bots and integrations stop using it at once."},
		Action:       "/knowledge/" + f.ID + "/delete", Button: "Delete the fact", Back: "/knowledge/" + f.ID})
}
