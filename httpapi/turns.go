package httpapi

import (
	"net/http"

	sb "github.com/switchboardhq/switchboard"
)

// registerTurnRoutes registers the bot turns of a conversation.
func (s *Server) registerTurnRoutes() {
	s.api1("GET /api/v1/conversations/{id}/turns", sb.ScopeReadConversations, s.listTurns)
}

// listTurns answers GET /conversations/{id}/turns: the bot's turns, newest
// first, with their tool calls.
func (s *Server) listTurns(w http.ResponseWriter, r *http.Request) error {
	convID, err := kindConversation.id(r)
	if err != nil {
		return err
	}
	p, err := pageParams(r, sb.PrefixTurn)
	if err != nil {
		return err
	}
	turns, err := s.app.ListTurns(r.Context(), workspace(r), convID, p)
	if err != nil {
		return err
	}
	return respondPage(w, turns, p, func(t *sb.TurnRecord) string { return t.ID })
}
