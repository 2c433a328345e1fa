package app

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/webhook"
)

// Limits of automations.
const (
	maxAutomationFilters = 20
	maxFilterPath        = 200
)

// CreateAutomationParams are a new automation's settings.
type CreateAutomationParams struct {
	Name          string          `json:"name"`
	EventTypes    []string        `json:"event_types"`
	Filter        map[string]any  `json:"filter"`
	IntegrationID string          `json:"integration_id"`
	Action        string          `json:"action"`
	Params        json.RawMessage `json:"params"`
	Enabled       *bool           `json:"enabled"`
}

// UpdateAutomationParams are the settings to change; absent fields keep
// theirs.
type UpdateAutomationParams struct {
	Name          sb.Optional[string]         `json:"name"`
	EventTypes    sb.Optional[[]string]       `json:"event_types"`
	Filter        sb.Optional[map[string]any] `json:"filter"`
	IntegrationID sb.Optional[string]         `json:"integration_id"`
	Action        sb.Optional[string]         `json:"action"`
	Params        json.RawMessage             `json:"params"`
	Enabled       sb.Optional[bool]           `json:"enabled"`
}

// ListAutomations returns a page of the workspace's automations.
func (s *Service) ListAutomations(ctx context.Context, ws string, p sb.Page) ([]*sb.Automation, error) {
	return s.store.ListAutomations(ctx, ws, p)
}

// GetAutomation returns one automation.
func (s *Service) GetAutomation(ctx context.Context, ws, id string) (*sb.Automation, error) {
	return s.store.GetAutomation(ctx, ws, id)
}

// CreateAutomation creates an automation, enabled unless said otherwise.
func (s *Service) CreateAutomation(ctx context.Context, ws string, req *CreateAutomationParams) (*sb.Automation, error) {
	now := s.now()
	a := &sb.Automation{
		ID: sb.NewID(sb.PrefixAutomation), WorkspaceID: ws, Name: req.Name, EventTypes: orNone(req.EventTypes),
		Filter: req.Filter, IntegrationID: req.IntegrationID, Action: req.Action, Params: req.Params,
		Enabled: req.Enabled == nil || *req.Enabled, CreatedAt: now, UpdatedAt: now,
	}
	if a.Filter == nil {
		a.Filter = map[string]any{}
	}
	err := s.write(ctx, func(q sb.Queries) error {
		if err := s.checkAutomation(ctx, q, a); err != nil {
			return err
		}
		return q.CreateAutomation(ctx, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// UpdateAutomation changes an automation.
func (s *Service) UpdateAutomation(ctx context.Context, ws, id string, req *UpdateAutomationParams) (*sb.Automation, error) {
	return writeResult(ctx, s, func(q sb.Queries) (*sb.Automation, error) {
		a, err := q.GetAutomation(ctx, ws, id)
		if err != nil {
			return nil, err
		}
		var v sb.Validation
		setOptional(&v, "name", req.Name, &a.Name)
		setOptional(&v, "event_types", req.EventTypes, &a.EventTypes)
		setOptional(&v, "filter", req.Filter, &a.Filter)
		setOptional(&v, "integration_id", req.IntegrationID, &a.IntegrationID)
		setOptional(&v, "action", req.Action, &a.Action)
		setOptional(&v, "enabled", req.Enabled, &a.Enabled)
		if req.Params != nil {
			a.Params = req.Params
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		if err := s.checkAutomation(ctx, q, a); err != nil {
			return nil, err
		}
		return a, q.UpdateAutomation(ctx, a)
	})
}

// setOptional sets *dst to an optional field's value when it is given; a
// null is an error naming the field.
func setOptional[T any](v *sb.Validation, field string, o sb.Optional[T], dst *T) {
	if !o.Set {
		return
	}
	if o.Null {
		v.Add(field, "must not be null")
		return
	}
	*dst = o.Value
}

// DeleteAutomation deletes an automation; its runs stay.
func (s *Service) DeleteAutomation(ctx context.Context, ws, id string) error {
	return s.write(ctx, func(q sb.Queries) error { return q.DeleteAutomation(ctx, ws, id) })
}

// checkAutomation validates an automation's settings: a name, event types
// as webhook endpoints take them, a filter of dotted paths to JSON
// scalars, an action of an integration of the workspace and params that
// fit it.
func (s *Service) checkAutomation(ctx context.Context, q sb.Queries, a *sb.Automation) error {
	var v sb.Validation
	checkName(&v, a.Name)
	a.EventTypes = orNone(a.EventTypes)
	checkEventTypes(&v, a.EventTypes)
	if len(a.Filter) > maxAutomationFilters {
		v.Add("filter", "must have at most 20 paths")
	}
	for _, path := range slices.Sorted(maps.Keys(a.Filter)) {
		if path == "" || len(path) > maxFilterPath || strings.Contains(path, "..") || strings.HasPrefix(path, ".") || strings.HasSuffix(path, ".") {
			v.Add("filter", "has a path "+path+" that is not a dotted path such as data.conversation.status")
		}
		switch a.Filter[path].(type) {
		case string, float64, bool, nil:
		default:
			v.Add("filter."+path, "must be a string, a number, a boolean or null")
		}
	}
	if !sb.HasPrefix(a.IntegrationID, sb.PrefixIntegration) {
		v.Add("integration_id", "is required: the id of an integration of this workspace")
	}
	if err := v.Err(); err != nil {
		return err
	}
	in, err := q.GetIntegration(ctx, a.WorkspaceID, a.IntegrationID)
	if sb.ErrorCode(err) == sb.ENotFound {
		return sb.Invalid("integration_id", "names no integration of this workspace")
	} else if err != nil {
		return err
	}
	spec, err := s.actionSpec(in.Type, a.Action)
	if err != nil {
		return sb.Invalid("action", err.(*sb.Error).Message)
	}
	params, err := checkParams(spec, a.Params, "params")
	if err != nil {
		return err
	}
	a.Params = params
	return nil
}

// EventPublished runs, in the transaction that publishes e, every enabled
// automation of its workspace that e matches: one run each, keyed by
// (automation, event), so that the event runs each automation once however
// often, and by however many processes, it is handled. It is the
// publisher's observer (webhook.Publisher.Observe).
func (s *Service) EventPublished(ctx context.Context, pq webhook.PublishQueries, e *sb.Event) error {
	q, ok := pq.(sb.Queries)
	if !ok {
		return nil
	}
	autos, err := q.EnabledAutomations(ctx, e.WorkspaceID)
	if err != nil || len(autos) == 0 {
		return err
	}
	for _, a := range autos {
		if !a.Matches(e) {
			continue
		}
		in, err := q.GetIntegration(ctx, a.WorkspaceID, a.IntegrationID)
		if sb.ErrorCode(err) == sb.ENotFound {
			continue
		} else if err != nil {
			return err
		}
		run := s.newRun(in, a.Action, a.Params, sb.TriggerAutomation)
		run.TriggerID, run.EventID, run.ConversationID = a.ID, e.ID, eventConversation(e)
		run.DedupKey = "automation:" + a.ID + ":" + e.ID
		if _, err := s.queueRun(ctx, q, run, in); err != nil {
			return err
		}
	}
	return nil
}

// eventConversation is the id of the conversation an event concerns, if
// any (data.conversation.id, data.message.conversation_id).
func eventConversation(e *sb.Event) string {
	var d struct {
		Conversation struct {
			ID string `json:"id"`
		} `json:"conversation"`
		Message struct {
			ConversationID string `json:"conversation_id"`
		} `json:"message"`
	}
	if json.Unmarshal(e.Data, &d) != nil {
		return ""
	}
	if d.Conversation.ID != "" {
		return d.Conversation.ID
	}
	return d.Message.ConversationID
}
