package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

// TestUnavailableProblem: a write the database had no room for is 503 with
// Retry-After and the code unavailable, not a 500.
func TestUnavailableProblem(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/v1/bots", nil)
	writeError(rec, req, slog.New(slog.DiscardHandler), &sb.Error{Code: sb.EUnavailable, Message: "no room"})
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "30" {
		t.Fatalf("status %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	var p problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Code != sb.EUnavailable || p.Status != 503 || p.Title == "" {
		t.Fatalf("problem %s: %v", rec.Body, err)
	}
}
