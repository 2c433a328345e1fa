package telegram

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard"
)

// update is a Bot API Update, reduced to the kinds the adapter stores.
// Message fields stay raw so that the content kind can be read from them.
type update struct {
	UpdateID          *int64          `json:"update_id"`
	Message           json.RawMessage `json:"message"`
	EditedMessage     json.RawMessage `json:"edited_message"`
	ChannelPost       json.RawMessage `json:"channel_post"`
	EditedChannelPost json.RawMessage `json:"edited_channel_post"`
	CallbackQuery     *callbackQuery  `json:"callback_query"`
}

type message struct {
	MessageThreadID int64  `json:"message_thread_id"`
	IsTopicMessage  bool   `json:"is_topic_message"`
	From            *user  `json:"from"`
	SenderChat      *chat  `json:"sender_chat"`
	Chat            *chat  `json:"chat"`
	Text            string `json:"text"`
	Caption         string `json:"caption"`
}

type user struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
}

type chat struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
}

type callbackQuery struct {
	From    *user    `json:"from"`
	Message *message `json:"message"`
	Data    string   `json:"data"`
}

// contentKinds are the message fields that carry what a person sent, in the
// order they are looked for (an animation also carries a document).
var contentKinds = []string{
	"photo", "sticker", "animation", "video", "video_note", "voice", "audio",
	"document", "location", "venue", "contact", "poll", "dice", "game",
	"story", "invoice", "paid_media", "checklist",
}

// parseUpdate turns an Update into zero or one inbound messages.
func parseUpdate(body []byte) ([]switchboard.InboundMessage, error) {
	var u update
	if err := json.Unmarshal(body, &u); err != nil {
		return nil, switchboard.JSONError(err, "")
	}
	if u.UpdateID == nil {
		return nil, switchboard.Invalid("update_id", "is required")
	}
	in, ok, err := u.inbound()
	if err != nil || !ok {
		return nil, err
	}
	in.ExternalID = strconv.FormatInt(*u.UpdateID, 10)
	in.Raw = body
	return []switchboard.InboundMessage{in}, nil
}

// inbound picks the update's kind; ok is false for kinds that are ignored.
func (u *update) inbound() (in switchboard.InboundMessage, ok bool, err error) {
	switch {
	case present(u.Message):
		return fromMessage(u.Message, "message", "")
	case present(u.EditedMessage):
		return fromMessage(u.EditedMessage, "edited_message", "edited_message")
	case present(u.ChannelPost):
		return fromMessage(u.ChannelPost, "channel_post", "channel_post")
	case present(u.EditedChannelPost):
		return fromMessage(u.EditedChannelPost, "edited_channel_post", "edited_channel_post")
	case u.CallbackQuery != nil:
		return fromCallback(u.CallbackQuery)
	}
	return in, false, nil
}

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// fromMessage reads a Message. kind overrides the content kind ("" keeps
// it); service messages (no content) are ignored.
func fromMessage(raw json.RawMessage, field, kind string) (in switchboard.InboundMessage, ok bool, err error) {
	var m message
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return in, false, switchboard.JSONError(err, field)
	}
	if err := json.Unmarshal(raw, &fields); err != nil {
		return in, false, switchboard.JSONError(err, field)
	}
	if m.Chat == nil {
		return in, false, switchboard.Invalid(field+".chat", "is required")
	}
	content := contentKind(&m, fields)
	if content == "" {
		return in, false, nil
	}
	if kind == "" {
		kind = content
	}
	in.Contact = sender(&m)
	in.Kind = kind
	in.Text = m.Text
	if in.Text == "" {
		in.Text = m.Caption
	}
	in.Thread = thread(&m, in.Contact.ExternalID)
	return in, true, nil
}

// fromCallback reads a button press of an inline keyboard.
func fromCallback(q *callbackQuery) (in switchboard.InboundMessage, ok bool, err error) {
	if q.From == nil {
		return in, false, switchboard.Invalid("callback_query.from", "is required")
	}
	in.Contact = userContact(q.From)
	in.Kind = "callback_query"
	in.Text = q.Data
	if q.Message != nil && q.Message.Chat != nil {
		in.Thread = thread(q.Message, in.Contact.ExternalID)
	}
	return in, true, nil
}

func contentKind(m *message, fields map[string]json.RawMessage) string {
	if m.Text != "" {
		return "text"
	}
	for _, k := range contentKinds {
		if present(fields[k]) {
			return k
		}
	}
	return ""
}

// sender is the message's author: the user, else the chat it was sent on
// behalf of (channel posts, anonymous group admins), else the chat.
func sender(m *message) switchboard.ContactInfo {
	switch {
	case m.From != nil:
		return userContact(m.From)
	case m.SenderChat != nil:
		return chatContact(m.SenderChat)
	}
	return chatContact(m.Chat)
}

func userContact(u *user) switchboard.ContactInfo {
	return switchboard.ContactInfo{
		ExternalID: strconv.FormatInt(u.ID, 10),
		Name:       displayName(u.FirstName, u.LastName, u.Username),
	}
}

func chatContact(c *chat) switchboard.ContactInfo {
	name := c.Title
	if name == "" {
		name = displayName(c.FirstName, c.LastName, c.Username)
	}
	return switchboard.ContactInfo{ExternalID: strconv.FormatInt(c.ID, 10), Name: name}
}

func displayName(first, last, username string) string {
	if name := strings.TrimSpace(first + " " + last); name != "" {
		return name
	}
	return username
}

// thread is where replies go: "" for the sender's private chat, the chat id
// for a group, "chat_id:message_thread_id" for a forum topic.
func thread(m *message, contactID string) string {
	chatID := strconv.FormatInt(m.Chat.ID, 10)
	if m.IsTopicMessage && m.MessageThreadID != 0 {
		return chatID + ":" + strconv.FormatInt(m.MessageThreadID, 10)
	}
	if chatID == contactID {
		return ""
	}
	return chatID
}
