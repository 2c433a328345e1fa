package httpapi

import (
	"io"
	"net/http"
	"net/netip"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

var (
	kindIntegration = kind{sb.PrefixIntegration, "integration"}
	kindRun         = kind{sb.PrefixRun, "run"}
	kindAutomation  = kind{sb.PrefixAutomation, "automation"}
)

// registerIntegrationRoutes registers integrations, their runs, their
// inbound hooks and automations.
func (s *Server) registerIntegrationRoutes() {
	s.api1("GET /api/v1/integrations", sb.ScopeReadIntegrations, listPage(sb.PrefixIntegration, s.app.ListIntegrations, func(in *sb.Integration) string { return in.ID }))
	s.api1("POST /api/v1/integrations", sb.ScopeWriteIntegrations, create(decode, http.StatusCreated, s.app.CreateIntegration))
	s.api1("GET /api/v1/integrations/{id}", sb.ScopeReadIntegrations, byID(kindIntegration, s.app.GetIntegration))
	s.api1("PATCH /api/v1/integrations/{id}", sb.ScopeWriteIntegrations, changeByID(kindIntegration, decode, http.StatusOK, s.app.UpdateIntegration))
	s.api1("DELETE /api/v1/integrations/{id}", sb.ScopeWriteIntegrations, deleteByID(kindIntegration, s.app.DeleteIntegration))
	// A refusal by the system, or a type that cannot register, is 422.
	s.api1("POST /api/v1/integrations/{id}/register", sb.ScopeWriteIntegrations, byID(kindIntegration, s.app.RegisterIntegration))
	// A run of an action: 202, run afterwards.
	s.api1("POST /api/v1/integrations/{id}/actions/{action}", sb.ScopeWriteIntegrations, s.runAction)
	s.api1("GET /api/v1/integrations/{id}/runs", sb.ScopeReadIntegrations, s.listRuns)
	s.api1("GET /api/v1/runs/{id}", sb.ScopeReadIntegrations, byID(kindRun, s.app.GetRun))
	s.handle("POST /hooks/integrations/{id}", "", s.integrationHook)

	s.api1("GET /api/v1/automations", sb.ScopeReadIntegrations, listPage(sb.PrefixAutomation, s.app.ListAutomations, func(a *sb.Automation) string { return a.ID }))
	s.api1("POST /api/v1/automations", sb.ScopeWriteIntegrations, create(decode, http.StatusCreated, s.app.CreateAutomation))
	s.api1("GET /api/v1/automations/{id}", sb.ScopeReadIntegrations, byID(kindAutomation, s.app.GetAutomation))
	s.api1("PATCH /api/v1/automations/{id}", sb.ScopeWriteIntegrations, changeByID(kindAutomation, decode, http.StatusOK, s.app.UpdateAutomation))
	s.api1("DELETE /api/v1/automations/{id}", sb.ScopeWriteIntegrations, deleteByID(kindAutomation, s.app.DeleteAutomation))
}

// runAction answers POST /integrations/{id}/actions/{action}: 202 with the
// run, queued.
func (s *Server) runAction(w http.ResponseWriter, r *http.Request) error {
	id, err := kindIntegration.id(r)
	if err != nil {
		return err
	}
	var req app.RunActionParams
	if err := decodeOptions(r, &req); err != nil {
		return err
	}
	run, err := s.app.RunAction(r.Context(), workspace(r), id, r.PathValue("action"), &req)
	if err != nil {
		return err
	}
	return respond(w, http.StatusAccepted, run)
}

// listRuns answers GET /integrations/{id}/runs.
func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) error {
	id, err := kindIntegration.id(r)
	if err != nil {
		return err
	}
	p, err := pageParams(r, sb.PrefixRun)
	if err != nil {
		return err
	}
	runs, err := s.app.ListRuns(r.Context(), workspace(r), id, p)
	if err != nil {
		return err
	}
	return respondPage(w, runs, p, func(run *sb.Run) string { return run.ID })
}

// integrationHook answers POST /hooks/integrations/{id}: the system's
// request, verified by the integration's provider with the system's own
// signature and stored durably, is answered 200 {} at once and processed
// afterwards; a repeat of a delivery already stored is answered 200 too.
// 401 for a bad or missing signature (nothing stored), 404 for an unknown
// integration or a type without inbound webhooks, 413 for a body over
// 1 MiB; refusals spend the same budgets as the channels' hooks.
func (s *Server) integrationHook(w http.ResponseWriter, r *http.Request) error {
	return s.guardHook(w, r, func(id string, _ netip.Addr, _ time.Time) (*sb.HookResult, error) {
		if r.ContentLength > MaxBodyBytes {
			return nil, sb.Errorf(sb.EPayloadTooLarge, "The body is larger than %d bytes.", MaxBodyBytes)
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err != nil {
			return nil, bodyError(err)
		}
		return &sb.HookResult{}, s.app.ReceiveIntegrationHook(r.Context(), id, r.Header, body)
	})
}
