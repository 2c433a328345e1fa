package httpapi

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
)

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) error {
	p, err := pageParams(r, sb.PrefixConversation)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := sb.ConversationFilter{Status: q.Get("status"), ChannelID: q.Get("channel_id"), ContactID: q.Get("contact_id"), BotID: q.Get("bot_id")}
	convs, err := s.app.RenderConversations(r.Context(), workspace(r), f, p)
	if err != nil {
		return err
	}
	return respondRendered(w, convs, p)
}
