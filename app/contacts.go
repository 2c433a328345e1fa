package app

import (
	"context"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// UpdateContactParams are the contact's details to change; null clears.
type UpdateContactParams struct {
	Name       sb.Optional[string]         `json:"name"`
	Email      sb.Optional[string]         `json:"email"`
	Phone      sb.Optional[string]         `json:"phone"`
	Attributes sb.Optional[map[string]any] `json:"attributes"`
}

// ListContacts returns a page of the workspace's contacts.
func (s *Service) ListContacts(ctx context.Context, ws string, f sb.ContactFilter, p sb.Page) ([]*sb.Contact, error) {
	return s.store.ListContacts(ctx, ws, f, p)
}

// GetContact returns one contact.
func (s *Service) GetContact(ctx context.Context, ws, id string) (*sb.Contact, error) {
	return s.store.GetContact(ctx, ws, id)
}

// UpdateContact changes a contact's name, email, phone or attributes
// (replaced whole).
func (s *Service) UpdateContact(ctx context.Context, ws, id string, req *UpdateContactParams) (*sb.Contact, error) {
	if err := validateContactPatch(req); err != nil {
		return nil, err
	}
	return writeResult(ctx, s, func(q sb.Queries) (*sb.Contact, error) {
		c, err := q.HoldContact(ctx, ws, id)
		if err != nil {
			return nil, err
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
		c.UpdatedAt = s.now()
		return c, q.UpdateContact(ctx, c)
	})
}

func validateContactPatch(req *UpdateContactParams) error {
	var v sb.Validation
	if len(req.Name.Value) > 200 {
		v.Add("name", "must be at most 200 characters")
	}
	if e := req.Email.Value; e != "" && !validEmail(e) {
		v.Add("email", "must be an email address")
	}
	if p := req.Phone.Value; p != "" && !validPhone(p) {
		v.Add("phone", "must be a phone number, like +15551234567")
	}
	return v.Err()
}

// validEmail reports whether e looks like an email address.
func validEmail(e string) bool {
	return len(e) <= 254 && strings.Contains(e, "@") && !strings.ContainsAny(e, " \t\r\n")
}

// validPhone reports whether p looks like a phone number.
func validPhone(p string) bool {
	return len(p) <= 32 && strings.Trim(p, "+0123456789 -().") == ""
}

// setString applies an optional string: null clears it.
func setString(dst *string, o sb.Optional[string]) {
	if o.Set {
		*dst = o.Value
	}
}
