package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/auth"
)

// APIVersion is the only supported X-API-Version, and the default.
const APIVersion = "2024-01"

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPrincipal
)

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(keyRequestID).(string)
	return id
}

// workspace is the workspace of the request's credentials.
func workspace(r *http.Request) string { return principal(r).WorkspaceID }

func principal(r *http.Request) *auth.Principal {
	p, _ := r.Context().Value(keyPrincipal).(*auth.Principal)
	return p
}

// newRequestID returns "req_" and 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	size   int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe is the outermost wrapper of every route: request id, panic
// recovery, access log and metrics.
func (s *Server) observe(pattern string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 200 {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), keyRequestID, id))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "request_id", id, "panic", v)
				if sw.status == 0 {
					writeError(sw, r, s.log, sb.Errorf(sb.EInternal, "panic"))
				}
			}
			elapsed := time.Since(start)
			s.metrics.observe(pattern, r.Method, sw.status, elapsed)
			s.log.Debug("request", "method", r.Method, "route", pattern, "status", sw.status,
				"bytes", sw.size, "duration_ms", float64(elapsed.Microseconds())/1000, "request_id", id)
		}()
		next.ServeHTTP(sw, r)
	})
}

// api wraps a /api/v1 handler: version check, authentication, rate limit,
// scope check, body limit and idempotency, in that order.
func (s *Server) api(scope string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-API-Version", APIVersion)
		if v := r.Header.Get("X-API-Version"); v != "" && v != APIVersion {
			s.fail(w, r, &sb.Error{Code: sb.EUnsupportedVersion, Message: "Unsupported X-API-Version " + strconv.Quote(v) + "; supported: " + APIVersion + ".",
				Fields: []sb.FieldError{{Field: "X-API-Version", Message: "must be " + APIVersion}}})
			return
		}
		p, err := s.authenticate(r)
		if !s.allow(w, r, p) {
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if scope != "" && !p.Allows(scope) {
			s.fail(w, r, sb.Errorf(sb.EForbidden, "These credentials (API key or access token) lack the %s scope.", scope))
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), keyPrincipal, p))
		if r.ContentLength > MaxBodyBytes {
			s.fail(w, r, sb.Errorf(sb.EPayloadTooLarge, "The body is larger than %d bytes.", MaxBodyBytes))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		if r.Method == http.MethodPost && r.Header.Get("Idempotency-Key") != "" {
			s.idempotent(w, r, h)
			return
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// authenticate reads the bearer token.
func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, sb.Errorf(sb.EUnauthorized, "Send an API key as Authorization: Bearer <key>.")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || token == "" {
		return nil, sb.Errorf(sb.EUnauthorized, "The Authorization header must be Bearer <key>.")
	}
	return s.auth.Authenticate(r.Context(), token)
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, s.log, err)
}
