package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// RandomToken returns 32 random bytes in base64url: the value of a session
// cookie, a CSRF token, a setup link or a client secret.
func RandomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ClientSecretPrefix starts every OAuth client secret.
const ClientSecretPrefix = "sbcs_"

// NewClientSecret returns a new OAuth client secret and its hash. The
// secret has 256 random bits, so a single SHA-256 stores it safely (as for
// API keys) and keeps the token endpoint fast; a slow password hash adds
// nothing against guessing a value this long.
func NewClientSecret() (secret string, hash []byte) {
	secret = ClientSecretPrefix + RandomToken()
	sum := sha256.Sum256([]byte(secret))
	return secret, sum[:]
}
