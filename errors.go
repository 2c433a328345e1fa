package switchboard

import (
	"errors"
	"fmt"
)

// Error codes. They are stable machine words that clients match on; the HTTP
// layer maps each to a status code.
const (
	EInvalid            = "invalid_request"     // 400: the input is wrong; Fields names what.
	EUnauthorized       = "unauthorized"        // 401: no or bad credentials.
	EForbidden          = "forbidden"           // 403: valid credentials lacking a scope.
	ENotFound           = "not_found"           // 404: absent, or in another workspace.
	EConflict           = "conflict"            // 409: the resource's state forbids the change.
	EUnprocessable      = "unprocessable"       // 422: well-formed but not acceptable (idempotency key reuse).
	ERateLimited        = "rate_limited"        // 429
	EPayloadTooLarge    = "payload_too_large"   // 413
	EUnavailable        = "unavailable"         // 503: nothing was done (the database has no room); try again later.
	EUnsupportedVersion = "unsupported_version" // 400: unknown X-API-Version.
	EInternal           = "internal"            // 500: never carries details to the client.
)

// FieldError names one offending input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the error type every package returns for conditions a client can
// act on. Anything that is not an *Error is treated as internal.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("%s: %s (%s: %s)", e.Code, e.Message, e.Fields[0].Field, e.Fields[0].Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is a ready-made not_found error for a kind of resource.
func ErrNotFound(kind string) *Error {
	return &Error{Code: ENotFound, Message: kind + " not found"}
}

// Invalid returns an invalid_request error naming one field.
func Invalid(field, message string) *Error {
	return &Error{Code: EInvalid, Message: "The request is invalid.", Fields: []FieldError{{Field: field, Message: message}}}
}

// ErrorCode returns the code of err, or EInternal if err is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EInternal
}

// Validation collects field errors and reports them together.
type Validation struct{ fields []FieldError }

// Add records that field is wrong.
func (v *Validation) Add(field, message string) {
	v.fields = append(v.fields, FieldError{field, message})
}

// Addf records that field is wrong, formatting the message.
func (v *Validation) Addf(field, format string, args ...any) {
	v.Add(field, fmt.Sprintf(format, args...))
}

// Err returns nil if nothing was recorded, or an invalid_request *Error.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: "The request is invalid.", Fields: v.fields}
}
