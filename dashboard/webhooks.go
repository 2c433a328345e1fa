package dashboard

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

// The Webhooks page: the workspace's endpoints with the events they take;
// create (the signing secret shown once), edit, enable and disable,
// delete; an endpoint's deliveries, filtered by status, and each
// delivery's attempts with the request sent and the response received;
// retry, replay since a time, a test event, a new secret (shown once).
//
// Delivery outcomes are not events: the list of deliveries is re-read when
// an event the endpoint takes is published (a new delivery, data-live) and,
// while deliveries are pending, every few seconds (data-refresh,
// static/refresh.js) until they are settled.

func (h *Handler) mountWebhooks(mux *http.ServeMux) {
	mux.Handle("GET /webhooks", h.page(true, h.webhooksPage))
	mux.Handle("GET /webhooks/new", h.page(true, h.newWebhookPage))
	mux.Handle("POST /webhooks", h.page(true, h.createWebhook))
	mux.Handle("GET /webhooks/{id}", h.page(true, h.webhookPage))
	mux.Handle("GET /webhooks/{id}/edit", h.page(true, h.editWebhookPage))
	mux.Handle("POST /webhooks/{id}/edit", h.page(true, h.editWebhook))
	mux.Handle("POST /webhooks/{id}/enable", h.page(true, h.enableWebhook))
	mux.Handle("POST /webhooks/{id}/disable", h.page(true, h.disableWebhook))
	mux.Handle("POST /webhooks/{id}/test", h.page(true, h.testWebhook))
	mux.Handle("POST /webhooks/{id}/replay", h.page(true, h.replayWebhook))
	mux.Handle("GET /webhooks/{id}/rotate", h.page(true, h.confirmRotateWebhook))
	mux.Handle("POST /webhooks/{id}/rotate", h.page(true, h.rotateWebhook))
	mux.Handle("GET /webhooks/{id}/delete", h.page(true, h.confirmDeleteWebhook))
	mux.Handle("POST /webhooks/{id}/delete", h.page(true, h.deleteWebhook))
	mux.Handle("GET /webhooks/{id}/deliveries/{delivery}", h.page(true, h.deliveryPage))
	mux.Handle("POST /webhooks/{id}/deliveries/{delivery}/retry", h.page(true, h.retryDelivery))
}

type webhooksView struct {
	Endpoints []*sb.WebhookEndpoint
	Pager     pager
}

func (h *Handler) webhooksPage(w http.ResponseWriter, r *http.Request, v *visit) {
	data := &webhooksView{}
	p := &pageView{Title: "Webhooks", Section: "webhooks", visit: v, Data: data}
	rows, err := h.app.ListWebhooks(r.Context(), v.Workspace, listPage(r))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	data.Endpoints, data.Pager = paginate(r, rows, func(e *sb.WebhookEndpoint) string { return e.ID })
	h.show(w, http.StatusOK, "webhooks", p)
}

// eventGroup is the event types of one prefix (message, conversation,
// …), as the form's checkboxes: the whole prefix, or each type.
type eventGroup struct {
	Prefix string
	// All is the prefix's filter ("message.*") being chosen.
	All   bool
	Types []eventChoice
}

type eventChoice struct {
	sb.EventType
	Checked bool
}

// webhookForm is the create and edit form of an endpoint.
type webhookForm struct {
	ID          string
	URL         string
	Description string
	Rate        string
	Groups      []eventGroup
	// Other are the chosen filters no checkbox stands for, comma-separated.
	Other string
	// Errors are the messages by field; EventTypesError is the first
	// about event_types or one of its items.
	Errors          map[string]string
	EventTypesError string
}

// eventGroups groups the event types of this build by prefix, with the
// chosen ones checked; it returns the chosen filters that no checkbox
// stands for.
func eventGroups(types []sb.EventType, chosen []string) ([]eventGroup, []string) {
	var groups []eventGroup
	used := map[string]bool{}
	for _, t := range types {
		prefix, _, _ := strings.Cut(t.Name, ".")
		if len(groups) == 0 || groups[len(groups)-1].Prefix != prefix {
			all := prefix + ".*"
			groups = append(groups, eventGroup{Prefix: prefix, All: slices.Contains(chosen, all)})
			used[all] = true
		}
		g := &groups[len(groups)-1]
		g.Types = append(g.Types, eventChoice{EventType: t, Checked: slices.Contains(chosen, t.Name)})
		used[t.Name] = true
	}
	var other []string
	for _, c := range chosen {
		if !used[c] {
			other = append(other, c)
		}
	}
	return groups, other
}

// fillWebhookForm sets the event checkboxes of f (chosen: the filters
// chosen) and the messages of p on it.
func (h *Handler) fillWebhookForm(f *webhookForm, chosen []string, p *pageView) *webhookForm {
	var other []string
	f.Groups, other = eventGroups(h.app.EventTypes(), chosen)
	if f.Other == "" {
		f.Other = strings.Join(other, ", ")
	}
	f.Errors = p.Fields
	for k, m := range p.Fields {
		if (k == "event_types" || strings.HasPrefix(k, "event_types[")) && f.EventTypesError == "" {
			f.EventTypesError = m
		}
	}
	return f
}

// formEventTypes reads the chosen event types: the checkboxes, then the
// other filters typed.
func formEventTypes(r *http.Request) []string {
	types := slices.Clone(r.PostForm["event_types"])
	for _, o := range strings.FieldsFunc(r.PostFormValue("event_types_other"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' }) {
		if !slices.Contains(types, o) {
			types = append(types, o)
		}
	}
	return types
}

// formRate reads the rate limit: empty is no limit; anything else not a
// number is refused naming the field.
func formRate(r *http.Request) (*int, error) {
	s := strings.TrimSpace(r.PostFormValue("rate_limit_per_second"))
	if s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, sb.Invalid("rate_limit_per_second", "must be an integer from 1 to 10000, or empty for no limit")
	}
	return &n, nil
}

func (h *Handler) newWebhookPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Add a webhook endpoint", Section: "webhooks", visit: v}
	p.Data = h.fillWebhookForm(&webhookForm{}, nil, p)
	h.show(w, http.StatusOK, "webhooks_new", p)
}

// endpointView is an endpoint's page: its settings, its deliveries and,
// after create or rotate, its secret (shown this once).
type endpointView struct {
	*sb.WebhookEndpoint
	Secret     string
	Deliveries []*sb.Delivery
	Pager      pager
	Filter     string // the deliveries' status filter
	Since      string // the replay form's
	Pending    bool
}

// Live are the event types that make new deliveries for this endpoint,
// for data-live; webhook. for its test events.
func (e *endpointView) Live() string {
	if len(e.EventTypes) == 0 {
		return "*"
	}
	return strings.Join(append(slices.Clone(e.EventTypes), "webhook."), " ")
}

func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	form := &webhookForm{URL: strings.TrimSpace(r.PostFormValue("url")), Description: r.PostFormValue("description"),
		Rate: r.PostFormValue("rate_limit_per_second"), Other: r.PostFormValue("event_types_other")}
	types := formEventTypes(r)
	p := &pageView{Title: "Add a webhook endpoint", Section: "webhooks", visit: v}
	rate, err := formRate(r)
	var ep *app.EndpointWithSecret
	if err == nil {
		ep, err = h.app.CreateWebhook(r.Context(), v.Workspace, &app.CreateWebhookParams{URL: form.URL, Description: form.Description,
			EventTypes: types, RateLimitPerSecond: rate})
	}
	if err != nil {
		p.Data = form
		h.failedForm(w, r, err, "webhooks_new", p, func() { h.fillWebhookForm(form, r.PostForm["event_types"], p) })
		return
	}
	v.Notice = "Endpoint added. Copy its signing secret now: it is shown only this once."
	h.showEndpoint(w, r, v, &endpointView{WebhookEndpoint: ep.WebhookEndpoint, Secret: ep.Secret}, nil)
}

// showEndpoint renders an endpoint's page with a page of its deliveries;
// p, if given, carries a form's messages.
func (h *Handler) showEndpoint(w http.ResponseWriter, r *http.Request, v *visit, e *endpointView, p *pageView) {
	if p == nil {
		p = &pageView{visit: v}
	}
	p.Title, p.Section, p.Data = e.URL, "webhooks", e
	e.Filter = r.URL.Query().Get("status")
	page := listPage(r)
	if r.Method == http.MethodPost {
		e.Filter, page = "", sb.Page{Limit: pageSize + 1}
	}
	rows, err := h.app.ListDeliveries(r.Context(), v.Workspace, e.ID, sb.DeliveryFilter{Status: e.Filter}, page)
	if err != nil {
		e.Filter = ""
		h.failed(w, r, err, "webhooks_show", p)
		return
	}
	e.Deliveries, e.Pager = paginate(r, rows, func(d *sb.Delivery) string { return d.ID })
	e.Pending = slices.ContainsFunc(e.Deliveries, func(d *sb.Delivery) bool { return d.Status == sb.DeliveryPending })
	status := http.StatusOK
	if p.Error != "" {
		status = http.StatusBadRequest
	}
	h.show(w, status, "webhooks_show", p)
}

// endpoint reads the endpoint the path names; false when it answered the
// request (not found).
func (h *Handler) endpoint(w http.ResponseWriter, r *http.Request, v *visit) (*sb.WebhookEndpoint, bool) {
	ep, err := h.app.GetWebhook(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", &pageView{Title: "Webhook endpoint", Section: "webhooks", visit: v})
		return nil, false
	}
	return ep, true
}

func (h *Handler) webhookPage(w http.ResponseWriter, r *http.Request, v *visit) {
	if ep, ok := h.endpoint(w, r, v); ok {
		h.showEndpoint(w, r, v, &endpointView{WebhookEndpoint: ep}, nil)
	}
}

func (h *Handler) editWebhookPage(w http.ResponseWriter, r *http.Request, v *visit) {
	ep, ok := h.endpoint(w, r, v)
	if !ok {
		return
	}
	p := &pageView{Title: "Edit " + ep.URL, Section: "webhooks", visit: v}
	form := &webhookForm{ID: ep.ID, URL: ep.URL, Description: ep.Description}
	if ep.RateLimitPerSecond != nil {
		form.Rate = strconv.Itoa(*ep.RateLimitPerSecond)
	}
	p.Data = h.fillWebhookForm(form, ep.EventTypes, p)
	h.show(w, http.StatusOK, "webhooks_edit", p)
}

func (h *Handler) editWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	form := &webhookForm{ID: id, URL: strings.TrimSpace(r.PostFormValue("url")), Description: r.PostFormValue("description"),
		Rate: r.PostFormValue("rate_limit_per_second"), Other: r.PostFormValue("event_types_other")}
	p := &pageView{Title: "Edit " + form.URL, Section: "webhooks", visit: v}
	rate, err := formRate(r)
	if err == nil {
		req := &app.UpdateWebhookParams{URL: sb.Optional[string]{Set: true, Value: form.URL},
			Description:        sb.Optional[string]{Set: true, Value: form.Description},
			EventTypes:         sb.Optional[[]string]{Set: true, Value: formEventTypes(r)},
			RateLimitPerSecond: sb.Optional[int]{Set: true, Null: rate == nil}}
		if rate != nil {
			req.RateLimitPerSecond.Value = *rate
		}
		_, err = h.app.UpdateWebhook(r.Context(), v.Workspace, id, req)
	}
	if err != nil {
		p.Data = form
		h.failedForm(w, r, err, "webhooks_edit", p, func() { h.fillWebhookForm(form, r.PostForm["event_types"], p) })
		return
	}
	h.done(w, r, "/webhooks/"+id, "Endpoint saved.")
}

func (h *Handler) setWebhookStatus(w http.ResponseWriter, r *http.Request, v *visit, status, notice string) {
	id := r.PathValue("id")
	_, err := h.app.UpdateWebhook(r.Context(), v.Workspace, id, &app.UpdateWebhookParams{Status: sb.Optional[string]{Set: true, Value: status}})
	if err != nil {
		h.failed(w, r, err, "", &pageView{Title: "Webhook endpoint", Section: "webhooks", visit: v})
		return
	}
	h.done(w, r, "/webhooks/"+id, notice)
}

func (h *Handler) enableWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	h.setWebhookStatus(w, r, v, sb.EndpointEnabled, "Endpoint enabled: new events are delivered to it.")
}

func (h *Handler) disableWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	h.setWebhookStatus(w, r, v, sb.EndpointDisabled, "Endpoint disabled: nothing is delivered to it until it is enabled again.")
}

func (h *Handler) testWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	req := &app.TestWebhookParams{}
	if m := strings.TrimSpace(r.PostFormValue("message")); m != "" {
		req.Message = &m
	}
	d, err := h.app.TestWebhook(r.Context(), v.Workspace, id, req)
	if err != nil {
		h.failed(w, r, err, "", &pageView{Title: "Webhook endpoint", Section: "webhooks", visit: v})
		return
	}
	h.done(w, r, "/webhooks/"+id, "Test event sent: delivery "+d.ID+".")
}

func (h *Handler) replayWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	ep, ok := h.endpoint(w, r, v)
	if !ok {
		return
	}
	since, status := r.PostFormValue("since"), r.PostFormValue("status")
	req := &app.ReplayParams{}
	if since != "" {
		t, err := parseLocalTime(since)
		if err != nil {
			p, _ := invalidPage(v, sb.Invalid("since", "must be a date and time like 2026-01-31T14:00"))
			h.showEndpoint(w, r, v, &endpointView{WebhookEndpoint: ep, Since: since}, p)
			return
		}
		s := t.Format(time.RFC3339)
		req.Since = &s
	}
	if status != "" {
		req.Status = &status
	}
	n, err := h.app.ReplayWebhook(r.Context(), v.Workspace, ep.ID, req)
	if err != nil {
		if p, ok := invalidPage(v, err); ok {
			h.showEndpoint(w, r, v, &endpointView{WebhookEndpoint: ep, Since: since}, p)
			return
		}
		h.failed(w, r, err, "", &pageView{Title: "Not replayed", Section: "webhooks", visit: v})
		return
	}
	h.done(w, r, "/webhooks/"+ep.ID, strconv.Itoa(n)+" deliveries will be sent again.")
}

// invalidPage is the page of a form refused for its fields (EInvalid),
// with their messages; false for any other error.
func invalidPage(v *visit, err error) (*pageView, bool) {
	var e *sb.Error
	if !errors.As(err, &e) || e.Code != sb.EInvalid {
		return nil, false
	}
	return &pageView{visit: v, Error: e.Message, Fields: errorFields(err)}, true
}

// errorFields are the messages of an operation's error by field, as the
// API names them; nil for an error about no field.
func errorFields(err error) map[string]string {
	var e *sb.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return nil
	}
	fields := make(map[string]string, len(e.Fields))
	for _, f := range e.Fields {
		fields[f.Field] = f.Message
	}
	return fields
}

func (h *Handler) confirmRotateWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	ep, ok := h.endpoint(w, r, v)
	if !ok {
		return
	}
	grace := r.URL.Query().Get("grace_period_seconds")
	if grace == "" {
		grace = "86400"
	}
	old := "The current secret stops signing at once: receivers must use the new one now."
	if grace != "0" {
		old = "The current secret keeps signing beside the new one for " + graceWords(grace) + "; then only the new one signs."
	}
	h.confirm(w, v, "webhooks", &confirmation{
		Question: "Rotate the signing secret of " + ep.URL + "?",
		Consequences: []string{
			"A new secret is made and shown once, on the next page.",
			old,
			"Receivers that verify signatures reject deliveries once they are signed only with a secret they do not know.",
		},
		Action: "/webhooks/" + ep.ID + "/rotate", Button: "Rotate the secret", Back: "/webhooks/" + ep.ID,
		Hidden: map[string]string{"grace_period_seconds": grace},
	})
}

// graceWords says a grace period in seconds in words.
func graceWords(s string) string {
	n, err := strconv.Atoi(s)
	if err != nil {
		return s + " seconds"
	}
	switch {
	case n%86400 == 0:
		return plural(n/86400, "day")
	case n%3600 == 0:
		return plural(n/3600, "hour")
	}
	return plural(n, "second")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func (h *Handler) rotateWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	req := &app.RotateSecretParams{}
	if g := r.PostFormValue("grace_period_seconds"); g != "" {
		n, err := strconv.Atoi(g)
		if err != nil {
			h.failed(w, r, sb.Invalid("grace_period_seconds", "must be an integer from 0 to 604800 (7 days)"), "", &pageView{Title: "Not rotated", visit: v})
			return
		}
		req.GracePeriodSeconds = &n
	}
	ep, err := h.app.RotateWebhookSecret(r.Context(), v.Workspace, r.PathValue("id"), req)
	if err != nil {
		h.failed(w, r, err, "", &pageView{Title: "Not rotated", Section: "webhooks", visit: v})
		return
	}
	v.Notice = "New signing secret made. Copy it now: it is shown only this once."
	h.showEndpoint(w, r, v, &endpointView{WebhookEndpoint: ep.WebhookEndpoint, Secret: ep.Secret}, nil)
}

func (h *Handler) confirmDeleteWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	ep, ok := h.endpoint(w, r, v)
	if !ok {
		return
	}
	h.confirm(w, v, "webhooks", &confirmation{
		Question: "Delete the endpoint " + ep.URL + "?",
		Consequences: []string{
			"No event is delivered to it any more, pending deliveries included.",
			"Its deliveries and their attempts are erased: they cannot be retried or replayed.",
			"Its signing secrets are erased.",
		},
		Action: "/webhooks/" + ep.ID + "/delete", Button: "Delete the endpoint", Back: "/webhooks/" + ep.ID,
	})
}

func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := h.app.DeleteWebhook(r.Context(), v.Workspace, r.PathValue("id")); err != nil {
		h.failed(w, r, err, "", &pageView{Title: "Webhook endpoint", Section: "webhooks", visit: v})
		return
	}
	h.done(w, r, "/webhooks", "Endpoint deleted.")
}

// deliveryView is a delivery's page: the request its attempts sent and
// each attempt's answer.
type deliveryView struct {
	*app.DeliveryWithAttempts
	Endpoint *sb.WebhookEndpoint
	Body     string
	Attempts []attemptView
}

type attemptView struct {
	*sb.Attempt
	Headers []app.Header
}

// Milliseconds is the attempt's duration.
func (a attemptView) Milliseconds() string {
	return strconv.FormatFloat(float64(a.Duration.Microseconds())/1000, 'f', 1, 64)
}

func (h *Handler) deliveryPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Delivery", Section: "webhooks", visit: v}
	ep, ok := h.endpoint(w, r, v)
	if !ok {
		return
	}
	d, err := h.app.GetDelivery(r.Context(), v.Workspace, r.PathValue("delivery"))
	if err == nil && d.EndpointID != ep.ID {
		err = sb.Errorf(sb.ENotFound, "This endpoint has no such delivery.")
	}
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	body, err := h.app.DeliveryBody(r.Context(), v.Workspace, d.Delivery)
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	view := &deliveryView{DeliveryWithAttempts: d, Endpoint: ep, Body: body}
	for _, a := range d.Attempts {
		view.Attempts = append(view.Attempts, attemptView{Attempt: a, Headers: app.AttemptHeaders(d.Delivery, a)})
	}
	p.Title, p.Data = d.EventType+" to "+ep.URL, view
	h.show(w, http.StatusOK, "webhooks_delivery", p)
}

func (h *Handler) retryDelivery(w http.ResponseWriter, r *http.Request, v *visit) {
	ep, ok := h.endpoint(w, r, v)
	if !ok {
		return
	}
	id := r.PathValue("delivery")
	d, err := h.app.GetDelivery(r.Context(), v.Workspace, id)
	if err == nil && d.EndpointID != ep.ID {
		err = sb.Errorf(sb.ENotFound, "This endpoint has no such delivery.")
	}
	if err == nil {
		_, err = h.app.RetryDelivery(r.Context(), v.Workspace, id)
	}
	if err != nil {
		h.failed(w, r, err, "", &pageView{Title: "Not retried", Section: "webhooks", visit: v})
		return
	}
	h.done(w, r, "/webhooks/"+ep.ID+"/deliveries/"+id, "Delivery retried: it is sent again now.")
}
