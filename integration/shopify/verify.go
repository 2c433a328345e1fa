package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// The headers Shopify sends with every webhook.
const (
	HeaderHmac       = "X-Shopify-Hmac-Sha256"
	HeaderTopic      = "X-Shopify-Topic"
	HeaderWebhookID  = "X-Shopify-Webhook-Id"
	HeaderShopDomain = "X-Shopify-Shop-Domain"
	HeaderAPIVersion = "X-Shopify-API-Version"
	HeaderTriggered  = "X-Shopify-Triggered-At"
	HeaderEventID    = "X-Shopify-Event-Id"
)

// Sign returns what Shopify puts in X-Shopify-Hmac-Sha256 for body: the
// base64 of its HMAC-SHA256 keyed with the webhook secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks a webhook's X-Shopify-Hmac-Sha256 against the raw body, in
// constant time. A missing secret, a missing or undecodable header and a
// wrong signature are all unauthorized: nothing of such a request is kept.
func Verify(secret string, header http.Header, body []byte) error {
	if secret == "" {
		return sb.Errorf(sb.EUnauthorized, "the integration has no webhook_secret")
	}
	got := strings.TrimSpace(header.Get(HeaderHmac))
	if got == "" {
		return sb.Errorf(sb.EUnauthorized, "missing %s header", HeaderHmac)
	}
	sig, err := base64.StdEncoding.DecodeString(got)
	if err != nil {
		return sb.Errorf(sb.EUnauthorized, "%s is not base64", HeaderHmac)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return sb.Errorf(sb.EUnauthorized, "wrong %s header", HeaderHmac)
	}
	return nil
}
