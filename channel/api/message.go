package api

import (
	"encoding/json"
	"strings"

	"github.com/switchboardhq/switchboard"
)

// maxID bounds message_id and user_id.
const maxID = 255

// inboundBody is the contract's inbound message. User stays raw and is
// decoded on its own so that an unknown field in it is named with its path
// (encoding/json names only the key).
type inboundBody struct {
	MessageID string          `json:"message_id"`
	UserID    string          `json:"user_id"`
	Text      string          `json:"text"`
	User      json.RawMessage `json:"user"`
}

type inboundUser struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// parseMessage decodes and validates an inbound body.
func parseMessage(body []byte) (*switchboard.InboundMessage, error) {
	var b inboundBody
	if err := switchboard.DecodeStrict(body, &b, ""); err != nil {
		return nil, err
	}
	user, err := decodeUser(b.User)
	if err != nil {
		return nil, err
	}
	if err := b.validate(); err != nil {
		return nil, err
	}
	msg := &switchboard.InboundMessage{
		ExternalID: b.MessageID,
		Contact:    switchboard.ContactInfo{ExternalID: b.UserID, Name: user.Name, Email: user.Email},
		Kind:       "text",
		Text:       b.Text,
		Raw:        body,
	}
	if strings.TrimSpace(b.Text) == "" {
		msg.Kind = "empty"
	}
	return msg, nil
}

// decodeUser decodes the optional user object strictly.
func decodeUser(raw json.RawMessage) (inboundUser, error) {
	var u inboundUser
	if len(raw) == 0 || string(raw) == "null" {
		return u, nil
	}
	err := switchboard.DecodeStrict(raw, &u, "user")
	return u, err
}

// validate checks the required ids.
func (b *inboundBody) validate() error {
	var v switchboard.Validation
	for _, f := range []struct{ name, value string }{{"message_id", b.MessageID}, {"user_id", b.UserID}} {
		switch {
		case strings.TrimSpace(f.value) == "":
			v.Add(f.name, "is required")
		case len(f.value) > maxID:
			v.Addf(f.name, "must be at most %d characters", maxID)
		}
	}
	return v.Err()
}
