package httpapi

import (
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

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
// a channel type without hooks, 409 for a disconnected channel; 403 as
// well for a client address outside the channel's allowed_ips; only a
// 200 stores anything.
//
// Refusals (all of the above but 409) spend the budgets of the client's
// address and of the channel (hookGuard); a request arriving when either
// is spent answers 429 with Retry-After at once, unread and unverified
// (the channel's budget does not apply to an address that sent the
// channel a verified request in the last day).
// Every answer carries the RateLimit-* headers of those budgets.
func (s *Server) hook(w http.ResponseWriter, r *http.Request) error {
	return s.guardHook(w, r, func(id string, addr netip.Addr, now time.Time) (*sb.HookResult, error) {
		return s.receiveHook(w, r, id, addr, now)
	})
}

// guardHook answers an inbound hook to the channel or integration the
// path's {id} names with receive, under the refusal budgets of the
// client's address and of that id (see hook).
func (s *Server) guardHook(w http.ResponseWriter, r *http.Request, receive func(id string, addr netip.Addr, now time.Time) (*sb.HookResult, error)) error {
	now := s.clock.Now()
	addr := s.clientIP(r)
	ip, id := limitKey(addr), r.PathValue("id")
	b := s.hooks.level(ip, id, now)
	if b.wait > 0 {
		b.setHeaders(w.Header())
		w.Header().Set("Retry-After", strconv.Itoa(max(1, ceilSeconds(b.wait))))
		s.hooks.note(ip, true, now, "channel", id, "request_id", requestID(r))
		return sb.Errorf(sb.ERateLimited, "Too many refused requests from this address or to this channel; retry after %d seconds.", max(1, ceilSeconds(b.wait)))
	}
	res, err := receive(id, addr, now)
	if spends, perChannel := refused(err); spends {
		s.hooks.charge(ip, id, perChannel, now)
		var e *sb.Error
		errors.As(err, &e)
		s.hooks.note(ip, false, now, "channel", id, "code", e.Code, "reason", e.Message, "request_id", requestID(r))
	}
	if err == nil {
		s.hooks.verified(ip, id, now)
	}
	s.hooks.level(ip, id, now).setHeaders(w.Header())
	if err != nil {
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

// receiveHook reads the request's body and hands it to app.ReceiveHook.
func (s *Server) receiveHook(w http.ResponseWriter, r *http.Request, id string, addr netip.Addr, now time.Time) (*sb.HookResult, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, sb.Errorf(sb.EPayloadTooLarge, "The body is larger than %d bytes.", MaxBodyBytes)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return nil, bodyError(err)
	}
	return s.app.ReceiveHook(r.Context(), id, &sb.HookRequest{
		Method:   r.Method,
		URL:      strings.TrimSuffix(s.cfg.PublicURL, "/") + r.URL.RequestURI(),
		Header:   r.Header,
		Query:    r.URL.Query(),
		Body:     body,
		Now:      now,
		ClientIP: addr,
	})
}
