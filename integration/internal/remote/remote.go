// Package remote holds what every integration provider needs to call its
// system: a request whose answer is read within bounds and classified as
// the seam says (switchboard.ActionError), and network errors that never
// carry the request URL (some systems put credentials in it).
package remote

import (
	"errors"
	"io"
	"net/http"
	"net/url"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/egress"
)

// MaxResponse bounds how much of an answer is read.
const MaxResponse = 1 << 20

// Do sends req with client, reads at most MaxResponse bytes of the answer
// and closes it. A 2xx answer is returned with its body; anything else is
// an *sb.ActionError named by name ("hubspot: batch upsert"): a network
// error or a 5xx/429/408 is retryable, a 401/403 refuses the credentials,
// a redirect (never followed) and other statuses are permanent.
func Do(client *http.Client, name string, req *http.Request) (*http.Response, []byte, *sb.ActionError) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, NetworkError(name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	if err != nil {
		return nil, nil, NetworkError(name, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := name + ": the system answered " + http.StatusText(resp.StatusCode)
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			msg = name + ": the system answered with a redirect, which is not followed"
		}
		return resp, body, sb.StatusActionError(msg, resp.StatusCode, resp.Header, body)
	}
	return resp, body, nil
}

// NetworkError is a failed request, named, without the request URL. It is
// retryable unless the address policy refused the destination
// (egress.ErrBlocked): that stays refused until the api_base_url or the
// policy changes.
func NetworkError(name string, err error) *sb.ActionError {
	blocked := errors.Is(err, egress.ErrBlocked)
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return &sb.ActionError{Retryable: !blocked, Message: name + ": " + err.Error()}
}
