package httpapi

import (
	"context"
	"net/http"

	sb "github.com/switchboardhq/switchboard"
)

// Most operations of /api/v1 differ only in the app operation they call,
// the kind of id in their path, how strictly they read their body and the
// status of their answer. The functions here build their handlers, so
// that what listing, creating, reading, changing and deleting one resource
// means over HTTP is written once; registerRoutes names each operation.

// kind is a kind of resource named in paths: the prefix of its ids and its
// name in a 404.
type kind struct{ prefix, name string }

var (
	kindAPIKey       = kind{sb.PrefixAPIKey, "API key"}
	kindBot          = kind{sb.PrefixBot, "bot"}
	kindChannel      = kind{sb.PrefixChannel, "channel"}
	kindContact      = kind{sb.PrefixContact, "contact"}
	kindConversation = kind{sb.PrefixConversation, "conversation"}
	kindEvent        = kind{sb.PrefixEvent, "event"}
	kindEndpoint     = kind{sb.PrefixEndpoint, "webhook endpoint"}
	kindDelivery     = kind{sb.PrefixDelivery, "delivery"}
)

// id returns the path's {id}, which must be an id of kind k (404 if not).
func (k kind) id(r *http.Request) (string, error) { return pathID(r, "id", k.prefix, k.name) }

// decoder reads a request body into v: decode, decodeObject or
// decodeOptions.
type decoder func(r *http.Request, v any) error

// listPage serves a page of the workspace's resources, ordered by id.
func listPage[T any](prefix string, op func(ctx context.Context, ws string, p sb.Page) ([]T, error), id func(T) string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := pageParams(r, prefix)
		if err != nil {
			return err
		}
		items, err := op(r.Context(), workspace(r), p)
		if err != nil {
			return err
		}
		return respondPage(w, items, p, id)
	}
}

// create serves a POST to a collection: the body read by dec, answered
// with status and what op returns.
func create[P, T any](dec decoder, status int, op func(ctx context.Context, ws string, req *P) (T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req P
		if err := dec(r, &req); err != nil {
			return err
		}
		v, err := op(r.Context(), workspace(r), &req)
		if err != nil {
			return err
		}
		return respond(w, status, v)
	}
}

// byID serves an operation without a body on the resource the path's {id}
// names: 200 with what op returns.
func byID[T any](k kind, op func(ctx context.Context, ws, id string) (T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := k.id(r)
		if err != nil {
			return err
		}
		v, err := op(r.Context(), workspace(r), id)
		if err != nil {
			return err
		}
		return respond(w, http.StatusOK, v)
	}
}

// changeByID serves an operation with a body, read by dec, on the resource
// the path's {id} names: status with what op returns.
func changeByID[P, T any](k kind, dec decoder, status int, op func(ctx context.Context, ws, id string, req *P) (T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := k.id(r)
		if err != nil {
			return err
		}
		var req P
		if err := dec(r, &req); err != nil {
			return err
		}
		v, err := op(r.Context(), workspace(r), id, &req)
		if err != nil {
			return err
		}
		return respond(w, status, v)
	}
}

// deleteByID serves a DELETE of the resource the path's {id} names: 204.
func deleteByID(k kind, op func(ctx context.Context, ws, id string) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := k.id(r)
		if err != nil {
			return err
		}
		if err := op(r.Context(), workspace(r), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
