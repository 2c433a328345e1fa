package meta

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/switchboardhq/switchboard"
)

// HandleHook answers the GET subscription handshake with the channel's
// verify_token, and verifies every other request as a notification signed
// with its app_secret before parse reads the body.
func HandleHook(platform string, ch *switchboard.Channel, req *switchboard.HookRequest, parse func(body []byte) (*switchboard.HookResult, error)) (*switchboard.HookResult, error) {
	if req.Method == http.MethodGet {
		resp, err := Challenge(platform, ch.Setting("verify_token"), query(req))
		if err != nil {
			return nil, err
		}
		return &switchboard.HookResult{Response: resp}, nil
	}
	if err := Verify(platform, ch.Setting("app_secret"), req.Header.Get(HeaderSignature), req.Body); err != nil {
		return nil, err
	}
	return parse(req.Body)
}

// query is the request's query string: req.Query, else the one in req.URL.
func query(req *switchboard.HookRequest) url.Values {
	if req.Query != nil {
		return req.Query
	}
	if u, err := url.Parse(req.URL); err == nil {
		return u.Query()
	}
	return url.Values{}
}

// notification is the body of every webhook POST.
type notification struct {
	Object string          `json:"object"`
	Entry  json.RawMessage `json:"entry"` // read only for the expected object
}

// Entries reads a notification, {"object": …, "entry": […]}, and decodes
// its entries into entries when it is for object; a notification for
// another object, or without entries, leaves entries as they are. A body
// that is no notification, or names no object, is invalid.
func Entries(body []byte, object string, entries any) error {
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return switchboard.JSONError(err, "")
	}
	if n.Object == "" {
		return switchboard.Invalid("object", "is required")
	}
	if n.Object != object || len(n.Entry) == 0 {
		return nil
	}
	if err := json.Unmarshal(n.Entry, entries); err != nil {
		return switchboard.JSONError(err, "entry")
	}
	return nil
}
