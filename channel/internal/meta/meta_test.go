package meta

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

const verifyToken = "a-verify-token"

type vector struct {
	AppSecret string `json:"app_secret"`
	Body      string `json:"body"`
	Signature string `json:"signature"`
}

func loadVector(t testing.TB) vector {
	var v vector
	if err := json.Unmarshal(channeltest.ReadFile(t, "testdata/signature_vector.json"), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerify(t *testing.T) {
	v := loadVector(t)
	if got := Signature(v.AppSecret, []byte(v.Body)); got != v.Signature {
		t.Fatalf("Signature = %s, want %s", got, v.Signature)
	}
	channeltest.WantCode(t, Verify("whatsapp", v.AppSecret, v.Signature, []byte(v.Body)), "")
	for _, bad := range []string{"", "sha256=", "sha1=" + strings.Repeat("0", 40), "sha256=" + strings.Repeat("0", 64)} {
		err := Verify("messenger", v.AppSecret, bad, []byte(v.Body))
		channeltest.WantCode(t, err, switchboard.EUnauthorized)
		if !strings.HasPrefix(err.Error(), "unauthorized: messenger: ") {
			t.Fatalf("the error must name the platform: %v", err)
		}
	}
	channeltest.WantCode(t, Verify("whatsapp", "", v.Signature, []byte(v.Body)), switchboard.EUnauthorized)
}

func TestChallenge(t *testing.T) {
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {"1158201444"}}
	res, err := Challenge("whatsapp", verifyToken, q)
	if err != nil || string(res.Body) != "1158201444" || res.Status != 200 {
		t.Fatalf("Challenge = %+v, %v", res, err)
	}
	q.Set("hub.verify_token", "nope")
	_, err = Challenge("whatsapp", verifyToken, q)
	channeltest.WantCode(t, err, switchboard.EForbidden)
	q.Del("hub.challenge")
	_, err = Challenge("whatsapp", verifyToken, q)
	channeltest.WantField(t, err, "hub.challenge")
}

// FuzzVerify feeds arbitrary signature headers. Verify must never panic and
// must accept only the exact signature of the body.
func FuzzVerify(f *testing.F) {
	v := loadVector(f)
	f.Add(v.Signature, []byte(v.Body))
	f.Add("sha256=", []byte(v.Body))
	f.Add("sha256="+strings.Repeat("0", 64), []byte{})
	f.Add("sha1=757107ea0eb2509fc211221cce984b8a37570b6d", []byte(v.Body))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := Verify("whatsapp", v.AppSecret, header, body)
		if err == nil {
			if !strings.EqualFold(header, Signature(v.AppSecret, body)) {
				t.Fatalf("accepted %q", header)
			}
			return
		}
		if code := switchboard.ErrorCode(err); code != switchboard.EUnauthorized {
			t.Fatalf("error %v has code %q", err, code)
		}
	})
}

// FuzzChallenge feeds arbitrary query strings to the subscription
// handshake. Only the right token with mode subscribe and a challenge is
// answered, with the challenge.
func FuzzChallenge(f *testing.F) {
	f.Add("hub.mode=subscribe&hub.verify_token=" + verifyToken + "&hub.challenge=1158201444")
	f.Add("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
	f.Add("hub.mode=unsubscribe&hub.verify_token=" + verifyToken + "&hub.challenge=1")
	f.Add("hub.challenge=%00&hub.mode=subscribe&hub.mode=x&hub.verify_token=" + verifyToken)
	f.Fuzz(func(t *testing.T, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery)
		res, err := Challenge("messenger", verifyToken, q)
		if err != nil {
			code := switchboard.ErrorCode(err)
			if code != switchboard.EInvalid && code != switchboard.EForbidden {
				t.Fatalf("error %v has code %q", err, code)
			}
			if code == switchboard.EForbidden && q.Get("hub.verify_token") == verifyToken {
				t.Fatalf("right token refused: %v", err)
			}
			return
		}
		if q.Get("hub.verify_token") != verifyToken || q.Get("hub.mode") != "subscribe" || string(res.Body) != q.Get("hub.challenge") {
			t.Fatalf("answered %q to %q", res.Body, rawQuery)
		}
	})
}
