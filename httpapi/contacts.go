package httpapi

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixContact)
	if err != nil {
		return err
	}
	f := sb.ContactFilter{ChannelID: r.URL.Query().Get("channel_id")}
	contacts, err := s.app.ListContacts(r.Context(), workspace(r), f, p)
	if err != nil {
		return err
	}
	return respondPage(w, contacts, p, func(c *sb.Contact) string { return c.ID })
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixContact, "contact")
	if err != nil {
		return err
	}
	c, err := s.app.GetContact(r.Context(), workspace(r), id)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, c)
}

func (s *Server) patchContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", sb.PrefixContact, "contact")
	if err != nil {
		return err
	}
	var req app.UpdateContactParams
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.app.UpdateContact(r.Context(), workspace(r), id, &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, c)
}
