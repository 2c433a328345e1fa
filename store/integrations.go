package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

const integrationCols = "id, workspace_id, type, name, status, config, secrets, created_at, updated_at"

func (q *queries) scanIntegration(s scanner) (*switchboard.Integration, error) {
	in := &switchboard.Integration{Config: map[string]any{}}
	var sealed []byte
	err := s.Scan(&in.ID, &in.WorkspaceID, &in.Type, &in.Name, &in.Status, jsonCol{&in.Config},
		&sealed, timeCol{&in.CreatedAt}, timeCol{&in.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if in.Secrets, err = q.open(sealed); err != nil {
		return nil, err
	}
	return in, nil
}

// integrationValues normalises in and encodes its config and secrets.
func (q *queries) integrationValues(in *switchboard.Integration) (config string, secrets any, err error) {
	if config, err = encodeJSON(in.Config, "{}"); err != nil {
		return "", nil, err
	}
	in.Config, in.Secrets = orEmpty(in.Config), orEmpty(in.Secrets)
	secrets, err = q.seal(in.Secrets)
	return config, secrets, err
}

// CreateIntegration stores a new integration, its secrets sealed.
func (q *queries) CreateIntegration(ctx context.Context, in *switchboard.Integration) error {
	if in.ID == "" {
		in.ID = switchboard.NewID(switchboard.PrefixIntegration)
	}
	in.CreatedAt = q.stamp(in.CreatedAt)
	if in.UpdatedAt.IsZero() {
		in.UpdatedAt = in.CreatedAt
	}
	in.UpdatedAt = norm(in.UpdatedAt)
	config, secrets, err := q.integrationValues(in)
	if err != nil {
		return err
	}
	return q.insert(ctx, "integration",
		`INSERT INTO integrations (`+integrationCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		in.ID, in.WorkspaceID, in.Type, in.Name, in.Status, config, secrets, q.t(in.CreatedAt), q.t(in.UpdatedAt))
}

// GetIntegration finds an integration of a workspace.
func (q *queries) GetIntegration(ctx context.Context, workspaceID, id string) (*switchboard.Integration, error) {
	return getOne(ctx, q, "integration", q.scanIntegration,
		`SELECT `+integrationCols+` FROM integrations WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// GetIntegrationByID finds an integration in any workspace.
func (q *queries) GetIntegrationByID(ctx context.Context, id string) (*switchboard.Integration, error) {
	return getOne(ctx, q, "integration", q.scanIntegration,
		`SELECT `+integrationCols+` FROM integrations WHERE id = ?`, id)
}

// ListIntegrations lists the integrations of a workspace, newest first.
func (q *queries) ListIntegrations(ctx context.Context, workspaceID string, p switchboard.Page) ([]*switchboard.Integration, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	return getMany(ctx, q, "integration", q.scanIntegration, w.page(integrationCols, "integrations", p), w.args...)
}

// UpdateIntegration replaces an integration's name, status, config and
// secrets, and stamps UpdatedAt.
func (q *queries) UpdateIntegration(ctx context.Context, in *switchboard.Integration) error {
	config, secrets, err := q.integrationValues(in)
	if err != nil {
		return err
	}
	in.UpdatedAt = q.now()
	return q.change(ctx, "update", "integration",
		`UPDATE integrations SET name = ?, status = ?, config = ?, secrets = ?, updated_at = ?
		 WHERE workspace_id = ? AND id = ?`,
		in.Name, in.Status, config, secrets, q.t(in.UpdatedAt), in.WorkspaceID, in.ID)
}

// DeleteIntegration deletes an integration with its runs, hooks and
// automations.
func (q *queries) DeleteIntegration(ctx context.Context, workspaceID, id string) error {
	defer q.automationsChanging(ctx)()
	return q.change(ctx, "delete", "integration",
		`DELETE FROM integrations WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

const runCols = "id, workspace_id, integration_id, action, status, trigger_kind, trigger_id, event_id, conversation_id, " +
	"dedup_key, params, idempotency_key, result, error, created_at, updated_at, finished_at"

func scanRun(s scanner) (*switchboard.Run, error) {
	r := &switchboard.Run{Attempts: []switchboard.RunAttempt{}}
	var dedup sql.NullString
	err := s.Scan(&r.ID, &r.WorkspaceID, &r.IntegrationID, &r.Action, &r.Status, &r.Trigger, &r.TriggerID, &r.EventID,
		&r.ConversationID, &dedup, rawCol{&r.Params}, &r.IdempotencyKey, rawCol{&r.Result}, &r.Error,
		timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt}, nullTimeCol{&r.FinishedAt})
	if err != nil {
		return nil, err
	}
	r.DedupKey = dedup.String
	return r, nil
}

// CreateRun stores a new run; a run whose DedupKey is stored already is a
// conflict.
func (q *queries) CreateRun(ctx context.Context, r *switchboard.Run) error {
	if r.ID == "" {
		r.ID = switchboard.NewID(switchboard.PrefixRun)
	}
	r.CreatedAt = q.stamp(r.CreatedAt)
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	r.UpdatedAt = norm(r.UpdatedAt)
	r.Params = orEmptyObject(r.Params)
	params, err := encodeRaw(r.Params, "{}")
	if err != nil {
		return err
	}
	result, err := encodeRaw(r.Result, "")
	if err != nil {
		return err
	}
	if r.Attempts == nil {
		r.Attempts = []switchboard.RunAttempt{}
	}
	var dedup any
	if r.DedupKey != "" {
		dedup = r.DedupKey
	}
	return q.insert(ctx, "run",
		`INSERT INTO runs (`+runCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		r.ID, r.WorkspaceID, r.IntegrationID, r.Action, r.Status, r.Trigger, r.TriggerID, r.EventID, r.ConversationID,
		dedup, params, r.IdempotencyKey, result, r.Error, q.t(r.CreatedAt), q.t(r.UpdatedAt), q.tp(normPtr(r.FinishedAt)))
}

// GetRun returns a run of a workspace with its attempts.
func (q *queries) GetRun(ctx context.Context, workspaceID, id string) (*switchboard.Run, error) {
	r, err := getOne(ctx, q, "run", scanRun, `SELECT `+runCols+` FROM runs WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil {
		return nil, err
	}
	return r, q.withAttempts(ctx, []*switchboard.Run{r})
}

// ListRuns lists runs, newest first, with their attempts.
func (q *queries) ListRuns(ctx context.Context, workspaceID, integrationID string, p switchboard.Page) ([]*switchboard.Run, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	w.eq("integration_id", integrationID)
	runs, err := getMany(ctx, q, "run", scanRun, w.page(runCols, "runs", p), w.args...)
	if err != nil {
		return nil, err
	}
	return runs, q.withAttempts(ctx, runs)
}

// withAttempts reads the attempts of runs, in order, in one query.
func (q *queries) withAttempts(ctx context.Context, runs []*switchboard.Run) error {
	if len(runs) == 0 {
		return nil
	}
	byID := make(map[string]*switchboard.Run, len(runs))
	args := make([]any, len(runs))
	for i, r := range runs {
		byID[r.ID], args[i] = r, r.ID
	}
	type row struct {
		runID string
		a     switchboard.RunAttempt
	}
	scan := func(s scanner) (row, error) {
		var x row
		err := s.Scan(&x.runID, &x.a.Number, timeCol{&x.a.AttemptedAt}, &x.a.DurationMS, &x.a.StatusCode,
			&x.a.ResponseHead, &x.a.Error)
		return x, err
	}
	rows, err := getMany(ctx, q, "run attempt", scan,
		`SELECT run_id, number, attempted_at, duration_ms, status_code, response_head, error FROM run_attempts
		 WHERE run_id IN (?`+strings.Repeat(", ?", len(runs)-1)+`) ORDER BY run_id, number`, args...)
	if err != nil {
		return err
	}
	for _, x := range rows {
		r := byID[x.runID]
		r.Attempts = append(r.Attempts, x.a)
	}
	return nil
}

// UpdateRun replaces a run's status, result, error and finished_at, and
// stamps UpdatedAt.
func (q *queries) UpdateRun(ctx context.Context, r *switchboard.Run) error {
	result, err := encodeRaw(r.Result, "")
	if err != nil {
		return err
	}
	r.UpdatedAt = q.now()
	r.FinishedAt = normPtr(r.FinishedAt)
	return q.change(ctx, "update", "run",
		`UPDATE runs SET status = ?, result = ?, error = ?, updated_at = ?, finished_at = ? WHERE workspace_id = ? AND id = ?`,
		r.Status, result, r.Error, q.t(r.UpdatedAt), q.tp(r.FinishedAt), r.WorkspaceID, r.ID)
}

// AddRunAttempt logs an attempt of a run; an attempt of the same number
// logged already (a retried transaction) is replaced.
func (q *queries) AddRunAttempt(ctx context.Context, runID string, a *switchboard.RunAttempt) error {
	a.AttemptedAt = norm(a.AttemptedAt)
	_, err := q.changeN(ctx, "create", "run attempt",
		`INSERT INTO run_attempts (run_id, number, attempted_at, duration_ms, status_code, response_head, error)
		 VALUES (?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (run_id, number) DO UPDATE SET attempted_at = excluded.attempted_at, duration_ms = excluded.duration_ms,
		 status_code = excluded.status_code, response_head = excluded.response_head, error = excluded.error`,
		runID, a.Number, q.t(a.AttemptedAt), a.DurationMS, a.StatusCode, a.ResponseHead, a.Error)
	return err
}

const hookCols = "id, workspace_id, integration_id, delivery_id, topic, body, received_at"

// CreateIntegrationHook stores an inbound hook; a repeat of (integration,
// delivery id) is a conflict.
func (q *queries) CreateIntegrationHook(ctx context.Context, h *switchboard.IntegrationHook) error {
	if h.ID == "" {
		h.ID = switchboard.NewID(switchboard.PrefixIntegrationHook)
	}
	h.ReceivedAt = q.stamp(h.ReceivedAt)
	return q.insert(ctx, "integration hook",
		`INSERT INTO integration_hooks (`+hookCols+`) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		h.ID, h.WorkspaceID, h.IntegrationID, h.DeliveryID, h.Topic, []byte(h.Body), q.t(h.ReceivedAt))
}

// GetIntegrationHook reads a stored hook.
func (q *queries) GetIntegrationHook(ctx context.Context, workspaceID, id string) (*switchboard.IntegrationHook, error) {
	scan := func(s scanner) (*switchboard.IntegrationHook, error) {
		h := &switchboard.IntegrationHook{}
		var body []byte
		err := s.Scan(&h.ID, &h.WorkspaceID, &h.IntegrationID, &h.DeliveryID, &h.Topic, &body, timeCol{&h.ReceivedAt})
		h.Body = body
		return h, err
	}
	return getOne(ctx, q, "integration hook", scan,
		`SELECT `+hookCols+` FROM integration_hooks WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// MarkIntegrationHookProcessed records when a hook was processed.
func (q *queries) MarkIntegrationHookProcessed(ctx context.Context, workspaceID, id string, at time.Time) error {
	return q.change(ctx, "update", "integration hook",
		`UPDATE integration_hooks SET processed_at = ? WHERE workspace_id = ? AND id = ?`, q.t(at), workspaceID, id)
}

// CreateNotice records a proactive message sent to a contact; a repeat is
// a conflict.
func (q *queries) CreateNotice(ctx context.Context, workspaceID, dedupKey, contactID string, at time.Time) error {
	return q.insert(ctx, "notice",
		`INSERT INTO integration_notices (workspace_id, dedup_key, contact_id, created_at)
		 VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, workspaceID, dedupKey, contactID, q.t(at))
}

// FindContactsByEmailOrPhone returns the contacts of a channel with the
// given email or phone, oldest first.
func (q *queries) FindContactsByEmailOrPhone(ctx context.Context, workspaceID, channelID, email, phone string) ([]*switchboard.Contact, error) {
	if email == "" && phone == "" {
		return nil, nil
	}
	var conds []string
	args := []any{workspaceID, channelID}
	if email != "" {
		conds = append(conds, "(email <> '' AND LOWER(email) = LOWER(?))")
		args = append(args, email)
	}
	if phone != "" {
		conds = append(conds, "(phone <> '' AND phone = ?)")
		args = append(args, phone)
	}
	return getMany(ctx, q, "contact", scanContact,
		`SELECT `+contactCols+` FROM contacts WHERE workspace_id = ? AND channel_id = ? AND (`+strings.Join(conds, " OR ")+`) ORDER BY id`,
		args...)
}

const automationCols = "id, workspace_id, name, event_types, event_filter, integration_id, action, params, enabled, created_at, updated_at"

func scanAutomation(s scanner) (*switchboard.Automation, error) {
	a := &switchboard.Automation{EventTypes: []string{}, Filter: map[string]any{}}
	err := s.Scan(&a.ID, &a.WorkspaceID, &a.Name, jsonCol{&a.EventTypes}, jsonCol{&a.Filter}, &a.IntegrationID,
		&a.Action, rawCol{&a.Params}, &a.Enabled, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt})
	return a, err
}

// automationValues normalises a and encodes its JSON columns.
func automationValues(a *switchboard.Automation) (types, filter string, params any, err error) {
	a.EventTypes, a.Filter, a.Params = orEmptySlice(a.EventTypes), orEmpty(a.Filter), orEmptyObject(a.Params)
	if types, err = encodeJSON(a.EventTypes, "[]"); err != nil {
		return
	}
	if filter, err = encodeJSON(a.Filter, "{}"); err != nil {
		return
	}
	params, err = encodeRaw(a.Params, "{}")
	return
}

func orEmptySlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// CreateAutomation stores a new automation.
func (q *queries) CreateAutomation(ctx context.Context, a *switchboard.Automation) error {
	if a.ID == "" {
		a.ID = switchboard.NewID(switchboard.PrefixAutomation)
	}
	a.CreatedAt = q.stamp(a.CreatedAt)
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	a.UpdatedAt = norm(a.UpdatedAt)
	types, filter, params, err := automationValues(a)
	if err != nil {
		return err
	}
	defer q.automationsChanging(ctx)()
	return q.insert(ctx, "automation",
		`INSERT INTO automations (`+automationCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		a.ID, a.WorkspaceID, a.Name, types, filter, a.IntegrationID, a.Action, params, a.Enabled,
		q.t(a.CreatedAt), q.t(a.UpdatedAt))
}

// GetAutomation finds an automation of a workspace.
func (q *queries) GetAutomation(ctx context.Context, workspaceID, id string) (*switchboard.Automation, error) {
	return getOne(ctx, q, "automation", scanAutomation,
		`SELECT `+automationCols+` FROM automations WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// ListAutomations lists the automations of a workspace, newest first.
func (q *queries) ListAutomations(ctx context.Context, workspaceID string, p switchboard.Page) ([]*switchboard.Automation, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	return getMany(ctx, q, "automation", scanAutomation, w.page(automationCols, "automations", p), w.args...)
}

// UpdateAutomation replaces everything but the id and creation time, and
// stamps UpdatedAt.
func (q *queries) UpdateAutomation(ctx context.Context, a *switchboard.Automation) error {
	types, filter, params, err := automationValues(a)
	if err != nil {
		return err
	}
	a.UpdatedAt = q.now()
	defer q.automationsChanging(ctx)()
	return q.change(ctx, "update", "automation",
		`UPDATE automations SET name = ?, event_types = ?, event_filter = ?, integration_id = ?, action = ?, params = ?,
		 enabled = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		a.Name, types, filter, a.IntegrationID, a.Action, params, a.Enabled, q.t(a.UpdatedAt), a.WorkspaceID, a.ID)
}

// DeleteAutomation deletes an automation (its runs stay).
func (q *queries) DeleteAutomation(ctx context.Context, workspaceID, id string) error {
	defer q.automationsChanging(ctx)()
	return q.change(ctx, "delete", "automation",
		`DELETE FROM automations WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}
