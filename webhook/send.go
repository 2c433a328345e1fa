package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/telemetry"
	"github.com/switchboardhq/switchboard/webhook/signature"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// outcome is what happened to one job, for the flusher to record.
type outcome struct {
	lane        *lane
	ep          *sb.WebhookEndpoint // as the attempt saw it
	d           *sb.Delivery        // the delivery's new state
	a           *sb.Attempt         // nil when no request was made
	workspaceID string
	result      AttemptResult
}

// process makes one attempt of j, if its endpoint is still enabled, the
// rate limit allows and the lease is ours, and hands the outcome to the
// flusher.
func (d *Dispatcher) process(l *lane, j *job) {
	ctx := d.sendCtx
	ep, err := d.endpoints.get(ctx, d.store, l.id)
	switch {
	case err != nil:
		d.log.Warn("webhook: reading an endpoint", "endpoint_id", l.id, "error", err)
		l.release(j.d.ID) // the lease runs out and the delivery is claimed again
		return
	case ep == nil: // deleted, with its deliveries
		l.release(j.d.ID)
		return
	case ep.Status != sb.EndpointEnabled:
		d.results <- d.undeliverable(l, j, ep)
		return
	}
	body, tp, err := j.p.get(ctx, d.store)
	if err != nil {
		d.log.Warn("webhook: building a payload", "delivery_id", j.d.ID, "error", err)
		l.release(j.d.ID) // the lease runs out and the delivery is claimed again
		return
	}
	if !l.turn(ep.RateLimitPerSecond) || !d.holdLease(ctx, j) {
		l.release(j.d.ID)
		return
	}
	ctx, span := d.cfg.Tracer.Start(telemetry.Continue(ctx, tp), "deliver "+j.d.EventType, trace.WithAttributes(
		attribute.String("delivery.id", j.d.ID), attribute.String("endpoint.id", ep.ID),
		attribute.Int("delivery.attempt", j.d.AttemptCount+1)))
	o := d.attempt(ctx, l, ep, j, body)
	if o.a != nil && o.a.StatusCode != nil {
		span.SetAttributes(attribute.Int("http.response.status_code", *o.a.StatusCode))
	}
	if o.result != AttemptSucceeded {
		span.SetStatus(codes.Error, "not delivered")
	}
	span.End()
	d.results <- o
}

// holdLease makes sure enough of j's lease is left to outlast an attempt,
// extending it if needed. It returns false if the lease is no longer ours.
func (d *Dispatcher) holdLease(ctx context.Context, j *job) bool {
	now := d.cfg.Clock.Now()
	if j.d.LeaseExpiresAt != nil && j.d.LeaseExpiresAt.Sub(now) >= d.cfg.Timeout+d.cfg.Lease/4 {
		return true
	}
	until := now.Add(d.cfg.Lease)
	if err := d.store.ExtendLease(ctx, j.d.ID, d.owner, until); err != nil {
		if sb.ErrorCode(err) != sb.ENotFound && ctx.Err() == nil {
			d.log.Warn("webhook: extending a lease", "delivery_id", j.d.ID, "error", err)
		}
		return false
	}
	j.d.LeaseExpiresAt = &until
	return true
}

// undeliverable ends a delivery to a disabled endpoint as failed, without
// a request.
func (d *Dispatcher) undeliverable(l *lane, j *job, ep *sb.WebhookEndpoint) *outcome {
	del := *j.d
	msg := "not attempted: the endpoint is disabled"
	del.Status, del.NextAttemptAt, del.LastError = sb.DeliveryFailed, nil, &msg
	return &outcome{lane: l, ep: ep, d: &del, workspaceID: ep.WorkspaceID}
}

// attempt sends j to ep once and works out the delivery's next state.
func (d *Dispatcher) attempt(ctx context.Context, l *lane, ep *sb.WebhookEndpoint, j *job, body []byte) *outcome {
	del := *j.d
	del.AttemptCount++
	now := d.cfg.Clock.Now()
	a := &sb.Attempt{DeliveryID: del.ID, Number: del.AttemptCount, AttemptedAt: now}
	var (
		res  *http.Response
		note string
		err  error
	)
	res, a.ResponseBody, a.Duration, err = d.send(ctx, ep, &del, now, body)
	status := 0
	var header http.Header
	if err != nil {
		note = describe(err, d.cfg.Timeout)
	} else {
		status, header = res.StatusCode, res.Header
		a.StatusCode = &status
		if status >= 300 && status < 400 {
			note = "redirect not followed (to " + res.Header.Get("Location") + ")"
		}
	}
	if note != "" {
		a.Error = &note
	}
	o := &outcome{lane: l, ep: ep, d: &del, a: a, workspaceID: ep.WorkspaceID, result: Outcome(status, err)}
	del.LastAttemptAt, del.LastStatusCode, del.LastError = &now, a.StatusCode, a.Error
	switch o.result {
	case AttemptSucceeded:
		del.Status, del.NextAttemptAt = sb.DeliverySucceeded, nil
	case AttemptDisableEndpoint:
		del.Status, del.NextAttemptAt = sb.DeliveryFailed, nil
	default:
		if delay, ok := d.cfg.Schedule.Delay(del.AttemptCount, status, header, now, d.cfg.Jitter); ok {
			next := now.Add(delay)
			del.Status, del.NextAttemptAt = sb.DeliveryPending, &next
		} else {
			del.Status, del.NextAttemptAt = sb.DeliveryFailed, nil
		}
	}
	d.m.attempt(o.result, a.Duration)
	return o
}

// send POSTs body to the endpoint, signed, and returns the response (its
// body read and closed) with the head of its body and the time taken.
func (d *Dispatcher) send(ctx context.Context, ep *sb.WebhookEndpoint, del *sb.Delivery, now time.Time, body []byte) (*http.Response, string, time.Duration, error) {
	var keys [][]byte
	for _, s := range ep.SigningSecrets(now) {
		if k, err := signature.Key(s); err == nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, "", 0, errors.New("the endpoint has no valid signing secret")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return nil, "", 0, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", d.cfg.UserAgent)
	signature.SetHeaders(h, keys, del.EventID, now, body)
	h.Set("X-Signature", signature.BodySignature(keys[0], body))
	h.Set("X-Attempt", strconv.Itoa(del.AttemptCount))
	h.Set("X-Idempotency-Key", del.EventID)
	telemetry.SetHeader(ctx, h)
	start := time.Now()
	res, err := d.cfg.Client.Do(req)
	if err != nil {
		return nil, "", time.Since(start), err
	}
	head, _ := io.ReadAll(io.LimitReader(res.Body, sb.MaxResponseHead))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // so the connection can be reused
	res.Body.Close()
	return res, cleanHead(head), time.Since(start), nil
}

// cleanHead makes a response body head storable: valid UTF-8 without NUL
// characters, at most MaxResponseHead bytes.
func cleanHead(b []byte) string {
	s := strings.ToValidUTF8(strings.ReplaceAll(string(b), "\x00", ""), "\uFFFD")
	for len(s) > sb.MaxResponseHead {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// describe is an attempt error as the attempt log shows it.
func describe(err error, timeout time.Duration) string {
	var blocked *egress.BlockedError
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.As(err, &blocked):
		return "refused: " + blocked.Error() + " (SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE lifts this)"
	case errors.Is(err, context.Canceled):
		return "interrupted: the dispatcher stopped during the attempt"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("timeout: no complete response within %s", timeout)
	case errors.As(err, &ue):
		return ue.Err.Error()
	}
	return err.Error()
}

// payload is the body of one event, built once for all its deliveries.
type payload struct {
	mu          sync.Mutex
	event       *sb.Event // until the body is built
	workspaceID string
	eventID     string
	body        []byte
	trace       string // the event's traceparent
}

// get returns the body and the event's traceparent, reading the event if
// this payload was made for a claimed delivery.
func (p *payload) get(ctx context.Context, store sb.Store) ([]byte, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.body != nil {
		return p.body, p.trace, nil
	}
	e := p.event
	if e == nil {
		var err error
		if e, err = store.GetEvent(ctx, p.workspaceID, p.eventID); err != nil {
			return nil, "", fmt.Errorf("reading the event: %w", err)
		}
	}
	body, err := EventBody(e)
	if err != nil {
		return nil, "", err
	}
	p.body, p.trace, p.event = body, e.Trace, nil
	return body, p.trace, nil
}

// EventBody is the JSON body delivered for e: the event envelope, with
// its data's object keys sorted, so that every attempt of every delivery of
// an event carries the same bytes whatever the database did to the JSON.
func EventBody(e *sb.Event) ([]byte, error) {
	var data any = map[string]any{}
	if len(e.Data) > 0 {
		dec := json.NewDecoder(bytes.NewReader(e.Data))
		dec.UseNumber()
		if err := dec.Decode(&data); err != nil {
			return nil, fmt.Errorf("event %s: data is not JSON: %w", e.ID, err)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		ID          string    `json:"id"`
		Type        string    `json:"event"`
		Timestamp   time.Time `json:"timestamp"`
		Version     string    `json:"version"`
		WorkspaceID string    `json:"workspace_id"`
		Data        any       `json:"data"`
	}{e.ID, e.Type, e.Timestamp.UTC(), e.Version, e.WorkspaceID, data})
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// payloadCache shares payloads between the deliveries of one event.
type payloadCache struct {
	mu      sync.Mutex
	entries map[string]*payload
}

const maxCachedPayloads = 10000

func (c *payloadCache) put(id string, p *payload) {
	if len(c.entries) >= maxCachedPayloads {
		clear(c.entries)
	}
	c.entries[id] = p
}

// forEvent returns the payload of a new event.
func (c *payloadCache) forEvent(e *sb.Event) *payload {
	p := &payload{event: e, workspaceID: e.WorkspaceID, eventID: e.ID}
	c.mu.Lock()
	c.put(e.ID, p)
	c.mu.Unlock()
	return p
}

// forDelivery returns the payload of a claimed delivery's event.
func (c *payloadCache) forDelivery(d *sb.Delivery) *payload {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.entries[d.EventID]; p != nil {
		return p
	}
	p := &payload{workspaceID: d.WorkspaceID, eventID: d.EventID}
	c.put(d.EventID, p)
	return p
}
