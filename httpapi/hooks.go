package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// hook answers POST (and GET, for Meta-style verification)
// /hooks/channels/{id}: the platform's request is verified by the channel's
// adapter with the platform's own scheme, stored durably by the pipeline
// (one transaction), and answered 200 at once; the bot runs afterwards.
//
// Answers: 200 with the adapter's response (a handshake) or {}; 401 for a
// bad, missing or stale signature, 403 for a wrong verify token, 400 for a
// malformed body, 413 for a body over 1 MiB, 404 for an unknown channel or
// a channel type without hooks, 409 for a disconnected channel; only a
// 200 stores anything. A request already received (same platform id) is
// answered 200 and not processed again.
func (s *Server) hook(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !sb.HasPrefix(id, sb.PrefixChannel) || s.pipe == nil {
		return sb.ErrNotFound("channel")
	}
	if r.ContentLength > MaxBodyBytes {
		return sb.Errorf(sb.EPayloadTooLarge, "The body is larger than %d bytes.", MaxBodyBytes)
	}
	ch, err := s.pipe.Channel(r.Context(), id)
	if err != nil {
		return err
	}
	adapter, ok := s.channels.Lookup(ch.Type)
	if !ok {
		return sb.Errorf(sb.ENotFound, "Channels of type %s have no inbound hook.", ch.Type)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return bodyError(err)
	}
	req := &sb.HookRequest{
		Method: r.Method,
		URL:    strings.TrimSuffix(s.cfg.PublicURL, "/") + r.URL.RequestURI(),
		Header: r.Header,
		Query:  r.URL.Query(),
		Body:   body,
		Now:    time.Now(),
	}
	res, err := adapter.HandleHook(r.Context(), ch, req)
	if err != nil {
		s.refusedHook(r, ch, err)
		return err
	}
	if ch.Status == sb.ChannelDisconnected && (len(res.Messages) > 0 || len(res.Statuses) > 0) {
		return sb.Errorf(sb.EConflict, "The channel is disconnected: its inbound requests are refused until it is connected again.")
	}
	if _, err := s.pipe.Ingest(r.Context(), ch, res); err != nil {
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

// refusedHook logs a refused hook request: a platform misconfigured, or
// someone probing.
func (s *Server) refusedHook(r *http.Request, ch *sb.Channel, err error) {
	var e *sb.Error
	if errors.As(err, &e) {
		s.log.Info("inbound hook refused", "channel", ch.ID, "type", ch.Type, "code", e.Code, "reason", e.Message,
			"request_id", requestID(r))
	}
}
