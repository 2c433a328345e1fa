package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

// Header names of Slack's request signing.
const (
	HeaderSignature = "X-Slack-Signature"
	HeaderTimestamp = "X-Slack-Request-Timestamp"
)

// Tolerance is how far a request timestamp may be from its arrival.
const Tolerance = 5 * time.Minute

// Signature returns the X-Slack-Signature value for a request body sent
// at timestamp (unix seconds, as written in the header).
func Signature(signingSecret, timestamp string, body []byte) string {
	return "v0=" + hex.EncodeToString(mac(signingSecret, timestamp, body))
}

// Verify checks a request's signature and timestamp against the signing
// secret. Every failure is an unauthorized *switchboard.Error.
func Verify(signingSecret string, h http.Header, body []byte, now time.Time) error {
	if signingSecret == "" {
		return unauthorized("the channel has no signing_secret")
	}
	ts, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if ts == "" || sig == "" {
		return unauthorized("missing " + HeaderTimestamp + " or " + HeaderSignature)
	}
	if err := checkTimestamp(ts, now); err != nil {
		return err
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil {
		return unauthorized(HeaderSignature + " is not v0= followed by hex")
	}
	if !hmac.Equal(got, mac(signingSecret, ts, body)) {
		return unauthorized(HeaderSignature + " does not match")
	}
	return nil
}

// checkTimestamp refuses timestamps outside the tolerance, in the past or
// in the future.
func checkTimestamp(ts string, now time.Time) error {
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return unauthorized(HeaderTimestamp + " is not unix seconds")
	}
	if d := now.Sub(time.Unix(secs, 0)); d > Tolerance || d < -Tolerance {
		return unauthorized(HeaderTimestamp + " is more than 5 minutes from now")
	}
	return nil
}

func mac(secret, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte("v0:" + timestamp + ":"))
	h.Write(body)
	return h.Sum(nil)
}

func unauthorized(msg string) error {
	return switchboard.Errorf(switchboard.EUnauthorized, "slack: %s", msg)
}
