package httpapi

import (
	"net/http"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixEvent)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := sb.EventFilter{Type: q.Get("type")}
	if since := q.Get("since"); since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			return sb.Invalid("since", "must be an RFC 3339 time, like 2026-01-15T10:30:00Z")
		}
		f.Since = t.UTC()
	}
	events, err := s.app.RenderEvents(r.Context(), workspace(r), f, p)
	if err != nil {
		return err
	}
	return respondRendered(w, events, p)
}

func (s *Server) listEventTypes(w http.ResponseWriter, r *http.Request) error {
	return respond(w, http.StatusOK, list{Data: s.app.EventTypes()})
}
