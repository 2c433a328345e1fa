package whatsapp

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/meta"
)

// objectWABA is the object of every WhatsApp Business Account notification.
const objectWABA = "whatsapp_business_account"

type entry struct {
	ID      string   `json:"id"`
	Changes []change `json:"changes"`
}

// change keeps its value raw: only "messages" values are read, and other
// fields have other shapes.
type change struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

// value is the value of a "messages" change. Messages stay raw so that each
// one can be stored as received.
type value struct {
	Metadata struct {
		PhoneNumberID string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []contact         `json:"contacts"`
	Messages []json.RawMessage `json:"messages"`
	Statuses []status          `json:"statuses"`
}

type contact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID   string `json:"wa_id"`
	UserID string `json:"user_id"`
}

// message is a user's message, reduced to what makes its text.
type message struct {
	From        string    `json:"from"`
	FromUserID  string    `json:"from_user_id"`
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	Text        *bodyPart `json:"text"`
	Image       *media    `json:"image"`
	Video       *media    `json:"video"`
	Document    *media    `json:"document"`
	Interactive *struct {
		ButtonReply *reply `json:"button_reply"`
		ListReply   *reply `json:"list_reply"`
		NfmReply    *struct {
			Body string `json:"body"`
		} `json:"nfm_reply"`
	} `json:"interactive"`
	Button *struct {
		Text string `json:"text"`
	} `json:"button"`
	Reaction *struct {
		Emoji string `json:"emoji"`
	} `json:"reaction"`
	Location *struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"location"`
	Order *struct {
		Text string `json:"text"`
	} `json:"order"`
	System *bodyPart `json:"system"`
}

type bodyPart struct {
	Body string `json:"body"`
}

type media struct {
	Caption string `json:"caption"`
}

type reply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// status is a receipt for a message the business sent.
type status struct {
	ID     string        `json:"id"`
	Status string        `json:"status"`
	Errors []statusError `json:"errors"`
}

type statusError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

// statusKinds maps the receipts that are reported to Switchboard statuses.
var statusKinds = map[string]string{
	"delivered": switchboard.MessageDelivered,
	"read":      switchboard.MessageRead,
	"failed":    switchboard.MessageFailed,
}

// parseNotification turns a notification into messages and statuses.
// Changes for another phone number than phoneNumberID are skipped.
func parseNotification(body []byte, phoneNumberID string) (*switchboard.HookResult, error) {
	var entries []entry
	if err := meta.Entries(body, objectWABA, &entries); err != nil {
		return nil, err
	}
	res := &switchboard.HookResult{}
	for i, e := range entries {
		for j, c := range e.Changes {
			if c.Field != "messages" {
				continue
			}
			prefix := fmt.Sprintf("entry[%d].changes[%d].value", i, j)
			if err := addValue(res, c.Value, prefix, phoneNumberID); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// addValue appends the messages and statuses of one "messages" change.
func addValue(res *switchboard.HookResult, raw json.RawMessage, prefix, phoneNumberID string) error {
	if len(raw) == 0 || string(raw) == "null" {
		return switchboard.Invalid(prefix, "is required")
	}
	var v value
	if err := json.Unmarshal(raw, &v); err != nil {
		return switchboard.JSONError(err, prefix)
	}
	if id := v.Metadata.PhoneNumberID; phoneNumberID != "" && id != "" && id != phoneNumberID {
		return nil
	}
	for k, rawMsg := range v.Messages {
		in, err := v.inbound(rawMsg, fmt.Sprintf("%s.messages[%d]", prefix, k))
		if err != nil {
			return err
		}
		res.Messages = append(res.Messages, in)
	}
	for k, st := range v.Statuses {
		if st.ID == "" {
			return switchboard.Invalid(fmt.Sprintf("%s.statuses[%d].id", prefix, k), "is required")
		}
		kind, ok := statusKinds[st.Status]
		if !ok {
			continue
		}
		res.Statuses = append(res.Statuses, switchboard.StatusUpdate{ExternalID: st.ID, Status: kind, Error: st.errorText()})
	}
	return nil
}

// inbound reads one message of the value.
func (v *value) inbound(raw json.RawMessage, field string) (switchboard.InboundMessage, error) {
	var m message
	if err := json.Unmarshal(raw, &m); err != nil {
		return switchboard.InboundMessage{}, switchboard.JSONError(err, field)
	}
	if m.ID == "" {
		return switchboard.InboundMessage{}, switchboard.Invalid(field+".id", "is required")
	}
	who := v.sender(&m)
	if who.ExternalID == "" {
		return switchboard.InboundMessage{}, switchboard.Invalid(field+".from", "is required")
	}
	kind := m.Type
	if kind == "" {
		kind = "unknown"
	}
	return switchboard.InboundMessage{
		ExternalID: m.ID,
		Contact:    who,
		Kind:       kind,
		Text:       m.text(),
		Raw:        raw,
	}, nil
}

// sender is the message's author: the wa_id (with the phone number it
// stands for), else the business-scoped user id; named after the matching
// entry of value.contacts.
func (v *value) sender(m *message) switchboard.ContactInfo {
	var who switchboard.ContactInfo
	switch {
	case m.From != "":
		who.ExternalID = m.From
		if isDigits(m.From) {
			who.Phone = "+" + m.From
		}
	case m.FromUserID != "":
		who.ExternalID = m.FromUserID
	}
	for _, c := range v.Contacts {
		if (c.WaID != "" && c.WaID == m.From) || (c.UserID != "" && c.UserID == m.FromUserID) {
			who.Name = c.Profile.Name
			break
		}
	}
	return who
}

// text is what a person reads as the message: the body, a caption, the
// chosen button or row, an emoji, a place.
func (m *message) text() string {
	switch {
	case m.Type == "text" && m.Text != nil:
		return m.Text.Body
	case m.Type == "image" && m.Image != nil:
		return m.Image.Caption
	case m.Type == "video" && m.Video != nil:
		return m.Video.Caption
	case m.Type == "document" && m.Document != nil:
		return m.Document.Caption
	case m.Type == "interactive" && m.Interactive != nil:
		return m.interactiveText()
	case m.Type == "button" && m.Button != nil:
		return m.Button.Text
	case m.Type == "reaction" && m.Reaction != nil:
		return m.Reaction.Emoji
	case m.Type == "location" && m.Location != nil:
		return joinNonEmpty(", ", m.Location.Name, m.Location.Address)
	case m.Type == "order" && m.Order != nil:
		return m.Order.Text
	case m.Type == "system" && m.System != nil:
		return m.System.Body
	}
	return ""
}

func (m *message) interactiveText() string {
	in := m.Interactive
	switch {
	case in.ButtonReply != nil:
		return in.ButtonReply.Title
	case in.ListReply != nil:
		return in.ListReply.Title
	case in.NfmReply != nil:
		return in.NfmReply.Body
	}
	return ""
}

// errorText describes a failed receipt's first error.
func (st *status) errorText() string {
	if len(st.Errors) == 0 {
		if st.Status == "failed" {
			return "failed without a reason"
		}
		return ""
	}
	e := st.Errors[0]
	return describe(e.Title, e.Message, e.ErrorData.Details, e.Code)
}

// describe joins an error's title, message and details, dropping repeats,
// and appends the code.
func describe(title, message, details string, code int) string {
	var parts []string
	for _, p := range []string{title, message, details} {
		p = strings.TrimSpace(p)
		if p != "" && !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	text := strings.Join(parts, ": ")
	if code != 0 {
		if text == "" {
			return "error " + strconv.Itoa(code)
		}
		text += " (code " + strconv.Itoa(code) + ")"
	}
	return text
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
