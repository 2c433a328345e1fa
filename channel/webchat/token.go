package webchat

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

// tokenPrefix names the token format; a new format gets a new prefix.
const tokenPrefix = "wct1"

// maxTokenLen bounds what is parsed: a real token is about 250 bytes.
const maxTokenLen = 1024

// DefaultTokenMaxAge is how long a session token is valid after it was
// issued. Every connection is handed a fresh token for the same visitor, so
// only a visitor who stays away longer than this starts over.
const DefaultTokenMaxAge = 90 * 24 * time.Hour

// futureSkew is how far in the future an issue time may be (clock skew
// between servers).
const futureSkew = 5 * time.Minute

// Session is what a token binds: a visitor of a channel, on a page origin.
type Session struct {
	ChannelID string
	Origin    string // normalized, as NormalizeOrigin returns it
	Visitor   string // the contact's external id, "wc_…"
	IssuedAt  time.Time
}

// claims is the signed payload, JSON with short keys.
type claims struct {
	Channel string `json:"ch"`
	Origin  string `json:"org"`
	Visitor string `json:"vis"`
	Issued  int64  `json:"iat"`
}

var b64 = base64.RawURLEncoding

// IssueToken signs s with the channel's session secret:
// "wct1." + base64url(JSON claims) + "." + base64url(HMAC-SHA256).
func IssueToken(secret string, s Session) (string, error) {
	if secret == "" {
		return "", errNoSecret
	}
	payload, err := json.Marshal(claims{Channel: s.ChannelID, Origin: s.Origin, Visitor: s.Visitor, Issued: s.IssuedAt.Unix()})
	if err != nil {
		return "", err
	}
	signed := tokenPrefix + "." + b64.EncodeToString(payload)
	return signed + "." + b64.EncodeToString(mac(secret, signed)), nil
}

var errNoSecret = switchboard.Errorf(switchboard.EUnauthorized, "webchat: the channel has no session_secret")

func mac(secret, signed string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(signed))
	return h.Sum(nil)
}

// VerifyToken checks a token against the channel's session secret, the
// channel id and the origin of the page using it (normalized), and returns
// its session. Every failure is unauthorized, with a reason for logs; the
// signature is checked before anything in the payload is believed.
func VerifyToken(secret, token, channelID, origin string, now time.Time, maxAge time.Duration) (*Session, error) {
	if secret == "" {
		return nil, errNoSecret
	}
	if token == "" {
		return nil, unauthorized("no session token")
	}
	if len(token) > maxTokenLen {
		return nil, unauthorized("the session token is too long")
	}
	prefix, rest, ok := strings.Cut(token, ".")
	if !ok || prefix != tokenPrefix {
		return nil, unauthorized("not a session token")
	}
	payload64, sig64, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, unauthorized("not a session token")
	}
	sig, err := b64.Strict().DecodeString(sig64)
	if err != nil || !hmac.Equal(sig, mac(secret, tokenPrefix+"."+payload64)) {
		return nil, unauthorized("the session token's signature does not match")
	}
	payload, err := b64.Strict().DecodeString(payload64)
	if err != nil {
		return nil, unauthorized("the session token is malformed")
	}
	var c claims
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return nil, unauthorized("the session token is malformed")
	}
	issued := time.Unix(c.Issued, 0)
	switch {
	case c.Channel != channelID:
		return nil, unauthorized("the session token belongs to another channel")
	case origin == "" || c.Origin != origin:
		return nil, unauthorized("the session token was issued to another origin")
	case !ValidVisitorID(c.Visitor):
		return nil, unauthorized("the session token names no visitor")
	case issued.After(now.Add(futureSkew)):
		return nil, unauthorized("the session token was issued in the future")
	case maxAge > 0 && now.Sub(issued) > maxAge:
		return nil, unauthorized("the session token has expired")
	}
	return &Session{ChannelID: c.Channel, Origin: c.Origin, Visitor: c.Visitor, IssuedAt: issued}, nil
}

func unauthorized(reason string) error {
	return switchboard.Errorf(switchboard.EUnauthorized, "webchat: %s", reason)
}

// visitorPrefix starts every visitor id.
const visitorPrefix = "wc_"

// NewVisitorID returns a random visitor id: "wc_" and 22 base64url
// characters (128 bits).
func NewVisitorID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return visitorPrefix + b64.EncodeToString(b[:])
}

// ValidVisitorID reports whether id has the shape NewVisitorID gives.
func ValidVisitorID(id string) bool {
	if len(id) != len(visitorPrefix)+22 || !strings.HasPrefix(id, visitorPrefix) {
		return false
	}
	for _, r := range id[len(visitorPrefix):] {
		if !isBase64URL(r) {
			return false
		}
	}
	return true
}

func isBase64URL(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}
