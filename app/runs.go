package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/queue"
	"github.com/switchboardhq/switchboard/retry"
	"github.com/switchboardhq/switchboard/tmpl"
)

// runPayload is the payload of an integration_run job.
type runPayload struct {
	RunID string `json:"run_id"`
}

// runInput is what the step that queued a run knew: the run, and its
// integration when it was read (nil otherwise).
type runInput struct {
	run *sb.Run
	in  *sb.Integration
}

// RunActionParams are the params of an action run through the API, and
// the conversation it concerns, if any.
type RunActionParams struct {
	Params         json.RawMessage `json:"params"`
	ConversationID string          `json:"conversation_id"`
}

// maxTranscript bounds the messages of a conversation's transcript.
const maxTranscript = 200

// RunAction queues a run of an integration's action from the API; the run
// is returned queued and runs afterwards.
//
// Errors: ENotFound for an unknown integration or action (naming the
// actions there are); EInvalid for params that do not fit the action or a
// conversation_id of no conversation; EConflict for a disconnected
// integration.
func (s *Service) RunAction(ctx context.Context, ws, integrationID, action string, req *RunActionParams) (*sb.Run, error) {
	in, err := s.store.GetIntegration(ctx, ws, integrationID)
	if err != nil {
		return nil, err
	}
	if in.Status == sb.IntegrationDisconnected {
		return nil, sb.Errorf(sb.EConflict, "The integration is disconnected: set its status to connected to run its actions.")
	}
	spec, err := s.actionSpec(in.Type, action)
	if err != nil {
		return nil, err
	}
	params, err := checkParams(spec, req.Params, "params")
	if err != nil {
		return nil, err
	}
	if req.ConversationID != "" {
		if !sb.HasPrefix(req.ConversationID, sb.PrefixConversation) {
			return nil, sb.Invalid("conversation_id", "is not a conversation id")
		}
		if _, err := s.store.GetConversation(ctx, ws, req.ConversationID); sb.ErrorCode(err) == sb.ENotFound {
			return nil, sb.Invalid("conversation_id", "names no conversation of this workspace")
		} else if err != nil {
			return nil, err
		}
	}
	run := s.newRun(in, action, params, sb.TriggerAPI)
	run.ConversationID = req.ConversationID
	err = s.write(ctx, func(q sb.Queries) error {
		_, err := s.queueRun(ctx, q, run, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// actionSpec returns the spec of an action of an integration type:
// ENotFound naming the type's actions if it has no such action.
func (s *Service) actionSpec(typ, action string) (sb.ActionSpec, error) {
	p, ok := s.integ.providers.Lookup(typ)
	if !ok {
		return sb.ActionSpec{}, sb.Errorf(sb.ENotFound, "Integrations of type %s are not available in this version of Switchboard.", typ)
	}
	spec := p.Spec()
	a, ok := spec.Action(action)
	if !ok {
		return sb.ActionSpec{}, sb.Errorf(sb.ENotFound, "A %s integration has no action %q; its actions: %s.",
			typ, action, strings.Join(spec.ActionNames(), ", "))
	}
	return a, nil
}

// newRun returns a queued run of an action of in.
func (s *Service) newRun(in *sb.Integration, action string, params json.RawMessage, trigger string) *sb.Run {
	now := s.now()
	id := sb.NewID(sb.PrefixRun)
	return &sb.Run{
		ID: id, WorkspaceID: in.WorkspaceID, IntegrationID: in.ID, Action: action, Status: sb.RunQueued,
		Trigger: trigger, Params: params, IdempotencyKey: id, Attempts: []sb.RunAttempt{},
		CreatedAt: now, UpdatedAt: now,
	}
}

// queueRun writes a run and its job with q; false (and nothing written)
// when a run of the same DedupKey exists: the trigger ran it already. in is
// the run's integration, handed to the job with it.
func (s *Service) queueRun(ctx context.Context, q sb.Queries, run *sb.Run, in *sb.Integration) (bool, error) {
	if err := q.CreateRun(ctx, run); err != nil {
		if sb.ErrorCode(err) == sb.EConflict && run.DedupKey != "" {
			return false, nil
		}
		return false, err
	}
	// Held by this process from the start (no claim of its own): a run
	// interrupted by a crash is taken over and made again with the same
	// idempotency key.
	nj := queue.NewJob[runPayload]{WorkspaceID: run.WorkspaceID, Args: runPayload{RunID: run.ID}, RunAt: run.CreatedAt, Hold: s.integ.runs != nil}
	var err error
	if s.integ.runs != nil {
		r := *run
		_, err = s.integ.runs.Enqueue(ctx, q, nj, &runInput{run: &r, in: in})
	} else {
		_, err = queue.Create(ctx, q, JobIntegrationRun, nj)
	}
	return err == nil, err
}

// GetRun returns a run with its attempts.
func (s *Service) GetRun(ctx context.Context, ws, id string) (*sb.Run, error) {
	return s.store.GetRun(ctx, ws, id)
}

// ListRuns returns a page of an integration's runs, newest first.
func (s *Service) ListRuns(ctx context.Context, ws, integrationID string, p sb.Page) ([]*sb.Run, error) {
	if _, err := s.store.GetIntegration(ctx, ws, integrationID); err != nil {
		return nil, err
	}
	return s.store.ListRuns(ctx, ws, integrationID, p)
}

// QueueIntentAction queues, with q (the transaction of a bot turn's
// answer), the run of the action of the intent that answered msg in conv:
// once per (message, integration, action), however often the turn is
// written. An action of an integration that is gone or of no such action
// is logged and skipped: the answer still goes out.
func (s *Service) QueueIntentAction(ctx context.Context, q sb.Queries, conv *sb.Conversation, msg *sb.Message, a *sb.IntentAction) error {
	in, err := q.GetIntegration(ctx, conv.WorkspaceID, a.IntegrationID)
	if sb.ErrorCode(err) == sb.ENotFound {
		s.integ.log.Warn("integrations: an intent's action names no integration; skipped", "integration", a.IntegrationID, "message", msg.ID)
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := s.actionSpec(in.Type, a.Action); err != nil {
		s.integ.log.Warn("integrations: an intent's action is not one of its integration's; skipped", "integration", in.ID, "action", a.Action)
		return nil
	}
	params := a.Params
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	run := s.newRun(in, a.Action, params, sb.TriggerIntent)
	run.TriggerID, run.ConversationID = msg.ID, conv.ID
	run.DedupKey = "intent:" + msg.ID + ":" + in.ID + ":" + a.Action
	_, err = s.queueRun(ctx, q, run, in)
	return err
}

// runAction is the worker of integration_run jobs: one attempt at a run.
// The first attempt in the process that queued the run uses what it read;
// any other reads the run and its integration again.
func (s *Service) runAction(ctx context.Context, j *sb.Job, pl *runPayload, hint *runInput) {
	var run *sb.Run
	var in *sb.Integration
	if hint != nil && j.Attempts == 1 {
		run, in = hint.run, hint.in
	}
	var err error
	if run == nil {
		run, err = s.store.GetRun(ctx, j.WorkspaceID, pl.RunID)
	}
	if err == nil && (run.Status == sb.RunSucceeded || run.Status == sb.RunFailed) {
		s.integ.jobs.Finish(ctx, j, nil)
		return
	}
	if err == nil && in == nil {
		in, err = s.store.GetIntegration(ctx, j.WorkspaceID, run.IntegrationID)
	}
	if sb.ErrorCode(err) == sb.ENotFound { // the integration was deleted, its runs with it
		s.integ.jobs.Finish(ctx, j, nil)
		return
	} else if err != nil {
		s.integ.jobs.Retry(ctx, j, s.now().Add(time.Second), err.Error())
		return
	}
	started := s.now()
	res, err := s.attempt(ctx, j, run, in)
	at := sb.RunAttempt{Number: j.Attempts, AttemptedAt: started, DurationMS: s.now().Sub(started).Milliseconds()}
	if err == nil {
		at.StatusCode, at.ResponseHead = statusPtr(res.StatusCode), res.ResponseHead
		s.integ.jobs.Finish(ctx, j, func(q sb.Queries) error { return s.runSucceeded(ctx, q, run, &at, res) })
		return
	}
	s.runFailed(ctx, j, run, in, &at, err)
}

// attempt makes one attempt at a run: fills its params, checks them and
// calls the provider.
func (s *Service) attempt(ctx context.Context, j *sb.Job, run *sb.Run, in *sb.Integration) (*sb.ActionResult, error) {
	p, ok := s.integ.providers.Lookup(in.Type)
	if !ok {
		return nil, &sb.ActionError{Message: "integrations of type " + in.Type + " are not available in this version of Switchboard"}
	}
	if in.Status == sb.IntegrationDisconnected {
		return nil, &sb.ActionError{Message: "the integration is disconnected"}
	}
	spec, err := s.actionSpec(in.Type, run.Action)
	if err != nil {
		return nil, &sb.ActionError{Message: err.Error()}
	}
	vars, err := s.runVars(ctx, run, run.Params)
	if err != nil {
		return nil, &sb.ActionError{Retryable: true, Message: "reading the run's conversation: " + err.Error()}
	}
	params, err := fillParams(ctx, run.Params, vars)
	if err == nil {
		params, err = checkParams(spec, params, "params")
	}
	if err != nil {
		return nil, &sb.ActionError{Message: "params: " + describe(err)}
	}
	vars.Params = params
	call := &sb.ActionCall{
		Integration: in, Action: run.Action, Params: params, IdempotencyKey: run.IdempotencyKey, Attempt: j.Attempts,
		Conversation: vars.conv, Contact: vars.contact, Transcript: vars.transcript, Client: s.integ.client, Now: s.now(),
		Fill:     func(ctx context.Context, t string) (string, error) { return vars.fill(ctx, t, false) },
		FillJSON: func(ctx context.Context, t string) (string, error) { return vars.fill(ctx, t, true) },
	}
	cctx, cancel := context.WithTimeout(ctx, s.integ.timeout)
	defer cancel()
	res, err := p.Run(cctx, call)
	if err == nil && res == nil {
		res = &sb.ActionResult{}
	}
	return res, err
}

// describe is the message of an error for a run's log: a validation
// error's fields, or the error's text.
func describe(err error) string {
	var e *sb.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.Field + " " + f.Message
		}
		return strings.Join(parts, "; ")
	}
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

func statusPtr(code int) *int {
	if code == 0 {
		return nil
	}
	return &code
}

// runSucceeded records a run's success with its attempt and keeps the
// facts its action returned.
// A run deleted meanwhile (with its integration) records nothing.
func (s *Service) runSucceeded(ctx context.Context, q sb.Queries, run *sb.Run, at *sb.RunAttempt, res *sb.ActionResult) error {
	done := *run
	now := s.now()
	done.Status, done.Result, done.Error, done.FinishedAt = sb.RunSucceeded, res.Output, nil, &now
	if len(done.Result) > 0 && !json.Valid(done.Result) {
		b, _ := json.Marshal(string(done.Result))
		done.Result = b
	}
	if err := q.UpdateRun(ctx, &done); err != nil {
		return ignoreNotFound(err)
	}
	if err := q.AddRunAttempt(ctx, run.ID, at); err != nil {
		return err
	}
	return s.keepFacts(ctx, q, run.WorkspaceID, run.IntegrationID, res.Facts)
}

// runFailed retries a failed attempt when it may be, else ends the run
// failed: integration.sync_failed, or, when the system refused the
// credentials, status error and integration.disconnected.
func (s *Service) runFailed(ctx context.Context, j *sb.Job, run *sb.Run, in *sb.Integration, at *sb.RunAttempt, err error) {
	var ae *sb.ActionError
	if !errors.As(err, &ae) {
		ae = &sb.ActionError{Retryable: errors.Is(err, context.DeadlineExceeded), Message: err.Error()}
	}
	msg := ae.Error()
	at.StatusCode, at.ResponseHead, at.Error = statusPtr(ae.StatusCode), ae.Response, &msg
	if ae.Retryable {
		if d, ok := s.integ.jobs.Backoff(s.integ.retry, j.Attempts, s.retryWait(ae)); ok {
			s.integ.log.Info("integrations: an action failed; retrying", "run", run.ID, "attempt", j.Attempts, "in", d, "error", msg)
			werr := s.write(ctx, func(q sb.Queries) error {
				if _, err := q.GetRun(ctx, run.WorkspaceID, run.ID); err != nil {
					return ignoreNotFound(err) // deleted meanwhile
				}
				return q.AddRunAttempt(ctx, run.ID, at)
			})
			if werr != nil {
				s.integ.log.Error("integrations: logging an attempt", "run", run.ID, "error", werr)
			}
			s.integ.jobs.Retry(ctx, j, s.now().Add(d), msg)
			return
		}
		msg = "the action failed after " + strconv.Itoa(j.Attempts) + " attempts: " + msg
	}
	if ae.Response != "" {
		msg += ": " + firstLine(ae.Response, 500)
	}
	s.integ.log.Warn("integrations: an action run failed", "run", run.ID, "integration", in.ID, "error", msg)
	s.integ.jobs.Finish(ctx, j, func(q sb.Queries) error {
		failed := *run
		now := s.now()
		failed.Status, failed.Error, failed.FinishedAt = sb.RunFailed, &msg, &now
		if err := q.UpdateRun(ctx, &failed); err != nil {
			return ignoreNotFound(err) // deleted meanwhile, with its integration
		}
		if err := q.AddRunAttempt(ctx, run.ID, at); err != nil {
			return err
		}
		failed.Attempts = append(failed.Attempts, *at)
		if ae.CredentialsRefused {
			return s.credentialsRefused(ctx, q, in, msg)
		}
		return s.events.Publish(ctx, q, sb.NewEvent(run.WorkspaceID, sb.EventIntegrationSyncFailed, map[string]any{
			"integration": map[string]string{"id": in.ID, "type": in.Type, "name": in.Name, "status": in.Status},
			"run":         &failed,
		}))
	})
}

// retryWait is the wait a failed attempt asks for: the provider's, else a
// 429 or 503's Retry-After (0: the schedule's).
func (s *Service) retryWait(ae *sb.ActionError) time.Duration {
	if ae.RetryAfter > 0 {
		return ae.RetryAfter
	}
	if ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode == http.StatusServiceUnavailable {
		if d, ok := retry.RetryAfter(ae.Header, s.now()); ok {
			return max(d, time.Millisecond)
		}
	}
	return 0
}

// credentialsRefused sets an integration's status to error and emits
// integration.disconnected, once: an integration in error already is left.
func (s *Service) credentialsRefused(ctx context.Context, q sb.Queries, in *sb.Integration, reason string) error {
	cur, err := q.GetIntegration(ctx, in.WorkspaceID, in.ID)
	if sb.ErrorCode(err) == sb.ENotFound {
		return nil
	}
	if err != nil || cur.Status == sb.IntegrationError {
		return err
	}
	cur.Status = sb.IntegrationError
	if err := q.UpdateIntegration(ctx, cur); err != nil {
		return err
	}
	return s.events.Publish(ctx, q, integrationEvent(sb.EventIntegrationDisconnected, cur, "the system refused the credentials: "+reason))
}

func firstLine(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strings.ToValidUTF8(s, "")
}

// keepFacts upserts facts an integration returned, with the integration
// as their source. A fact that cannot be kept (a bad key, more than one
// subject, data that is not a JSON object) is logged and left out: the
// rest of the outcome is still recorded.
func (s *Service) keepFacts(ctx context.Context, q sb.Queries, ws, integrationID string, facts []sb.FactUpsert) error {
	for _, f := range facts {
		if msg := checkFact(&f); msg != "" {
			s.integ.log.Warn("integrations: a fact was not kept", "integration", integrationID, "key", f.Key, "reason", msg)
			continue
		}
		if f.ContactID != "" {
			if _, err := q.GetContact(ctx, ws, f.ContactID); sb.ErrorCode(err) == sb.ENotFound {
				s.integ.log.Warn("integrations: a fact about a contact that is gone was not kept", "integration", integrationID, "key", f.Key)
				continue
			} else if err != nil {
				return err
			}
		}
		fact := &sb.Fact{
			WorkspaceID: ws, Key: f.Key, ContactID: f.ContactID, Email: f.Email, Phone: f.Phone, Text: f.Text,
			Data: f.Data, Source: integrationID, ExpiresAt: f.ExpiresAt, AsOf: f.AsOf,
		}
		if _, _, err := q.UpsertFact(ctx, fact); err != nil {
			return fmt.Errorf("keeping fact %s: %w", f.Key, err)
		}
	}
	return nil
}

// checkFact says why a fact cannot be kept, or "".
func checkFact(f *sb.FactUpsert) string {
	subjects := 0
	for _, v := range []string{f.ContactID, f.Email, f.Phone} {
		if v != "" {
			subjects++
		}
	}
	var obj map[string]json.RawMessage
	switch {
	case !sb.ValidFactKey(f.Key):
		return "the key is not a fact key"
	case subjects > 1:
		return "a fact has at most one subject"
	case len(f.Data) > 0 && (json.Unmarshal(f.Data, &obj) != nil || obj == nil):
		return "its data is not a JSON object"
	}
	return ""
}

// runVars reads what a run's templates may use.
func (s *Service) runVars(ctx context.Context, run *sb.Run, params json.RawMessage) (*runVars, error) {
	v := &runVars{Vars: tmpl.Vars{WorkspaceID: run.WorkspaceID, Params: params, Facts: s.store, Clock: s.clock}}
	if run.EventID != "" {
		e, err := s.store.GetEvent(ctx, run.WorkspaceID, run.EventID)
		switch {
		case err == nil:
			v.Event = sb.EventPayload(e)
		case sb.ErrorCode(err) != sb.ENotFound:
			return nil, err
		}
	}
	if run.ConversationID == "" {
		return v, nil
	}
	conv, err := s.store.GetConversation(ctx, run.WorkspaceID, run.ConversationID)
	if sb.ErrorCode(err) == sb.ENotFound {
		return v, nil
	} else if err != nil {
		return nil, err
	}
	v.conv, v.Conversation = conv, conv
	contact, err := s.store.GetContact(ctx, run.WorkspaceID, conv.ContactID)
	if err == nil {
		v.contact, v.Contact = contact, contact
	} else if sb.ErrorCode(err) != sb.ENotFound {
		return nil, err
	}
	if v.transcript, err = s.transcript(ctx, conv); err != nil {
		return nil, err
	}
	v.Transcript = func(context.Context) (string, error) { return v.transcript, nil }
	return v, nil
}

// transcript is a conversation's last messages, oldest first, one a line:
// "contact: hello", "bot: Hello! How can I help?".
func (s *Service) transcript(ctx context.Context, conv *sb.Conversation) (string, error) {
	msgs, err := s.store.ListMessages(ctx, conv.WorkspaceID, conv.ID, sb.Page{Limit: maxTranscript})
	if err != nil {
		return "", err
	}
	if len(msgs) > maxTranscript {
		msgs = msgs[:maxTranscript]
	}
	slices.Reverse(msgs)
	var b strings.Builder
	for _, m := range msgs {
		who := m.Sender
		if m.Direction == sb.DirectionInbound {
			who = "contact"
		}
		fmt.Fprintf(&b, "%s: %s\n", who, m.Text)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// ignoreNotFound drops an ENotFound error.
func ignoreNotFound(err error) error {
	if sb.ErrorCode(err) == sb.ENotFound {
		return nil
	}
	return err
}
