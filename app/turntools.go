package app

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// TurnTools returns the tools of a bot turn answering msg in conv with
// contact (the pipeline's ToolMaker): facts for the contact, changes to
// the contact, integration actions run once per (message, call).
func (s *Service) TurnTools(conv *sb.Conversation, contact *sb.Contact, msg *sb.Message) sb.TurnTools {
	return &turnTools{s: s, ws: conv.WorkspaceID, conv: conv, contact: contact, msg: msg}
}

// dryTools are the tools of a dry run (POST /bots/{id}/parse) in workspace
// ws: they read, and check what they would change without changing it.
func (s *Service) dryTools(ws string, msg *sb.Message) sb.TurnTools {
	return &turnTools{s: s, ws: ws, msg: msg, dry: true}
}

// turnTools implements switchboard.TurnTools for one turn.
type turnTools struct {
	s       *Service
	ws      string
	conv    *sb.Conversation // nil in a dry run
	contact *sb.Contact      // nil in a dry run
	msg     *sb.Message
	dry     bool
}

// History reads the conversation's messages before the turn's, newest
// first, and returns them oldest first with the turn's message last.
func (t *turnTools) History(ctx context.Context, n int) ([]*sb.Message, error) {
	if t.dry || t.conv == nil || n <= 1 {
		return []*sb.Message{t.msg}, nil
	}
	before, err := t.s.store.ListMessages(ctx, t.ws, t.conv.ID, sb.Page{Limit: n - 1, After: t.msg.ID})
	if err != nil {
		return nil, err
	}
	if len(before) > n-1 {
		before = before[:n-1]
	}
	slices.Reverse(before)
	return append(before, t.msg), nil
}

// Facts looks facts up with the precedence of templates: one key with
// LookupFacts; a prefix by listing the keys under it among the facts of
// the contact, its email, its phone and the workspace (never those of
// other contacts), then looking those keys up.
func (t *turnTools) Facts(ctx context.Context, key string, prefix bool, limit int) ([]*sb.Fact, error) {
	subject := sb.SubjectOf(t.contact)
	now := t.s.now()
	keys := []string{key}
	if prefix {
		set := map[string]bool{}
		filters := []sb.FactFilter{{WorkspaceOnly: true}}
		if subject.ContactID != "" {
			filters = append(filters, sb.FactFilter{ContactID: subject.ContactID})
		}
		if subject.Email != "" {
			filters = append(filters, sb.FactFilter{Email: subject.Email})
		}
		if subject.Phone != "" {
			filters = append(filters, sb.FactFilter{Phone: subject.Phone})
		}
		for _, f := range filters {
			f.KeyPrefix, f.LiveAt = key, now
			list, err := t.s.store.ListFacts(ctx, t.ws, f, sb.Page{Limit: limit})
			if err != nil {
				return nil, err
			}
			for _, fact := range list {
				set[fact.Key] = true
			}
		}
		keys = slices.Sorted(maps.Keys(set))
		if len(keys) > limit {
			keys = keys[:limit]
		}
	}
	found, err := t.s.store.LookupFacts(ctx, t.ws, keys, subject, now)
	if err != nil {
		return nil, err
	}
	out := make([]*sb.Fact, 0, len(found))
	for _, k := range keys {
		if f := found[k]; f != nil {
			out = append(out, f)
		}
	}
	return out, nil
}

// UpdateContact changes the turn's contact through the API's path
// (validated the same way); attributes are merged into the contact's. In
// a dry run it only checks the change and returns the contact as it would
// be.
func (t *turnTools) UpdateContact(ctx context.Context, u sb.ContactUpdate) (*sb.Contact, error) {
	req := &UpdateContactParams{}
	if u.Name != nil {
		req.Name = sb.Optional[string]{Set: true, Value: *u.Name}
	}
	if u.Email != nil {
		req.Email = sb.Optional[string]{Set: true, Value: *u.Email}
	}
	if u.Phone != nil {
		req.Phone = sb.Optional[string]{Set: true, Value: *u.Phone}
	}
	if t.dry || t.contact == nil {
		if err := validateContactPatch(req); err != nil {
			return nil, err
		}
		would := &sb.Contact{Attributes: map[string]any{}}
		setString(&would.Name, req.Name)
		setString(&would.Email, req.Email)
		setString(&would.Phone, req.Phone)
		maps.Copy(would.Attributes, u.Attributes)
		return would, nil
	}
	if u.Attributes != nil {
		cur, err := t.s.store.GetContact(ctx, t.ws, t.contact.ID)
		if err != nil {
			return nil, err
		}
		merged := maps.Clone(cur.Attributes)
		if merged == nil {
			merged = map[string]any{}
		}
		maps.Copy(merged, u.Attributes)
		req.Attributes = sb.Optional[map[string]any]{Set: true, Value: merged}
	}
	return t.s.UpdateContact(ctx, t.ws, t.contact.ID, req)
}

// DescribeAction returns an integration and the spec of one of its
// actions.
func (t *turnTools) DescribeAction(ctx context.Context, integrationID, action string) (*sb.Integration, sb.ActionSpec, error) {
	in, err := t.s.store.GetIntegration(ctx, t.ws, integrationID)
	if err != nil {
		return nil, sb.ActionSpec{}, err
	}
	spec, err := t.s.actionSpec(in.Type, action)
	return in, spec, err
}

// CheckAction checks a call of an action: the integration connected, the
// params fitting the action's schema.
func (t *turnTools) CheckAction(ctx context.Context, a sb.ToolAction) error {
	_, _, err := t.checkAction(ctx, a)
	return err
}

func (t *turnTools) checkAction(ctx context.Context, a sb.ToolAction) (*sb.Integration, json.RawMessage, error) {
	in, spec, err := t.DescribeAction(ctx, a.IntegrationID, a.Action)
	if err != nil {
		return nil, nil, err
	}
	if in.Status == sb.IntegrationDisconnected {
		return nil, nil, sb.Errorf(sb.EConflict, "The integration is disconnected.")
	}
	params, err := checkParams(spec, a.Params, "params")
	return in, params, err
}

// RunAction runs an action as an ordinary run (trigger "tool"), once per
// (turn message, call): the run's dedup key is made of both, so a turn
// run again after a crash finds the run its first attempt started, and
// waits for that one. The wait polls the run until it ends, ctx ends or
// wait passes.
func (t *turnTools) RunAction(ctx context.Context, a sb.ToolAction, wait time.Duration) (*sb.Run, error) {
	if t.dry || t.conv == nil {
		return nil, sb.Errorf(sb.EInvalid, "Actions do not run in a dry run.")
	}
	dedup := "tool:" + t.msg.ID + ":" + strconv.Itoa(a.Call)
	run, err := t.s.store.GetRunByDedupKey(ctx, t.ws, dedup)
	if sb.ErrorCode(err) == sb.ENotFound {
		run, err = t.startRun(ctx, a, dedup)
	}
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	pause := 20 * time.Millisecond
	for run.Status != sb.RunSucceeded && run.Status != sb.RunFailed && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return run, nil
		case <-time.After(min(pause, time.Until(deadline))):
		}
		pause = min(2*pause, 250*time.Millisecond)
		if run, err = t.s.store.GetRun(ctx, t.ws, run.ID); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// startRun checks and queues the run of a call, committed at once (the
// run is the turn's effect on the world, whatever becomes of the turn);
// a run of the same dedup key written meanwhile is returned instead.
func (t *turnTools) startRun(ctx context.Context, a sb.ToolAction, dedup string) (*sb.Run, error) {
	in, params, err := t.checkAction(ctx, a)
	if err != nil {
		return nil, err
	}
	run := t.s.newRun(in, a.Action, params, sb.TriggerTool)
	run.TriggerID, run.ConversationID, run.DedupKey = t.msg.ID, t.conv.ID, dedup
	var queued bool
	err = t.s.write(ctx, func(q sb.Queries) error {
		var err error
		queued, err = t.s.queueRun(ctx, q, run, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !queued {
		return t.s.store.GetRunByDedupKey(ctx, t.ws, dedup)
	}
	return run, nil
}

// checkToolActions checks the action tools of an llm bot's configuration
// (config.tools[i] "int_<integration id>:<action>"): the integration one
// of the workspace, the action one of its type's. The engine checks the
// rest of the configuration.
func (s *Service) checkToolActions(ctx context.Context, q sb.IntegrationQueries, ws string, raw json.RawMessage) error {
	var c struct {
		Tools []json.RawMessage `json:"tools"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return nil // the engine says what is wrong
	}
	var v sb.Validation
	for i, rawTool := range c.Tools {
		var tool string
		if json.Unmarshal(rawTool, &tool) != nil {
			continue
		}
		id, action, ok := strings.Cut(tool, ":")
		if !ok || !sb.HasPrefix(id, sb.PrefixIntegration) || action == "" {
			continue // a built-in tool, or not a tool: the engine's to say
		}
		f := "config.tools[" + strconv.Itoa(i) + "]"
		in, err := q.GetIntegration(ctx, ws, id)
		switch {
		case sb.ErrorCode(err) == sb.ENotFound:
			v.Add(f, "names no integration of this workspace")
		case err != nil:
			return err
		default:
			if _, err := s.actionSpec(in.Type, action); err != nil {
				names := []string{}
				if p, ok := s.integ.providers.Lookup(in.Type); ok {
					names = p.Spec().ActionNames()
				}
				v.Add(f, "is not an action of that "+in.Type+" integration (its actions: "+strings.Join(names, ", ")+")")
			}
		}
	}
	return v.Err()
}

// ListTurns returns a page of a conversation's bot turns, newest first.
func (s *Service) ListTurns(ctx context.Context, ws, conversationID string, p sb.Page) ([]*sb.TurnRecord, error) {
	if _, err := s.store.GetConversation(ctx, ws, conversationID); err != nil {
		return nil, err
	}
	return s.store.ListBotTurns(ctx, ws, conversationID, p)
}
