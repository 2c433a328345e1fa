package twilio

import (
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/wire"
)

// statusKinds maps the delivery statuses that are reported to Switchboard
// statuses.
var statusKinds = map[string]string{
	"delivered":   switchboard.MessageDelivered,
	"read":        switchboard.MessageRead,
	"failed":      switchboard.MessageFailed,
	"undelivered": switchboard.MessageFailed,
}

// parseParams reads a verified request: a status callback or an incoming
// message.
func parseParams(p map[string][]string) (*switchboard.HookResult, error) {
	params := form(p)
	sid := params.first("MessageSid", "SmsMessageSid", "SmsSid")
	if sid == "" {
		return nil, switchboard.Invalid("MessageSid", "is required")
	}
	res := &switchboard.HookResult{}
	if st := params.get("MessageStatus"); st != "" && st != "received" {
		if kind, ok := statusKinds[st]; ok {
			res.Statuses = []switchboard.StatusUpdate{{ExternalID: sid, Status: kind, Error: params.errorText(kind)}}
		}
		return res, nil
	}
	in, err := params.inbound(sid)
	if err != nil {
		return nil, err
	}
	res.Messages = []switchboard.InboundMessage{in}
	return res, nil
}

// form is a request's parameters.
type form map[string][]string

func (f form) get(name string) string {
	if v := f[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// first is the first of names that has a value.
func (f form) first(names ...string) string {
	for _, n := range names {
		if v := f.get(n); v != "" {
			return v
		}
	}
	return ""
}

// inbound reads an incoming message.
func (f form) inbound(sid string) (switchboard.InboundMessage, error) {
	from := f.get("From")
	if from == "" {
		return switchboard.InboundMessage{}, switchboard.Invalid("From", "is required")
	}
	numMedia := 0
	if s := f.get("NumMedia"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return switchboard.InboundMessage{}, switchboard.Invalid("NumMedia", "must be a non-negative integer")
		}
		numMedia = n
	}
	raw, err := wire.JSON(f.object())
	if err != nil {
		return switchboard.InboundMessage{}, switchboard.Invalid("body", err.Error())
	}
	kind, text := f.content(numMedia)
	return switchboard.InboundMessage{
		ExternalID: sid,
		Contact:    switchboard.ContactInfo{ExternalID: from, Name: f.get("ProfileName"), Phone: phone(from)},
		Kind:       kind,
		Text:       text,
		Raw:        raw,
	}, nil
}

// content is the message's kind and text: the Body if any, else media,
// else what WhatsApp says the message is.
func (f form) content(numMedia int) (kind, text string) {
	body := f.get("Body")
	mt := strings.ToLower(f.get("MessageType"))
	switch {
	case body != "":
		return "text", body
	case numMedia > 0:
		return "media", ""
	case mt == "location":
		return mt, joinNonEmpty(", ", f.get("Label"), f.get("Address"))
	case mt != "" && mt != "text":
		return mt, ""
	}
	return "empty", ""
}

// errorText describes a failed delivery.
func (f form) errorText(kind string) string {
	if kind != switchboard.MessageFailed {
		return ""
	}
	code, msg := f.get("ErrorCode"), strings.TrimSpace(f.get("ErrorMessage"))
	switch {
	case code != "" && msg != "":
		return "Twilio error " + code + ": " + msg
	case code != "":
		return "Twilio error " + code
	case msg != "":
		return msg
	}
	return f.get("MessageStatus")
}

// object is the parameters as a JSON object: a value, or an array of the
// values of a name sent several times.
func (f form) object() map[string]any {
	obj := make(map[string]any, len(f))
	for name, values := range f {
		if len(values) == 1 {
			obj[name] = values[0]
		} else {
			obj[name] = values
		}
	}
	return obj
}

// phone is the number of an address: "+14155550123" for
// "whatsapp:+14155550123" or "+14155550123"; "" for anything else (a short
// code, an alphanumeric sender, a Messenger id).
func phone(address string) string {
	if i := strings.Index(address, ":"); i >= 0 {
		address = address[i+1:]
	}
	digits, ok := strings.CutPrefix(address, "+")
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return ""
	}
	return address
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
