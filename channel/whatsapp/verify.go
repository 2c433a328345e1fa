package whatsapp

import (
	"net/url"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/meta"
)

// HeaderSignature carries the body's HMAC-SHA256 on every notification.
const HeaderSignature = meta.HeaderSignature

// Signature returns the X-Hub-Signature-256 value Meta sends for body.
func Signature(appSecret string, body []byte) string { return meta.Signature(appSecret, body) }

// Verify checks an X-Hub-Signature-256 header against the app secret.
// Every failure is an unauthorized *switchboard.Error.
func Verify(appSecret, header string, body []byte) error {
	return meta.Verify("whatsapp", appSecret, header, body)
}

// Challenge answers the subscription handshake (see meta.Challenge).
func Challenge(verifyToken string, q url.Values) (*switchboard.HookResponse, error) {
	return meta.Challenge("whatsapp", verifyToken, q)
}
