package httpapi

import (
	"net/http"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

type contactPatch struct {
	Name       optional[string]         `json:"name"`
	Email      optional[string]         `json:"email"`
	Phone      optional[string]         `json:"phone"`
	Attributes optional[map[string]any] `json:"attributes"`
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixContact)
	if err != nil {
		return err
	}
	f := sb.ContactFilter{ChannelID: r.URL.Query().Get("channel_id")}
	contacts, err := s.store.ListContacts(r.Context(), principal(r).WorkspaceID, f, p)
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
	c, err := s.store.GetContact(r.Context(), principal(r).WorkspaceID, id)
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
	var req contactPatch
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := validateContactPatch(&req); err != nil {
		return err
	}
	var c *sb.Contact
	err = s.store.Tx(r.Context(), func(q sb.Queries) error {
		c, err = q.GetContact(r.Context(), principal(r).WorkspaceID, id)
		if err != nil {
			return err
		}
		setString(&c.Name, req.Name)
		setString(&c.Email, req.Email)
		setString(&c.Phone, req.Phone)
		if req.Attributes.Set {
			c.Attributes = req.Attributes.Value
			if c.Attributes == nil {
				c.Attributes = map[string]any{}
			}
		}
		c.UpdatedAt = time.Now().UTC()
		return q.UpdateContact(r.Context(), c)
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, c)
}

func validateContactPatch(req *contactPatch) error {
	var v sb.Validation
	if len(req.Name.Value) > 200 {
		v.Add("name", "must be at most 200 characters")
	}
	if e := req.Email.Value; e != "" && (len(e) > 254 || !strings.Contains(e, "@") || strings.ContainsAny(e, " \t\r\n")) {
		v.Add("email", "must be an email address")
	}
	if p := req.Phone.Value; p != "" && (len(p) > 32 || strings.Trim(p, "+0123456789 -().") != "") {
		v.Add("phone", "must be a phone number, like +15551234567")
	}
	return v.Err()
}

// setString applies an optional string: null clears it.
func setString(dst *string, o optional[string]) {
	if o.Set {
		*dst = o.Value
	}
}
