package app

import (
	"context"

	sb "github.com/switchboardhq/switchboard"
)

// RenderEvents returns a page of the workspace's events, newest first, as
// the API shows them.
func (s *Service) RenderEvents(ctx context.Context, ws string, f sb.EventFilter, p sb.Page) ([]sb.Rendered, error) {
	if f.Type != "" && !sb.ValidEventFilter(f.Type) {
		return nil, sb.Invalid("type", "must be an event type or a prefix like message.*")
	}
	return s.store.RenderEvents(ctx, ws, f, p)
}

// GetEvent returns one event.
func (s *Service) GetEvent(ctx context.Context, ws, id string) (*sb.Event, error) {
	return s.store.GetEvent(ctx, ws, id)
}

// EventTypes lists every event type with its description and schema.
func (s *Service) EventTypes() []sb.EventType { return sb.EventTypes }
