package slack

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

// FuzzHandleHook feeds arbitrary bodies, correctly signed, to the parser. It
// must never panic and must answer messages or an invalid_request error.
func FuzzHandleHook(f *testing.F) {
	files, _ := filepath.Glob("testdata/events/*.json")
	for _, file := range files {
		f.Add(channeltest.ReadFile(f, file))
	}
	f.Add([]byte(`{"type":"event_callback","event_id":"E","event":{"type":"app_mention","user":"U","channel":"C","text":"<@U>"},"authorizations":[{"user_id":"U","is_bot":true}]}`))
	a := New(nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := a.HandleHook(context.Background(), testChannel(""), signed(body, testNow))
		if err != nil {
			if code := switchboard.ErrorCode(err); code != switchboard.EInvalid {
				t.Fatalf("error %v has code %q", err, code)
			}
			return
		}
		for _, m := range res.Messages {
			if m.ExternalID == "" || m.Contact.ExternalID == "" || m.Thread == "" {
				t.Fatalf("incomplete message %+v", m)
			}
		}
	})
}

// FuzzVerify feeds arbitrary headers. Verify must never panic and must
// accept only the exact signature of a timestamp inside the window.
func FuzzVerify(f *testing.F) {
	v := loadVector(f)
	f.Add(v.Timestamp, v.Signature, []byte(v.Body))
	f.Add(v.Timestamp, "v0=", []byte(v.Body))
	f.Add("-9223372036854775808", v.Signature, []byte{})
	f.Add("99999999999999999999", "v0=00", []byte("{}"))
	now := v.time(0)
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		err := Verify(v.SigningSecret, h, body, now)
		if err == nil {
			if !strings.EqualFold(sig, Signature(v.SigningSecret, ts, body)) {
				t.Fatalf("accepted %q %q", ts, sig)
			}
			return
		}
		if code := switchboard.ErrorCode(err); code != switchboard.EUnauthorized {
			t.Fatalf("error %v has code %q", err, code)
		}
	})
}
