package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	sb "github.com/switchboardhq/switchboard"
)

// handlerFunc is a /api/v1 handler; a returned error is answered as problem+json.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// decode reads the JSON body into v strictly: unknown fields, wrong types and
// trailing data are invalid_request errors naming the field.
func decode(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return sb.DecodeStrict(body, v, "")
}

// readBody reads a request body whole. The body must be JSON whatever the
// Content-Type says (curl -d sends a form type by default).
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, bodyError(err)
	}
	if len(body) == 0 {
		return nil, sb.Invalid("body", "is required: send a JSON object")
	}
	if escapesNUL(body) {
		return nil, sb.Invalid("body", "must not contain NUL characters (\\u0000)")
	}
	return body, nil
}

// escapesNUL reports whether a JSON text has a \u0000 escape in a string.
// NUL is refused at the edge so that both databases behave alike (SQLite
// stores it, PostgreSQL refuses it).
func escapesNUL(body []byte) bool {
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if i+5 < len(body) && body[i+1] == 'u' && string(body[i+2:i+6]) == "0000" {
			return true
		}
		i++ // skip the escaped character, so that \\u0000 is a backslash and text
	}
	return false
}

func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return sb.Errorf(sb.EPayloadTooLarge, "The body is larger than %d bytes.", tooBig.Limit)
	}
	return sb.Invalid("body", "could not be read: "+err.Error())
}

// respond writes v as JSON with the given status.
func respond(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return respondBody(w, status, body)
}

// respondBody writes a JSON body with the given status.
func respondBody(w http.ResponseWriter, status int, body []byte) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// list is the envelope of every list response.
type list struct {
	Data       any     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// pageParams reads limit and cursor. The cursor is the opaque form of the
// last id of the previous page, which must have the given prefix.
func pageParams(r *http.Request, prefix string) (sb.Page, error) {
	q := r.URL.Query()
	p := sb.Page{Limit: 50}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			return p, sb.Invalid("limit", "must be an integer from 1 to 200")
		}
		p.Limit = n
	}
	if c := q.Get("cursor"); c != "" {
		id, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || !sb.HasPrefix(string(id), prefix) {
			return p, sb.Invalid("cursor", "is not a cursor this list returned")
		}
		p.After = string(id)
	}
	return p, nil
}

// respondPage answers one page of items (the store returned up to
// Limit+1 of them) with the cursor of the next page.
func respondPage[T any](w http.ResponseWriter, items []T, p sb.Page, id func(T) string) error {
	out := list{Data: items}
	if len(items) > p.Limit {
		items = items[:p.Limit]
		c := cursor(id(items[len(items)-1]))
		out.Data, out.NextCursor = items, &c
	}
	if len(items) == 0 {
		out.Data = []T{}
	}
	return respond(w, http.StatusOK, out)
}

// respondRendered is respondPage for items the store rendered: the page is
// their documents put together, without encoding anything again.
func respondRendered(w http.ResponseWriter, items []sb.Rendered, p sb.Page) error {
	next := "null"
	if len(items) > p.Limit {
		items = items[:p.Limit]
		next = `"` + cursor(items[len(items)-1].ID) + `"`
	}
	n := len(`{"data":[],"next_cursor":}`) + len(next)
	for _, it := range items {
		n += len(it.JSON) + 1
	}
	body := make([]byte, 0, n)
	body = append(body, `{"data":[`...)
	for i, it := range items {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, it.JSON...)
	}
	body = append(body, `],"next_cursor":`...)
	body = append(body, next...)
	body = append(body, '}')
	return respondBody(w, http.StatusOK, body)
}

// cursor is the opaque cursor of the page after the item with the given id.
func cursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// pathID returns the named path parameter if it has the resource's prefix;
// an id of the wrong shape cannot exist, so it is not found.
func pathID(r *http.Request, name, prefix, kind string) (string, error) {
	id := r.PathValue(name)
	if !sb.HasPrefix(id, prefix) {
		return "", sb.ErrNotFound(kind)
	}
	return id, nil
}
