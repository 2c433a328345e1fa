package app

import (
	"context"
	"strconv"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/webhook"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// Header is one request header, in the order a request sent it.
type Header struct{ Name, Value string }

// DeliveryBody returns the body every attempt of delivery d sent (or
// will send): its event as delivered, byte for byte.
func (s *Service) DeliveryBody(ctx context.Context, ws string, d *sb.Delivery) (string, error) {
	e, err := s.store.GetEvent(ctx, ws, d.EventID)
	if err != nil {
		return "", err
	}
	body, err := webhook.EventBody(e)
	return string(body), err
}

// AttemptHeaders returns the headers attempt a of delivery d sent, as the
// dispatcher sets them (section 5 of the contract). The signatures are
// not stored: they are computed at each attempt with the secrets valid
// then, and shown as such.
func AttemptHeaders(d *sb.Delivery, a *sb.Attempt) []Header {
	return []Header{
		{"Content-Type", "application/json"},
		{signature.HeaderID, d.EventID},
		{signature.HeaderTimestamp, strconv.FormatInt(a.AttemptedAt.Unix(), 10)},
		{signature.HeaderSignature, "v1,… (HMAC-SHA256 with each secret valid at the time; not stored)"},
		{"X-Signature", "sha256=… (HMAC-SHA256 of the body with the current secret; not stored)"},
		{"X-Attempt", strconv.Itoa(a.Number)},
		{"X-Idempotency-Key", d.EventID},
	}
}
