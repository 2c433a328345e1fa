package slack

import (
	"strings"

	"github.com/switchboardhq/switchboard"
)

// envelope is the outer object of every Events API request.
type envelope struct {
	Type           string          `json:"type"`
	Challenge      string          `json:"challenge"`
	APIAppID       string          `json:"api_app_id"`
	EventID        string          `json:"event_id"`
	Event          *event          `json:"event"`
	Authorizations []authorization `json:"authorizations"`
}

// authorization is an installation the event is visible to; the bot's own
// user id is the one with is_bot.
type authorization struct {
	UserID string `json:"user_id"`
	IsBot  bool   `json:"is_bot"`
}

// event is a message or app_mention event.
type event struct {
	Type        string `json:"type"`
	Subtype     string `json:"subtype"`
	User        string `json:"user"`
	BotID       string `json:"bot_id"`
	AppID       string `json:"app_id"`
	Text        string `json:"text"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"thread_ts"`
	Channel     string `json:"channel"`
	ChannelType string `json:"channel_type"`
}

// messages turns an event_callback into zero or one inbound messages.
func (env *envelope) messages(body []byte) ([]switchboard.InboundMessage, error) {
	if env.EventID == "" {
		return nil, switchboard.Invalid("event_id", "is required")
	}
	ev := env.Event
	if ev == nil {
		return nil, switchboard.Invalid("event", "is required")
	}
	kind := ev.kind()
	if kind == "" || ev.User == "" || env.fromBot(ev) {
		return nil, nil
	}
	if ev.Channel == "" {
		return nil, switchboard.Invalid("event.channel", "is required")
	}
	return []switchboard.InboundMessage{{
		ExternalID: env.EventID,
		Contact:    switchboard.ContactInfo{ExternalID: ev.User},
		Kind:       kind,
		Text:       plainText(ev.Text, env.botUsers()),
		Thread:     ev.thread(),
		Raw:        body,
	}}, nil
}

// kind is "text" or "file" for what a person wrote, "" for the rest.
func (ev *event) kind() string {
	switch {
	case ev.Type == "app_mention" && ev.Subtype == "":
		return "text"
	case ev.Type != "message":
		return ""
	case ev.Subtype == "" || ev.Subtype == "thread_broadcast":
		return "text"
	case ev.Subtype == "file_share":
		return "file"
	}
	return ""
}

// fromBot reports whether a bot wrote the message: any bot, and this app
// in particular (its app_id or its bot user).
func (env *envelope) fromBot(ev *event) bool {
	if ev.BotID != "" || ev.Subtype == "bot_message" || (ev.AppID != "" && ev.AppID == env.APIAppID) {
		return true
	}
	for _, u := range env.botUsers() {
		if u == ev.User {
			return true
		}
	}
	return false
}

func (env *envelope) botUsers() []string {
	var users []string
	for _, a := range env.Authorizations {
		if a.IsBot && a.UserID != "" {
			users = append(users, a.UserID)
		}
	}
	return users
}

// thread is "<channel>" or "<channel>:<thread_ts>": direct messages are
// answered in place, anything else in the thread of the user's message.
func (ev *event) thread() string {
	root := ev.ThreadTS
	if root == "" && !ev.direct() {
		root = ev.TS
	}
	if root == "" {
		return ev.Channel
	}
	return ev.Channel + ":" + root
}

func (ev *event) direct() bool {
	return ev.ChannelType == "im" || strings.HasPrefix(ev.Channel, "D")
}

var unescape = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// plainText undoes Slack's escaping and drops a leading mention of the bot.
func plainText(text string, botUsers []string) string {
	text = strings.TrimSpace(text)
	for _, u := range botUsers {
		if rest, ok := strings.CutPrefix(text, "<@"+u+">"); ok {
			text = strings.TrimSpace(rest)
			break
		}
	}
	return unescape.Replace(text)
}
