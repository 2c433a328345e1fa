package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

// sealJSON encodes v as JSON and seals it.
func (c *core) sealJSON(v any) ([]byte, error) {
	if c.sealer == nil {
		return nil, errors.New("store: no sealer configured to encrypt secrets")
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: encode secrets: %w", err)
	}
	sealed, err := c.sealer.Seal(plain)
	if err != nil {
		return nil, fmt.Errorf("store: seal secrets: %w", err)
	}
	return sealed, nil
}

// openJSON opens sealed JSON into v.
func (c *core) openJSON(sealed []byte, v any) error {
	if c.sealer == nil {
		return errors.New("store: no sealer configured to decrypt secrets")
	}
	plain, err := c.sealer.Open(sealed)
	if err != nil {
		return fmt.Errorf("store: open secrets: %w", err)
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("store: decode secrets: %w", err)
	}
	return nil
}

const endpointCols = "id, workspace_id, url, description, event_types, status, disabled_reason, " +
	"rate_limit_per_second, secrets, failing_since, created_at, updated_at"

func (q *queries) scanEndpoint(s scanner) (*switchboard.WebhookEndpoint, error) {
	e := &switchboard.WebhookEndpoint{EventTypes: []string{}}
	var sealed []byte
	err := s.Scan(&e.ID, &e.WorkspaceID, &e.URL, &e.Description, jsonCol{&e.EventTypes}, &e.Status,
		&e.DisabledReason, &e.RateLimitPerSecond, &sealed, nullTimeCol{&e.FailingSince},
		timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if err := q.openJSON(sealed, &e.Secrets); err != nil {
		return nil, err
	}
	return e, nil
}

// endpointValues normalises e and encodes its event types and secrets.
func (q *queries) endpointValues(e *switchboard.WebhookEndpoint) (types string, secrets []byte, err error) {
	if e.EventTypes == nil {
		e.EventTypes = []string{}
	}
	if types, err = encodeJSON(e.EventTypes, "[]"); err != nil {
		return "", nil, err
	}
	if e.Secrets == nil {
		e.Secrets = []switchboard.EndpointSecret{}
	}
	for i := range e.Secrets {
		e.Secrets[i].ExpiresAt = normPtr(e.Secrets[i].ExpiresAt)
	}
	e.FailingSince = normPtr(e.FailingSince)
	secrets, err = q.sealJSON(e.Secrets)
	return types, secrets, err
}

// CreateEndpoint stores a new webhook endpoint, its secrets sealed.
func (q *queries) CreateEndpoint(ctx context.Context, e *switchboard.WebhookEndpoint) error {
	if e.ID == "" {
		e.ID = switchboard.NewID(switchboard.PrefixEndpoint)
	}
	e.CreatedAt = q.stamp(e.CreatedAt)
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = e.CreatedAt
	}
	e.UpdatedAt = norm(e.UpdatedAt)
	types, secrets, err := q.endpointValues(e)
	if err != nil {
		return err
	}
	defer q.endpointsChanging(ctx)()
	return q.insert(ctx, "webhook endpoint",
		`INSERT INTO webhook_endpoints (`+endpointCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		e.ID, e.WorkspaceID, e.URL, e.Description, types, e.Status, e.DisabledReason, e.RateLimitPerSecond,
		secrets, q.tp(e.FailingSince), q.t(e.CreatedAt), q.t(e.UpdatedAt))
}

// GetEndpoint finds an endpoint of a workspace.
func (q *queries) GetEndpoint(ctx context.Context, workspaceID, id string) (*switchboard.WebhookEndpoint, error) {
	return getOne(ctx, q, "webhook endpoint", q.scanEndpoint,
		`SELECT `+endpointCols+` FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// GetEndpointByID finds an endpoint in any workspace.
func (q *queries) GetEndpointByID(ctx context.Context, id string) (*switchboard.WebhookEndpoint, error) {
	return getOne(ctx, q, "webhook endpoint", q.scanEndpoint,
		`SELECT `+endpointCols+` FROM webhook_endpoints WHERE id = ?`, id)
}

// ListEndpoints lists the endpoints of a workspace, newest first.
func (q *queries) ListEndpoints(ctx context.Context, workspaceID string, p switchboard.Page) ([]*switchboard.WebhookEndpoint, error) {
	var w where
	w.and("workspace_id = ?", workspaceID)
	return getMany(ctx, q, "webhook endpoint", q.scanEndpoint, w.page(endpointCols, "webhook_endpoints", p), w.args...)
}

// UpdateEndpoint replaces an endpoint's settings, status and secrets, and
// stamps UpdatedAt.
func (q *queries) UpdateEndpoint(ctx context.Context, e *switchboard.WebhookEndpoint) error {
	types, secrets, err := q.endpointValues(e)
	if err != nil {
		return err
	}
	defer q.endpointsChanging(ctx)()
	e.UpdatedAt = q.now()
	return q.change(ctx, "update", "webhook endpoint",
		`UPDATE webhook_endpoints SET url = ?, description = ?, event_types = ?, status = ?, disabled_reason = ?,
		 rate_limit_per_second = ?, secrets = ?, failing_since = ?, updated_at = ?
		 WHERE workspace_id = ? AND id = ?`,
		e.URL, e.Description, types, e.Status, e.DisabledReason, e.RateLimitPerSecond, secrets,
		q.tp(e.FailingSince), q.t(e.UpdatedAt), e.WorkspaceID, e.ID)
}

// DeleteEndpoint deletes an endpoint with its deliveries and attempts.
func (q *queries) DeleteEndpoint(ctx context.Context, workspaceID, id string) error {
	defer q.endpointsChanging(ctx)()
	return q.change(ctx, "delete", "webhook endpoint",
		`DELETE FROM webhook_endpoints WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// MarkEndpointFailing sets FailingSince to t unless it is set.
func (q *queries) MarkEndpointFailing(ctx context.Context, id string, t time.Time) (*switchboard.WebhookEndpoint, error) {
	err := q.change(ctx, "update", "webhook endpoint",
		`UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?) WHERE id = ?`, q.t(t), id)
	if err != nil {
		return nil, err
	}
	return q.GetEndpointByID(ctx, id)
}

// ClearEndpointFailing clears FailingSince.
func (q *queries) ClearEndpointFailing(ctx context.Context, id string) error {
	_, err := q.changeN(ctx, "update", "webhook endpoint",
		`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL`, id)
	return err
}

// CreateDeliveries stores the new deliveries of one event: one statement
// each on SQLite, one for all on PostgreSQL.
func (q *queries) CreateDeliveries(ctx context.Context, ds []*switchboard.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	created := q.now()
	for _, d := range ds {
		if d.ID == "" {
			d.ID = switchboard.NewID(switchboard.PrefixDelivery)
		}
		if d.CreatedAt.IsZero() {
			d.CreatedAt = created
		}
		d.CreatedAt = norm(d.CreatedAt)
		d.UpdatedAt = d.CreatedAt
		if d.NextAttemptAt != nil {
			t := norm(*d.NextAttemptAt)
			d.NextAttemptAt = &t
		}
		if d.LeaseExpiresAt != nil {
			t := norm(*d.LeaseExpiresAt)
			d.LeaseExpiresAt = &t
		}
	}
	return q.insertDeliveries(ctx, ds)
}

const deliveryCols = "id, workspace_id, endpoint_id, event_id, event_type, status, attempt_count, " +
	"next_attempt_at, last_attempt_at, last_status_code, last_error, lease_owner, lease_expires_at, created_at, updated_at"

func scanDelivery(s scanner) (*switchboard.Delivery, error) {
	d := new(switchboard.Delivery)
	var owner sql.NullString
	err := s.Scan(&d.ID, &d.WorkspaceID, &d.EndpointID, &d.EventID, &d.EventType, &d.Status, &d.AttemptCount,
		nullTimeCol{&d.NextAttemptAt}, nullTimeCol{&d.LastAttemptAt}, &d.LastStatusCode, &d.LastError,
		&owner, nullTimeCol{&d.LeaseExpiresAt}, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt})
	if err != nil {
		return nil, err
	}
	d.LeaseOwner = owner.String
	return d, nil
}

// nullString is s, or NULL if s is empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// insertDeliveries inserts the new deliveries of one event: one statement
// each on SQLite, one for all on PostgreSQL.
func (q *queries) insertDeliveries(ctx context.Context, ds []*switchboard.Delivery) error {
	if q.dialect != DialectPostgres || len(ds) == 1 {
		for _, d := range ds {
			if err := q.insertDelivery(ctx, d); err != nil {
				return err
			}
		}
		return nil
	}
	d0 := ds[0] // the deliveries of one event differ only by id and endpoint
	ids, endpoints := make([]string, len(ds)), make([]string, len(ds))
	for i, d := range ds {
		ids[i], endpoints[i] = d.ID, d.EndpointID
	}
	n, err := q.changeN(ctx, "create", "delivery",
		`INSERT INTO deliveries (id, workspace_id, endpoint_id, event_id, event_type, status, attempt_count,
		 next_attempt_at, lease_owner, lease_expires_at, created_at, updated_at)
		 SELECT v.id, ?, v.endpoint_id, ?, ?, ?, 0, ?, ?, ?, ?, ? FROM unnest(?::text[], ?::text[]) AS v(id, endpoint_id)
		 ON CONFLICT DO NOTHING`,
		d0.WorkspaceID, d0.EventID, d0.EventType, d0.Status, q.tp(d0.NextAttemptAt), nullString(d0.LeaseOwner),
		q.tp(d0.LeaseExpiresAt), q.t(d0.CreatedAt), q.t(d0.UpdatedAt), ids, endpoints)
	if err == nil && n != int64(len(ds)) {
		err = conflict("delivery")
	}
	return err
}

func (q *queries) insertDelivery(ctx context.Context, d *switchboard.Delivery) error {
	return q.insert(ctx, "delivery",
		`INSERT INTO deliveries (`+deliveryCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		d.ID, d.WorkspaceID, d.EndpointID, d.EventID, d.EventType, d.Status, d.AttemptCount,
		q.tp(d.NextAttemptAt), q.tp(d.LastAttemptAt), d.LastStatusCode, d.LastError,
		nullString(d.LeaseOwner), q.tp(d.LeaseExpiresAt), q.t(d.CreatedAt), q.t(d.UpdatedAt))
}

// GetDelivery finds a delivery of a workspace.
func (q *queries) GetDelivery(ctx context.Context, workspaceID, id string) (*switchboard.Delivery, error) {
	return getOne(ctx, q, "delivery", scanDelivery,
		`SELECT `+deliveryCols+` FROM deliveries WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// ListDeliveries lists the deliveries of an endpoint, newest first.
func (q *queries) ListDeliveries(ctx context.Context, workspaceID, endpointID string, f switchboard.DeliveryFilter, p switchboard.Page) ([]*switchboard.Delivery, error) {
	var w where
	w.and("endpoint_id = ?", endpointID)
	w.eq("status", f.Status)
	w.eq("event_id", f.EventID)
	w.and("workspace_id = ?", workspaceID)
	return getMany(ctx, q, "delivery", scanDelivery, w.page(deliveryCols, "deliveries", p), w.args...)
}

const attemptCols = "delivery_id, number, attempted_at, duration_us, status_code, response_body, error"

func scanAttempt(s scanner) (*switchboard.Attempt, error) {
	a := new(switchboard.Attempt)
	var us int64
	err := s.Scan(&a.DeliveryID, &a.Number, timeCol{&a.AttemptedAt}, &us, &a.StatusCode, &a.ResponseBody, &a.Error)
	if err != nil {
		return nil, err
	}
	a.Duration = time.Duration(us) * time.Microsecond
	return a, nil
}

// ListAttempts returns up to limit attempts of a delivery, in order.
func (q *queries) ListAttempts(ctx context.Context, deliveryID string, limit int) ([]*switchboard.Attempt, error) {
	if limit <= 0 {
		limit = 100
	}
	return getMany(ctx, q, "attempt", scanAttempt,
		`SELECT `+attemptCols+` FROM delivery_attempts WHERE delivery_id = ? ORDER BY number LIMIT `+strconv.Itoa(limit),
		deliveryID)
}

// RetryDelivery makes a delivery that no dispatcher holds pending and due
// at at.
func (q *queries) RetryDelivery(ctx context.Context, workspaceID, id string, at time.Time) (*switchboard.Delivery, error) {
	at = norm(at)
	n, err := q.changeN(ctx, "retry", "delivery",
		`UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
		 WHERE workspace_id = ? AND id = ? AND (lease_owner IS NULL OR lease_expires_at <= ?)`,
		q.t(at), q.t(q.now()), workspaceID, id, q.t(at))
	if err != nil {
		return nil, err
	}
	d, err := q.GetDelivery(ctx, workspaceID, id)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, switchboard.Errorf(switchboard.EConflict, "The delivery is being attempted right now; retry it once the attempt is over.")
	}
	return d, nil
}

// ReplayDeliveries makes up to limit deliveries of an endpoint pending
// again, oldest first.
func (q *queries) ReplayDeliveries(ctx context.Context, p switchboard.ReplayParams) ([]string, error) {
	at := norm(p.Now)
	query := `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
		WHERE id IN (SELECT id FROM deliveries WHERE endpoint_id = ? AND status = ? AND id >= ? AND id > ? AND workspace_id = ?
		ORDER BY id LIMIT ` + strconv.Itoa(max(p.Limit, 1)) + `) RETURNING id`
	rows, err := q.w.QueryContext(ctx, q.sql(query), q.t(at), q.t(q.now()), p.EndpointID, p.Status,
		switchboard.IDAt(switchboard.PrefixDelivery, p.Since), p.After, p.WorkspaceID)
	if err != nil {
		return nil, translate(err, "replay", "delivery")
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, translate(err, "replay", "delivery")
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "replay", "delivery")
	}
	sort.Strings(ids)
	return ids, nil
}

// ClaimDeliveries leases up to c.Limit due deliveries to c.Owner.
func (q *queries) ClaimDeliveries(ctx context.Context, c switchboard.DeliveryClaim) ([]*switchboard.Delivery, error) {
	var w where
	w.and("next_attempt_at <= ?", q.t(c.Now))
	if c.EndpointID != "" {
		w.and("endpoint_id = ?", c.EndpointID)
		w.and("(lease_expires_at IS NULL OR lease_expires_at < ? OR lease_owner = ?)", q.t(c.Now), c.Owner)
	} else {
		w.and("(lease_expires_at IS NULL OR lease_expires_at < ?)", q.t(c.Now))
	}
	lock := ""
	if q.dialect == DialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	query := `UPDATE deliveries SET lease_owner = ?, lease_expires_at = ? WHERE id IN (SELECT id FROM deliveries WHERE ` +
		strings.Join(w.conds, " AND ") + ` ORDER BY next_attempt_at LIMIT ` + strconv.Itoa(max(c.Limit, 1)) + lock + `) RETURNING ` + deliveryCols
	args := append([]any{c.Owner, q.t(c.Until)}, w.args...)
	rows, err := q.w.QueryContext(ctx, q.sql(query), args...)
	if err != nil {
		return nil, translate(err, "claim", "delivery")
	}
	defer rows.Close()
	var out []*switchboard.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, translate(err, "claim", "delivery")
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "claim", "delivery")
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].NextAttemptAt, out[j].NextAttemptAt
		if !a.Equal(*b) {
			return a.Before(*b)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// ExtendLease moves the expiry of a lease owner holds.
func (q *queries) ExtendLease(ctx context.Context, id, owner string, until time.Time) error {
	return q.change(ctx, "extend lease of", "delivery",
		`UPDATE deliveries SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND next_attempt_at IS NOT NULL`,
		q.t(until), id, owner)
}

// ReleaseDeliveries drops the leases owner holds on pending deliveries.
func (q *queries) ReleaseDeliveries(ctx context.Context, owner string) (int64, error) {
	return q.changeN(ctx, "release", "delivery",
		`UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ? AND next_attempt_at IS NOT NULL`,
		owner)
}

// SaveAttempt records an attempt and the delivery's new state.
func (q *queries) SaveAttempt(ctx context.Context, d *switchboard.Delivery, a *switchboard.Attempt, owner string) error {
	d.UpdatedAt = q.now()
	d.NextAttemptAt, d.LastAttemptAt = normPtr(d.NextAttemptAt), normPtr(d.LastAttemptAt)
	err := q.change(ctx, "save attempt of", "delivery",
		`UPDATE deliveries SET status = ?, attempt_count = ?, next_attempt_at = ?, last_attempt_at = ?, last_status_code = ?,
		 last_error = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
		 WHERE id = ? AND lease_owner = ?`,
		d.Status, d.AttemptCount, q.tp(d.NextAttemptAt), q.tp(d.LastAttemptAt), d.LastStatusCode, d.LastError,
		q.t(d.UpdatedAt), d.ID, owner)
	if err != nil {
		return err
	}
	d.LeaseOwner, d.LeaseExpiresAt = "", nil
	if a == nil {
		return nil
	}
	a.DeliveryID = d.ID
	a.AttemptedAt = norm(a.AttemptedAt)
	_, err = q.changeN(ctx, "create", "attempt",
		`INSERT INTO delivery_attempts (`+attemptCols+`) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		a.DeliveryID, a.Number, q.t(a.AttemptedAt), a.Duration.Microseconds(), a.StatusCode, a.ResponseBody, a.Error)
	return err
}

// minArrayBatch is the smallest batch that SaveAttempts writes with arrays
// on PostgreSQL; below it, statements of one row are as fast.
const minArrayBatch = 8

// SaveAttempts records many attempts and their deliveries' new state. On
// SQLite, where a statement costs no round trip, it runs SaveAttempt for
// each; on PostgreSQL it makes one UPDATE and one INSERT of arrays.
func (q *queries) SaveAttempts(ctx context.Context, rs []switchboard.AttemptRecord, owner string) ([]string, error) {
	if q.dialect != DialectPostgres || len(rs) < minArrayBatch {
		var lost []string
		for _, r := range rs {
			err := q.SaveAttempt(ctx, r.Delivery, r.Attempt, owner)
			if switchboard.ErrorCode(err) == switchboard.ENotFound {
				lost = append(lost, r.Delivery.ID)
			} else if err != nil {
				return lost, err
			}
		}
		return lost, nil
	}
	return q.saveAttemptsPG(ctx, rs, owner)
}

func (q *queries) saveAttemptsPG(ctx context.Context, rs []switchboard.AttemptRecord, owner string) ([]string, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	updated := q.now()
	n := len(rs)
	ids, statuses, counts := make([]string, n), make([]string, n), make([]int, n)
	next, last := make([]*time.Time, n), make([]*time.Time, n)
	codes, errs := make([]*int, n), make([]*string, n)
	for i, r := range rs {
		d := r.Delivery
		d.UpdatedAt = updated
		d.NextAttemptAt, d.LastAttemptAt = normPtr(d.NextAttemptAt), normPtr(d.LastAttemptAt)
		ids[i], statuses[i], counts[i], next[i], last[i], codes[i], errs[i] =
			d.ID, d.Status, d.AttemptCount, d.NextAttemptAt, d.LastAttemptAt, d.LastStatusCode, d.LastError
	}
	rows, err := q.w.QueryContext(ctx, q.sql(`UPDATE deliveries AS d SET status = v.status, attempt_count = v.attempt_count,
		 next_attempt_at = v.next_attempt_at, last_attempt_at = v.last_attempt_at, last_status_code = v.last_status_code,
		 last_error = v.last_error, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
		 FROM unnest(?::text[], ?::text[], ?::int[], ?::timestamptz[], ?::timestamptz[], ?::int[], ?::text[])
		   AS v(id, status, attempt_count, next_attempt_at, last_attempt_at, last_status_code, last_error)
		 WHERE d.id = v.id AND d.lease_owner = ?
		 RETURNING d.id`),
		q.t(updated), ids, statuses, counts, next, last, codes, errs, owner)
	if err != nil {
		return nil, translate(err, "save attempts of", "delivery")
	}
	saved := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, translate(err, "save attempts of", "delivery")
		}
		saved[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "save attempts of", "delivery")
	}
	var lost []string
	var aIDs, bodies []string
	var numbers []int
	var durations []int64
	var ats []time.Time
	var aCodes []*int
	var aErrs []*string
	for _, r := range rs {
		d, a := r.Delivery, r.Attempt
		if !saved[d.ID] {
			lost = append(lost, d.ID)
			continue
		}
		d.LeaseOwner, d.LeaseExpiresAt = "", nil
		if a == nil {
			continue
		}
		a.DeliveryID, a.AttemptedAt = d.ID, norm(a.AttemptedAt)
		aIDs, numbers, ats = append(aIDs, a.DeliveryID), append(numbers, a.Number), append(ats, a.AttemptedAt)
		durations, aCodes = append(durations, a.Duration.Microseconds()), append(aCodes, a.StatusCode)
		bodies, aErrs = append(bodies, a.ResponseBody), append(aErrs, a.Error)
	}
	if len(aIDs) == 0 {
		return lost, nil
	}
	_, err = q.changeN(ctx, "create", "attempt",
		`INSERT INTO delivery_attempts (`+attemptCols+`)
		 SELECT * FROM unnest(?::text[], ?::int[], ?::timestamptz[], ?::bigint[], ?::int[], ?::text[], ?::text[])
		 ON CONFLICT DO NOTHING`,
		aIDs, numbers, ats, durations, aCodes, bodies, aErrs)
	return lost, err
}

// Backlog summarises the pending deliveries of every endpoint.
func (q *queries) Backlog(ctx context.Context) ([]switchboard.EndpointBacklog, error) {
	return getMany(ctx, q, "delivery", func(s scanner) (switchboard.EndpointBacklog, error) {
		var b switchboard.EndpointBacklog
		err := s.Scan(&b.EndpointID, &b.Pending, timeCol{&b.OldestDue})
		return b, err
	}, `SELECT endpoint_id, count(*), min(next_attempt_at) FROM deliveries WHERE next_attempt_at IS NOT NULL GROUP BY endpoint_id`)
}

// PurgeDeliveries deletes finished deliveries created before t.
func (q *queries) PurgeDeliveries(ctx context.Context, before time.Time, limit int) (int64, error) {
	return q.changeN(ctx, "purge", "delivery",
		`DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE id < ? AND next_attempt_at IS NULL
		 ORDER BY id LIMIT `+strconv.Itoa(max(limit, 1))+`)`,
		switchboard.IDAt(switchboard.PrefixDelivery, before))
}

// PurgeEvents deletes events created before t that no delivery refers to.
func (q *queries) PurgeEvents(ctx context.Context, before time.Time, limit int) (int64, error) {
	return q.changeN(ctx, "purge", "event",
		`DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.id < ?
		 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) ORDER BY e.id LIMIT `+strconv.Itoa(max(limit, 1))+`)`,
		switchboard.IDAt(switchboard.PrefixEvent, before))
}
