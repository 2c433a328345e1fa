package dashboard

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// The Events page: the event log, newest first, filtered by type (or a
// prefix like message.*) and time; each event's payload on its own page.

func (h *Handler) mountEvents(mux *http.ServeMux) {
	mux.Handle("GET /events", h.page(true, h.eventsPage))
	mux.Handle("GET /events/{id}", h.page(true, h.eventPage))
}

type eventRow struct {
	ID        string          `json:"id"`
	Type      string          `json:"event"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

type eventsView struct {
	Type, Since string
	Types       []sb.EventType
	Events      []eventRow
	Pager       pager
}

func (h *Handler) eventsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	data := &eventsView{Type: q.Get("type"), Since: q.Get("since"), Types: h.app.EventTypes()}
	p := &pageView{Title: "Events", Section: "events", visit: v, Data: data}
	f := sb.EventFilter{Type: data.Type}
	if data.Since != "" {
		t, err := parseLocalTime(data.Since)
		if err != nil {
			h.failed(w, r, sb.Invalid("since", "must be a date and time like 2026-01-31T14:00"), "events", p)
			return
		}
		f.Since = t
	}
	rows, err := h.app.RenderEvents(r.Context(), v.Workspace, f, listPage(r))
	if err != nil {
		h.failed(w, r, err, "events", p)
		return
	}
	rows, data.Pager = paginate(r, rows, func(e sb.Rendered) string { return e.ID })
	data.Events = make([]eventRow, 0, len(rows))
	for _, row := range rows {
		var e eventRow
		if err := json.Unmarshal([]byte(row.JSON), &e); err != nil {
			h.failed(w, r, err, "", p)
			return
		}
		data.Events = append(data.Events, e)
	}
	h.show(w, http.StatusOK, "events", p)
}

// Subject names what an event is about, for the list: the conversation,
// message, bot, endpoint or integration in its data.
func (e eventRow) Subject() string {
	var d map[string]struct {
		ID   string `json:"id"`
		Text string `json:"text"`
		Name string `json:"name"`
		URL  string `json:"url"`
	}
	if json.Unmarshal(e.Data, &d) != nil {
		return ""
	}
	for _, k := range []string{"message", "conversation", "bot", "endpoint", "integration", "run", "channel"} {
		if s, ok := d[k]; ok {
			switch {
			case s.Text != "":
				return truncate(s.Text, 80)
			case s.Name != "":
				return s.Name
			case s.URL != "":
				return s.URL
			}
			return s.ID
		}
	}
	return ""
}

type eventView struct {
	Event   *sb.Event
	Payload string
}

func (h *Handler) eventPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Event", Section: "events", visit: v}
	e, err := h.app.GetEvent(r.Context(), v.Workspace, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	doc, _ := json.Marshal(e)
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, doc, "", "  ")
	p.Title = e.Type + " " + e.ID
	p.Data = &eventView{Event: e, Payload: pretty.String()}
	h.show(w, http.StatusOK, "event", p)
}

// parseLocalTime reads the value of a datetime-local input (taken as UTC)
// or an RFC 3339 time.
func parseLocalTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, sb.Invalid("since", "must be a date and time")
}

// truncate shortens s to n runes, with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
