package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"

	"github.com/switchboardhq/switchboard"
)

// HeaderSignature carries Twilio's request signature.
const HeaderSignature = "X-Twilio-Signature"

// Signature returns the X-Twilio-Signature of a request to fullURL with
// the POST parameters params (nil for a GET): base64 HMAC-SHA1 of the URL
// followed by each parameter name and value, names sorted, each name's
// distinct values sorted.
func Signature(authToken, fullURL string, params url.Values) string {
	h := hmac.New(sha1.New, []byte(authToken))
	h.Write([]byte(fullURL))
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		values := slices.Clone(params[name])
		slices.Sort(values)
		for _, v := range slices.Compact(values) {
			h.Write([]byte(name))
			h.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// Verify checks an X-Twilio-Signature against the auth token, for the URL
// as given and with its default port added or removed. Every failure is an
// unauthorized *switchboard.Error.
func Verify(authToken, fullURL, header string, params url.Values) error {
	switch {
	case authToken == "":
		return unauthorized("the channel has no auth_token")
	case header == "":
		return unauthorized("missing " + HeaderSignature)
	case fullURL == "":
		return unauthorized("the request URL is unknown, so its signature cannot be checked")
	}
	ok := 0
	for _, u := range urlVariants(fullURL) {
		ok |= subtle.ConstantTimeCompare([]byte(Signature(authToken, u, params)), []byte(header))
	}
	if ok != 1 {
		return unauthorized(HeaderSignature + " does not match the URL and parameters")
	}
	return nil
}

// urlVariants is fullURL, and fullURL with the scheme's default port added
// (when it has no port) or removed (when it has the default one). The rest
// of the URL is kept byte for byte.
func urlVariants(fullURL string) []string {
	scheme, rest, ok := strings.Cut(fullURL, "://")
	if !ok {
		return []string{fullURL}
	}
	def := map[string]string{"https": "443", "http": "80"}[strings.ToLower(scheme)]
	if def == "" {
		return []string{fullURL}
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, host := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, host = authority[:i+1], authority[i+1:]
	}
	other := host + ":" + def
	if h, port, found := cutPort(host); found {
		if port != def {
			return []string{fullURL}
		}
		other = h
	}
	return []string{fullURL, scheme + "://" + userinfo + other + tail}
}

// cutPort splits "host:port" ("[v6]:port" too); found is false without a
// port.
func cutPort(host string) (h, port string, found bool) {
	i := strings.LastIndex(host, ":")
	if i < 0 || strings.Contains(host[i:], "]") {
		return host, "", false
	}
	return host[:i], host[i+1:], true
}

func unauthorized(msg string) error {
	return switchboard.Errorf(switchboard.EUnauthorized, "twilio: %s", msg)
}
