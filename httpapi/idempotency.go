package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// IdempotencyTTL is how long a POST's response is kept for replay.
const IdempotencyTTL = 24 * time.Hour

// idempotencyAbandoned is how long an in-progress record blocks its key;
// after that the first request is taken to have died and a repeat runs.
const idempotencyAbandoned = time.Minute

// replayedHeaders are the response headers stored and replayed.
var replayedHeaders = []string{"Content-Type", "Location"}

// idempotent runs a POST carrying an Idempotency-Key at most once per key
// and credential: the first response is stored and replayed for repeats
// with the same body; a repeat with another body is refused with 422, and
// a repeat while the first is still running with 409. Server errors are not
// stored, so the client can try again.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, h handlerFunc) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 {
		s.fail(w, r, sb.Invalid("Idempotency-Key", "must be at most 255 characters"))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, r, bodyError(err))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
	rec := &sb.IdempotencyRecord{Scope: principal(r).KeyID, Key: key, RequestHash: hex.EncodeToString(sum[:]), CreatedAt: s.clock.Now().UTC()}

	if done, err := s.claimIdempotencyKey(w, r, rec); done || err != nil {
		if err != nil {
			s.fail(w, r, err)
		}
		return
	}
	rw := &recorder{header: http.Header{}}
	if err := h(rw, r); err != nil {
		s.fail(rw, r, err)
	}
	if rw.status >= 500 {
		_ = s.records.DeleteIdempotencyRecord(r.Context(), rec.Scope, rec.Key)
	} else {
		rec.Status, rec.Body, rec.Header = rw.status, rw.body.Bytes(), map[string]string{}
		for _, name := range replayedHeaders {
			if v := rw.header.Get(name); v != "" {
				rec.Header[name] = v
			}
		}
		if err := s.records.CompleteIdempotencyRecord(r.Context(), rec); err != nil {
			s.log.Error("storing idempotent response", "request_id", requestID(r), "error", err)
		}
	}
	rw.copyTo(w)
}

// claimIdempotencyKey records the key as in progress. If it was already
// used, it answers the request itself (replay, 409 or 422) and returns true.
func (s *Server) claimIdempotencyKey(w http.ResponseWriter, r *http.Request, rec *sb.IdempotencyRecord) (bool, error) {
	ctx := r.Context()
	for try := 0; try < 2; try++ {
		err := s.records.CreateIdempotencyRecord(ctx, rec)
		if err == nil {
			return false, nil
		}
		if sb.ErrorCode(err) != sb.EConflict {
			return false, err
		}
		old, err := s.records.GetIdempotencyRecord(ctx, rec.Scope, rec.Key)
		if sb.ErrorCode(err) == sb.ENotFound {
			continue // deleted meanwhile: claim again
		} else if err != nil {
			return false, err
		}
		age := time.Since(old.CreatedAt)
		expired := age > IdempotencyTTL || (old.Status == 0 && age > idempotencyAbandoned)
		switch {
		case expired:
			if err := s.records.DeleteIdempotencyRecord(ctx, rec.Scope, rec.Key); err != nil {
				return false, err
			}
			continue
		case old.RequestHash != rec.RequestHash:
			return true, &sb.Error{Code: sb.EUnprocessable, Message: "This Idempotency-Key was used with a different request body.",
				Fields: []sb.FieldError{{Field: "Idempotency-Key", Message: "was used with a different request"}}}
		case old.Status == 0:
			w.Header().Set("Retry-After", "1")
			return true, sb.Errorf(sb.EConflict, "A request with this Idempotency-Key is still being processed; retry later.")
		}
		for k, v := range old.Header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(old.Status)
		_, _ = w.Write(old.Body)
		return true, nil
	}
	w.Header().Set("Retry-After", "1")
	return true, sb.Errorf(sb.EConflict, "The Idempotency-Key is contended; retry.")
}

// recorder buffers a response so that it can be stored before it is sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.status == 0 {
		r.status = http.StatusOK
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}
