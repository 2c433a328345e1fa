package httpapi

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

var kindFact = kind{sb.PrefixFact, "fact"}

func (s *Server) listFacts(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixFact)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := app.FactListParams{Key: q.Get("key"), ContactID: q.Get("contact_id"), Email: q.Get("email"),
		Phone: q.Get("phone"), Source: q.Get("source")}
	facts, err := s.app.ListFacts(r.Context(), workspace(r), f, p)
	if err != nil {
		return err
	}
	return respondPage(w, facts, p, func(f *sb.Fact) string { return f.ID })
}

// putFact answers 201 for a new fact, 200 for one it replaced.
func (s *Server) putFact(w http.ResponseWriter, r *http.Request) error {
	var req app.PutFactParams
	if err := decodeObject(r, &req); err != nil {
		return err
	}
	f, created, err := s.app.PutFact(r.Context(), workspace(r), &req)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return respond(w, status, f)
}
