package messenger

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/meta"
)

// objectPage is the object of every Messenger notification.
const objectPage = "page"

// entry keeps its events raw so that each one is stored as received.
type entry struct {
	ID        string            `json:"id"`
	Messaging []json.RawMessage `json:"messaging"`
}

// event is one messaging event, reduced to the kinds that are read.
type event struct {
	Sender *struct {
		ID string `json:"id"`
	} `json:"sender"`
	Timestamp   int64    `json:"timestamp"`
	Message     *message `json:"message"`
	MessageEdit *struct {
		Mid     string `json:"mid"`
		Text    string `json:"text"`
		NumEdit int    `json:"num_edit"`
	} `json:"message_edit"`
	Postback *struct {
		Mid     string `json:"mid"`
		Title   string `json:"title"`
		Payload string `json:"payload"`
	} `json:"postback"`
	Reaction *struct {
		Action string `json:"action"`
		Emoji  string `json:"emoji"`
	} `json:"reaction"`
	Delivery *struct {
		Mids []string `json:"mids"`
	} `json:"delivery"`
}

type message struct {
	Mid         string       `json:"mid"`
	Text        string       `json:"text"`
	IsEcho      bool         `json:"is_echo"`
	IsDeleted   bool         `json:"is_deleted"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	Type    string `json:"type"`
	Payload *struct {
		StickerID json.RawMessage `json:"sticker_id"`
	} `json:"payload"`
}

// parseNotification turns a notification into messages and statuses.
func parseNotification(body []byte) (*switchboard.HookResult, error) {
	var entries []entry
	if err := meta.Entries(body, objectPage, &entries); err != nil {
		return nil, err
	}
	res := &switchboard.HookResult{}
	for i, e := range entries {
		for k, raw := range e.Messaging {
			if err := addEvent(res, raw, fmt.Sprintf("entry[%d].messaging[%d]", i, k)); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// addEvent appends what one event says: a message or receipts.
func addEvent(res *switchboard.HookResult, raw json.RawMessage, field string) error {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return switchboard.JSONError(err, field)
	}
	if ev.Delivery != nil {
		for _, mid := range ev.Delivery.Mids {
			if mid != "" {
				res.Statuses = append(res.Statuses, switchboard.StatusUpdate{ExternalID: mid, Status: switchboard.MessageDelivered})
			}
		}
		return nil
	}
	in, ok, err := ev.inbound(field)
	if err != nil || !ok {
		return err
	}
	if ev.Sender == nil || ev.Sender.ID == "" {
		return switchboard.Invalid(field+".sender.id", "is required")
	}
	in.Contact = switchboard.ContactInfo{ExternalID: ev.Sender.ID}
	in.Raw = raw
	res.Messages = append(res.Messages, in)
	return nil
}

// inbound reads a message, an edit, a postback or a reaction; ok is false
// for events that are not stored.
func (ev *event) inbound(field string) (in switchboard.InboundMessage, ok bool, err error) {
	switch {
	case ev.Message != nil:
		m := ev.Message
		if m.IsEcho || m.IsDeleted {
			return in, false, nil
		}
		if m.Mid == "" {
			return in, false, switchboard.Invalid(field+".message.mid", "is required")
		}
		return switchboard.InboundMessage{ExternalID: m.Mid, Kind: m.kind(), Text: m.Text}, true, nil
	case ev.MessageEdit != nil:
		e := ev.MessageEdit
		if e.Mid == "" {
			return in, false, switchboard.Invalid(field+".message_edit.mid", "is required")
		}
		id := e.Mid + ":edit:" + strconv.Itoa(e.NumEdit)
		return switchboard.InboundMessage{ExternalID: id, Kind: "message_edit", Text: e.Text}, true, nil
	case ev.Postback != nil:
		p := ev.Postback
		text := p.Title
		if text == "" {
			text = p.Payload
		}
		return switchboard.InboundMessage{ExternalID: ev.syntheticID("postback", p.Mid), Kind: "postback", Text: text}, true, nil
	case ev.Reaction != nil:
		text := ev.Reaction.Emoji
		if ev.Reaction.Action == "unreact" {
			text = ""
		}
		return switchboard.InboundMessage{ExternalID: ev.syntheticID("reaction", ""), Kind: "reaction", Text: text}, true, nil
	}
	return in, false, nil
}

// syntheticID is mid when the platform gave one, else
// "<kind>:<psid>:<timestamp>", which Meta repeats when it retries.
func (ev *event) syntheticID(kind, mid string) string {
	if mid != "" {
		return mid
	}
	sender := ""
	if ev.Sender != nil {
		sender = ev.Sender.ID
	}
	return kind + ":" + sender + ":" + strconv.FormatInt(ev.Timestamp, 10)
}

// kind is "text" for a message with text, else its first attachment's
// type ("sticker" for an image that is a sticker), else "empty".
func (m *message) kind() string {
	if m.Text != "" || len(m.Attachments) == 0 {
		if m.Text == "" {
			return "empty"
		}
		return "text"
	}
	a := m.Attachments[0]
	switch {
	case a.Type == "image" && a.Payload != nil && len(a.Payload.StickerID) > 0 && string(a.Payload.StickerID) != "null":
		return "sticker"
	case a.Type == "":
		return "unknown"
	}
	return a.Type
}
