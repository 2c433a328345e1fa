package httpapi

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
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
