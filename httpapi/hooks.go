package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// hook answers POST (and GET, for Meta-style verification)
// /hooks/channels/{id}: the platform's request, read whole, is handed to
// app.ReceiveHook (verified with the platform's own scheme, stored durably)
// and answered 200 at once; the bot runs afterwards.
//
// Answers: 200 with the adapter's response (a handshake) or {}; 401 for a
// bad, missing or stale signature, 403 for a wrong verify token, 400 for a
// malformed body, 413 for a body over 1 MiB, 404 for an unknown channel or
// a channel type without hooks, 409 for a disconnected channel; only a
// 200 stores anything.
func (s *Server) hook(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength > MaxBodyBytes {
		return sb.Errorf(sb.EPayloadTooLarge, "The body is larger than %d bytes.", MaxBodyBytes)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return bodyError(err)
	}
	id := r.PathValue("id")
	res, err := s.app.ReceiveHook(r.Context(), id, &sb.HookRequest{
		Method: r.Method,
		URL:    strings.TrimSuffix(s.cfg.PublicURL, "/") + r.URL.RequestURI(),
		Header: r.Header,
		Query:  r.URL.Query(),
		Body:   body,
		Now:    s.clock.Now(),
	})
	if err != nil {
		s.refusedHook(r, id, err)
		return err
	}
	if res.Response != nil {
		ct := res.Response.ContentType
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		status := res.Response.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, err := w.Write(res.Response.Body)
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = io.WriteString(w, "{}")
	return err
}

// refusedHook logs an inbound request a channel's adapter refused: a
// platform misconfigured, or someone probing.
func (s *Server) refusedHook(r *http.Request, channelID string, err error) {
	var e *sb.Error
	if errors.As(err, &e) && (e.Code == sb.EUnauthorized || e.Code == sb.EForbidden || e.Code == sb.EInvalid) {
		s.log.Info("inbound hook refused", "channel", channelID, "code", e.Code, "reason", e.Message,
			"request_id", requestID(r))
	}
}
