// Package meta holds what Meta's platforms (WhatsApp Cloud API,
// Messenger) share. Webhooks: the GET subscription handshake with
// hub.verify_token, the X-Hub-Signature-256 HMAC of every notification's
// body under the app secret, and the notification envelope {"object",
// "entry"}. Sends: calls to the Graph API and the classification of its
// error objects, retryable or final. Errors name the platform they are for.
package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboardhq/switchboard"
)

// HeaderSignature carries the body's HMAC-SHA256 on every notification.
const HeaderSignature = "X-Hub-Signature-256"

// Subscription handshake parameters.
const (
	paramMode      = "hub.mode"
	paramToken     = "hub.verify_token"
	paramChallenge = "hub.challenge"
)

// Signature returns the X-Hub-Signature-256 value Meta sends for body.
func Signature(appSecret string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(appSecret, body))
}

// Verify checks an X-Hub-Signature-256 header against the app secret.
// Every failure is an unauthorized *switchboard.Error.
func Verify(platform, appSecret, header string, body []byte) error {
	if appSecret == "" {
		return unauthorized(platform, "the channel has no app_secret")
	}
	if header == "" {
		return unauthorized(platform, "missing "+HeaderSignature)
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(got) != sha256.Size {
		return unauthorized(platform, HeaderSignature+" is not sha256= followed by 64 hex digits")
	}
	if !hmac.Equal(got, mac(appSecret, body)) {
		return unauthorized(platform, HeaderSignature+" does not match the body")
	}
	return nil
}

// Challenge answers the subscription handshake: the hub.challenge as
// text/plain when hub.verify_token equals verifyToken. Missing parameters
// and a mode other than "subscribe" are invalid_request; a wrong token, or
// no verifyToken at all, is forbidden.
func Challenge(platform, verifyToken string, q url.Values) (*switchboard.HookResponse, error) {
	for _, p := range []string{paramMode, paramToken, paramChallenge} {
		if q.Get(p) == "" {
			return nil, switchboard.Invalid(p, "is required")
		}
	}
	if q.Get(paramMode) != "subscribe" {
		return nil, switchboard.Invalid(paramMode, "must be subscribe")
	}
	if verifyToken == "" {
		return nil, switchboard.Errorf(switchboard.EForbidden, "%s: the channel has no verify_token", platform)
	}
	if subtle.ConstantTimeCompare([]byte(verifyToken), []byte(q.Get(paramToken))) != 1 {
		return nil, switchboard.Errorf(switchboard.EForbidden, "%s: %s does not match the channel's verify_token", platform, paramToken)
	}
	return &switchboard.HookResponse{
		Status:      http.StatusOK,
		ContentType: "text/plain; charset=utf-8",
		Body:        []byte(q.Get(paramChallenge)),
	}, nil
}

func mac(secret string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(body)
	return h.Sum(nil)
}

func unauthorized(platform, msg string) error {
	return switchboard.Errorf(switchboard.EUnauthorized, "%s: %s", platform, msg)
}
