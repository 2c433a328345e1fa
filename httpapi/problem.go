package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	sb "github.com/switchboardhq/switchboard"
)

// problem is an RFC 9457 problem details body.
type problem struct {
	Type      string          `json:"type"`
	Title     string          `json:"title"`
	Status    int             `json:"status"`
	Detail    string          `json:"detail"`
	Code      string          `json:"code"`
	RequestID string          `json:"request_id"`
	Errors    []sb.FieldError `json:"errors"`
}

// statusOf maps an error code to its HTTP status.
func statusOf(code string) int {
	switch code {
	case sb.EInvalid, sb.EUnsupportedVersion:
		return http.StatusBadRequest
	case sb.EUnauthorized:
		return http.StatusUnauthorized
	case sb.EForbidden:
		return http.StatusForbidden
	case sb.ENotFound:
		return http.StatusNotFound
	case sb.EConflict:
		return http.StatusConflict
	case sb.EUnprocessable:
		return http.StatusUnprocessableEntity
	case sb.ERateLimited:
		return http.StatusTooManyRequests
	case sb.EPayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case sb.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

var titles = map[string]string{
	sb.EInvalid:            "Invalid request",
	sb.EUnsupportedVersion: "Unsupported API version",
	sb.EUnauthorized:       "Unauthorized",
	sb.EForbidden:          "Forbidden",
	sb.ENotFound:           "Not found",
	sb.EConflict:           "Conflict",
	sb.EUnprocessable:      "Unprocessable request",
	sb.ERateLimited:        "Too many requests",
	sb.EPayloadTooLarge:    "Payload too large",
	sb.EUnavailable:        "Service unavailable",
	sb.EInternal:           "Internal error",
}

// writeError answers with the problem+json form of err. Internal errors are
// logged with the request id and answered without details.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	var e *sb.Error
	if !errors.As(err, &e) {
		logger.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "request_id", requestID(r), "error", err)
		e = &sb.Error{Code: sb.EInternal, Message: "Something went wrong on our side; the request id identifies it in our logs."}
	}
	status := statusOf(e.Code)
	fields := e.Fields
	if fields == nil {
		fields = []sb.FieldError{}
	}
	body, _ := json.Marshal(problem{
		Type:      "urn:switchboard:error:" + e.Code,
		Title:     titles[e.Code],
		Status:    status,
		Detail:    e.Message,
		Code:      e.Code,
		RequestID: requestID(r),
		Errors:    fields,
	})
	w.Header().Set("Content-Type", "application/problem+json")
	if e.Code == sb.EUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(unavailableRetryAfter))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// unavailableRetryAfter is the wait, in seconds, that a 503 asks for.
const unavailableRetryAfter = 30

// writeJSONProblem writes a problem body for statuses that no error code
// maps to (405, 503); the caller has set the status already. The code is the
// nearest stable word.
func writeJSONProblem(w http.ResponseWriter, r *http.Request, status int, title, detail string) error {
	code := sb.EInvalid
	if status >= 500 {
		code = sb.EInternal
	}
	body, err := json.Marshal(problem{
		Type: "urn:switchboard:error:" + code, Title: title, Status: status, Detail: detail,
		Code: code, RequestID: requestID(r), Errors: []sb.FieldError{},
	})
	if err != nil {
		return err
	}
	_, err = w.Write(body)
	return err
}
