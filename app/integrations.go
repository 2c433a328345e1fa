package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/queue"
	"github.com/switchboardhq/switchboard/retry"
)

// maxIntegrationName bounds an integration's name.
const maxIntegrationName = 200

// DefaultRunRetry is the schedule of integration action runs: retries
// after 1 s, 5 s, 30 s, 2 min, 10 min and 30 min (7 attempts), unless the
// system asks for a longer wait (Retry-After).
var DefaultRunRetry = retry.Schedule{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute}

// DefaultRunTimeout bounds one attempt of an action.
const DefaultRunTimeout = 20 * time.Second

// IntegrationDeps are what integrations, their runs and automations need
// beyond the other operations.
type IntegrationDeps struct {
	// Providers are the integration types of this build; a type missing
	// here is refused.
	Providers sb.Integrations
	// Jobs runs action runs and inbound hooks (its kinds are registered by
	// New); nil: their jobs are written for the poller of a process that
	// runs them.
	Jobs *queue.Queue
	// Client makes every call to a system (an egress client; nil: one
	// under WebhookPolicy).
	Client *http.Client
	// Retry is the schedule of failed attempts (default DefaultRunRetry);
	// Timeout bounds each attempt (default DefaultRunTimeout).
	Retry   retry.Schedule
	Timeout time.Duration
	Logger  *slog.Logger
}

// integrations is the state of the integration operations.
type integrations struct {
	providers sb.Integrations
	jobs      *queue.Queue
	runs      *queue.Kind[runPayload, runInput]
	hooks     *queue.Kind[hookPayload, struct{}]
	client    *http.Client
	retry     retry.Schedule
	timeout   time.Duration
	log       *slog.Logger
}

// newIntegrations sets up the integration operations of s and registers
// their job kinds on d.Jobs.
func newIntegrations(s *Service, cfg Config, d IntegrationDeps) *integrations {
	in := &integrations{providers: d.Providers, jobs: d.Jobs, client: d.Client, retry: d.Retry, timeout: d.Timeout, log: d.Logger}
	if in.providers == nil {
		in.providers = sb.NewIntegrations()
	}
	if in.client == nil {
		in.client = egress.NewClient(cfg.WebhookPolicy, DefaultRunTimeout)
	}
	if len(in.retry) == 0 {
		in.retry = DefaultRunRetry
	}
	if in.timeout <= 0 {
		in.timeout = DefaultRunTimeout
	}
	if in.log == nil {
		in.log = slog.New(slog.DiscardHandler)
	}
	if in.jobs != nil {
		in.runs = queue.Register(in.jobs, JobIntegrationRun, func(ctx context.Context, j *queue.Job[runPayload, runInput]) {
			s.runAction(ctx, j.Job, &j.Args, j.Hint)
		})
		in.hooks = queue.Register(in.jobs, JobIntegrationHook, func(ctx context.Context, j *queue.Job[hookPayload, struct{}]) {
			s.processHook(ctx, j.Job, &j.Args)
		})
	}
	return in
}

// Job kinds of integrations.
const (
	JobIntegrationRun  = "integration_run"  // run one integration action (a Run)
	JobIntegrationHook = "integration_hook" // process one stored inbound business webhook
)

// CreateIntegrationParams are a new integration's type, name and settings.
type CreateIntegrationParams struct {
	Type   string          `json:"type"`
	Name   string          `json:"name"`
	Config json.RawMessage `json:"config"`
}

// UpdateIntegrationParams are the changes to an integration; Config is
// merged over the stored settings (a field given as null is removed).
type UpdateIntegrationParams struct {
	Name   sb.Optional[string] `json:"name"`
	Status sb.Optional[string] `json:"status"`
	Config json.RawMessage     `json:"config"`
}

// integrationView returns in as the API shows it: with its inbound URL
// when its type takes webhooks.
func (s *Service) integrationView(in *sb.Integration) *sb.Integration {
	if p, ok := s.integ.providers.Lookup(in.Type); ok && p.Spec().Inbound {
		in.WebhookURL = strings.TrimSuffix(s.cfg.PublicURL, "/") + "/hooks/integrations/" + in.ID
	}
	return in
}

// ListIntegrations returns a page of the workspace's integrations.
func (s *Service) ListIntegrations(ctx context.Context, ws string, p sb.Page) ([]*sb.Integration, error) {
	list, err := s.store.ListIntegrations(ctx, ws, p)
	for _, in := range list {
		s.integrationView(in)
	}
	return list, err
}

// GetIntegration returns one integration.
func (s *Service) GetIntegration(ctx context.Context, ws, id string) (*sb.Integration, error) {
	in, err := s.store.GetIntegration(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	return s.integrationView(in), nil
}

// CreateIntegration creates an integration, connected, and emits
// integration.connected.
func (s *Service) CreateIntegration(ctx context.Context, ws string, req *CreateIntegrationParams) (*sb.Integration, error) {
	var v sb.Validation
	checkName(&v, req.Name)
	if err := v.Err(); err != nil {
		return nil, err
	}
	config, secrets, err := s.integ.providers.ParseConfig(req.Type, req.Config, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := s.checkIntegrationURLs(ctx, req.Type, config, secrets); err != nil {
		return nil, err
	}
	now := s.now()
	in := &sb.Integration{
		ID: sb.NewID(sb.PrefixIntegration), WorkspaceID: ws, Type: req.Type, Name: req.Name,
		Status: sb.IntegrationConnected, Config: config, Secrets: secrets, CreatedAt: now, UpdatedAt: now,
	}
	err = s.write(ctx, func(q sb.Queries) error {
		if err := q.CreateIntegration(ctx, in); err != nil {
			return err
		}
		return s.events.Publish(ctx, q, integrationEvent(sb.EventIntegrationConnected, in, ""))
	})
	if err != nil {
		return nil, err
	}
	return s.integrationView(in), nil
}

func checkName(v *sb.Validation, name string) {
	if strings.TrimSpace(name) == "" || len(name) > maxIntegrationName {
		v.Add("name", "is required, at most 200 characters")
	}
}

// integrationEvent builds an integration.* event; reason says why, for
// integration.disconnected.
func integrationEvent(typ string, in *sb.Integration, reason string) *sb.Event {
	data := map[string]any{"integration": map[string]string{"id": in.ID, "type": in.Type, "name": in.Name, "status": in.Status}}
	if reason != "" {
		data["reason"] = reason
	}
	return sb.NewEvent(in.WorkspaceID, typ, data)
}

// checkIntegrationURLs checks the URLs an integration's settings make
// Switchboard call against the outbound address policy.
func (s *Service) checkIntegrationURLs(ctx context.Context, typ string, config map[string]any, secrets map[string]string) error {
	p, ok := s.integ.providers.Lookup(typ)
	if !ok {
		return nil
	}
	var v sb.Validation
	for field, u := range p.Spec().URLs(config, secrets) {
		s.checkOutboundURL(ctx, &v, field, u)
	}
	return v.Err()
}

// UpdateIntegration changes an integration's name, status or settings. A
// status set to connected again (after credentials were refused) emits
// integration.connected; set to disconnected, integration.disconnected.
func (s *Service) UpdateIntegration(ctx context.Context, ws, id string, req *UpdateIntegrationParams) (*sb.Integration, error) {
	old, err := s.store.GetIntegration(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	next := *old
	if err := s.applyIntegrationPatch(&next, req); err != nil {
		return nil, err
	}
	if req.Config != nil { // before the write: the check may ask DNS
		if err := s.checkIntegrationURLs(ctx, next.Type, next.Config, next.Secrets); err != nil {
			return nil, err
		}
	}
	in, err := writeResult(ctx, s, func(q sb.Queries) (*sb.Integration, error) {
		cur, err := q.GetIntegration(ctx, ws, id)
		if err != nil {
			return nil, err
		}
		in := next
		in.UpdatedAt = s.now()
		if err := q.UpdateIntegration(ctx, &in); err != nil {
			return nil, err
		}
		if cur.Status != in.Status {
			typ, reason := sb.EventIntegrationConnected, ""
			if in.Status != sb.IntegrationConnected {
				typ, reason = sb.EventIntegrationDisconnected, "disconnected through the API"
			}
			if err := s.events.Publish(ctx, q, integrationEvent(typ, &in, reason)); err != nil {
				return nil, err
			}
		}
		return &in, nil
	})
	if err != nil {
		return nil, err
	}
	return s.integrationView(in), nil
}

func (s *Service) applyIntegrationPatch(in *sb.Integration, req *UpdateIntegrationParams) error {
	var v sb.Validation
	if req.Name.Set {
		if req.Name.Null {
			v.Add("name", "is required, at most 200 characters")
		} else {
			checkName(&v, req.Name.Value)
			in.Name = req.Name.Value
		}
	}
	if req.Status.Set {
		if st := req.Status.Value; req.Status.Null || (st != sb.IntegrationConnected && st != sb.IntegrationDisconnected) {
			v.Add("status", "must be connected or disconnected")
		} else {
			in.Status = st
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if req.Config != nil {
		config, secrets, err := s.integ.providers.ParseConfig(in.Type, req.Config, in.Config, in.Secrets)
		if err != nil {
			return err
		}
		in.Config, in.Secrets = config, secrets
	}
	return nil
}

// DeleteIntegration deletes an integration with its runs, hooks and
// automations, and emits integration.disconnected.
func (s *Service) DeleteIntegration(ctx context.Context, ws, id string) error {
	return s.write(ctx, func(q sb.Queries) error {
		in, err := q.GetIntegration(ctx, ws, id)
		if err != nil {
			return err
		}
		if err := q.DeleteIntegration(ctx, ws, id); err != nil {
			return err
		}
		in.Status = sb.IntegrationDisconnected
		return s.events.Publish(ctx, q, integrationEvent(sb.EventIntegrationDisconnected, in, "deleted"))
	})
}

// RegisterIntegration registers the integration's inbound URL with its
// system where the system's API allows it (Shopify's webhook
// subscriptions). On success the integration is connected and
// integration.connected is emitted. A refusal by the system is
// EUnprocessable with its reason (nothing changed); a type that cannot
// register is EUnprocessable saying so.
func (s *Service) RegisterIntegration(ctx context.Context, ws, id string) (*sb.Integration, error) {
	in, err := s.store.GetIntegration(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	var reg sb.HookRegistrar
	if p, ok := s.integ.providers.Lookup(in.Type); ok {
		reg, _ = p.(sb.HookRegistrar)
	}
	if reg == nil {
		return nil, sb.Errorf(sb.EUnprocessable, "A %s integration cannot register webhooks: its system's API offers no way to (or it takes none).", in.Type)
	}
	cctx, cancel := context.WithTimeout(ctx, s.integ.timeout)
	err = reg.Register(cctx, &sb.RegisterCall{Integration: in, WebhookURL: s.integrationView(in).WebhookURL, Client: s.integ.client})
	cancel()
	if err != nil {
		var ae *sb.ActionError
		if errors.As(err, &ae) {
			detail := ae.Error()
			if ae.Response != "" {
				detail += ": " + ae.Response
			}
			return nil, sb.Errorf(sb.EUnprocessable, "The system could not register the webhook: %s. Nothing changed.", detail)
		}
		return nil, err
	}
	in, err = writeResult(ctx, s, func(q sb.Queries) (*sb.Integration, error) {
		in, err := q.GetIntegration(ctx, ws, id)
		if err != nil {
			return nil, err
		}
		in.Status = sb.IntegrationConnected
		if err := q.UpdateIntegration(ctx, in); err != nil {
			return nil, err
		}
		return in, s.events.Publish(ctx, q, integrationEvent(sb.EventIntegrationConnected, in, ""))
	})
	if err != nil {
		return nil, err
	}
	return s.integrationView(in), nil
}

// ReceiveIntegrationHook handles one inbound request of a business system
// to /hooks/integrations/{id}: the provider verifies it with the system's
// own signature, and it is stored durably, once per delivery id, with the
// job that processes it, before this returns.
//
// Errors: ENotFound for an unknown integration or a type without inbound
// webhooks; EUnauthorized when the provider refuses the request (nothing
// is stored). A repeat of a stored delivery is accepted and dropped.
func (s *Service) ReceiveIntegrationHook(ctx context.Context, id string, h http.Header, body []byte) error {
	if !sb.HasPrefix(id, sb.PrefixIntegration) {
		return sb.ErrNotFound("integration")
	}
	in, err := s.store.GetIntegrationByID(ctx, id)
	if err != nil {
		return err
	}
	p, _ := s.integ.providers.Lookup(in.Type)
	handler, ok := p.(sb.HookHandler)
	if !ok || !p.Spec().Inbound {
		return sb.Errorf(sb.ENotFound, "Integrations of type %s take no inbound webhooks.", in.Type)
	}
	vh, err := handler.VerifyHook(in, h, body)
	if err != nil {
		if code := sb.ErrorCode(err); code == sb.EInvalid || code == sb.EUnauthorized {
			return err
		}
		return sb.Errorf(sb.EUnauthorized, "The webhook's signature is not valid: %s.", err.Error())
	}
	delivery := vh.DeliveryID
	if delivery == "" {
		sum := sha256.Sum256(body)
		delivery = "sha256:" + hex.EncodeToString(sum[:])
	}
	hook := &sb.IntegrationHook{
		ID: sb.NewID(sb.PrefixIntegrationHook), WorkspaceID: in.WorkspaceID, IntegrationID: in.ID,
		DeliveryID: delivery, Topic: vh.Topic, Body: body, ReceivedAt: s.now(),
	}
	return s.write(ctx, func(q sb.Queries) error {
		if err := q.CreateIntegrationHook(ctx, hook); err != nil {
			if sb.ErrorCode(err) == sb.EConflict {
				return nil // a repeat: stored already
			}
			return err
		}
		return s.enqueueHook(ctx, q, hook)
	})
}
