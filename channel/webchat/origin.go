package webchat

import (
	"net"
	"net/url"
	"strings"

	"github.com/switchboardhq/switchboard"
)

// NormalizeOrigin returns an origin as "scheme://host[:port]": scheme and
// host in lower case, the default port dropped, no path. It answers "" for
// anything that is not an http or https origin (including the "null" origin
// of sandboxed frames and file: pages).
func NormalizeOrigin(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), "/")
	if s == "" || len(s) > 2048 {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return ""
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" || strings.ContainsAny(host, "*/\\ ") {
		return ""
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		return scheme + "://" + net.JoinHostPort(host, port)
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + host + "]"
	}
	return scheme + "://" + host
}

// AllowedOrigins returns the channel's allowed_origins setting.
func AllowedOrigins(ch *switchboard.Channel) []string {
	switch v := ch.Config["allowed_origins"].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// OriginAllowed reports whether a normalized origin matches one of the
// patterns of allowed_origins:
//
//	https://example.com        exactly that origin (default ports may be written or not)
//	https://*.example.com      any subdomain of example.com, over https (not example.com itself)
//	*                          any http or https origin (for development)
//
// An empty list allows nothing: a web chat channel answers no page until
// its sites are listed.
func OriginAllowed(origin string, patterns []string) bool {
	if origin == "" {
		return false
	}
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if p == "*" {
			return true
		}
		if scheme, rest, ok := strings.Cut(p, "://*."); ok {
			suffix := NormalizeOrigin(scheme + "://" + rest)
			if suffix == "" {
				continue
			}
			s, host, _ := strings.Cut(suffix, "://")
			if os, ohost, _ := strings.Cut(origin, "://"); os == s && strings.HasSuffix(ohost, "."+host) {
				return true
			}
			continue
		}
		if NormalizeOrigin(p) == origin {
			return true
		}
	}
	return false
}
