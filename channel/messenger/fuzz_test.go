package messenger

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

// FuzzHandleHook feeds arbitrary bodies, correctly signed, to the parser. It
// must never panic and must answer complete messages and statuses or an
// invalid_request error.
func FuzzHandleHook(f *testing.F) {
	files, _ := filepath.Glob("testdata/events/*.json")
	for _, file := range files {
		f.Add(channeltest.ReadFile(f, file))
	}
	f.Add([]byte(`{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"timestamp":1,"reaction":{"action":"unreact"}},{"sender":{"id":"1"},"message":{"mid":"m","attachments":[{"type":"image","payload":{"sticker_id":"x"}}]}}]}]}`))
	a := New(nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := a.HandleHook(context.Background(), testChannel(""), signed(body))
		if err != nil {
			if code := switchboard.ErrorCode(err); code != switchboard.EInvalid {
				t.Fatalf("error %v has code %q", err, code)
			}
			return
		}
		for _, m := range res.Messages {
			if m.ExternalID == "" || m.Kind == "" || m.Contact.ExternalID == "" || len(m.Raw) == 0 {
				t.Fatalf("incomplete message %+v", m)
			}
		}
		for _, s := range res.Statuses {
			if s.ExternalID == "" || (s.Status != switchboard.MessageDelivered && s.Status != switchboard.MessageRead && s.Status != switchboard.MessageFailed) {
				t.Fatalf("bad status %+v", s)
			}
		}
	})
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
		err := Verify(v.AppSecret, header, body)
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
	f.Add("hub.mode=subscribe&hub.verify_token=" + testVerifyToken + "&hub.challenge=CHALLENGE_ACCEPTED")
	f.Add("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
	f.Add("hub.mode=unsubscribe&hub.verify_token=" + testVerifyToken + "&hub.challenge=1")
	f.Add("hub.challenge=%00&hub.mode=subscribe&hub.mode=x&hub.verify_token=" + testVerifyToken)
	a := New(nil)
	f.Fuzz(func(t *testing.T, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery)
		req := &switchboard.HookRequest{Method: http.MethodGet, Header: http.Header{}, Query: q}
		res, err := a.HandleHook(context.Background(), testChannel(""), req)
		if err != nil {
			if code := switchboard.ErrorCode(err); code != switchboard.EInvalid && code != switchboard.EForbidden {
				t.Fatalf("error %v has code %q", err, code)
			}
			if code := switchboard.ErrorCode(err); code == switchboard.EForbidden && q.Get("hub.verify_token") == testVerifyToken {
				t.Fatalf("right token refused: %v", err)
			}
			return
		}
		if q.Get("hub.verify_token") != testVerifyToken || q.Get("hub.mode") != "subscribe" || string(res.Response.Body) != q.Get("hub.challenge") {
			t.Fatalf("answered %q to %q", res.Response.Body, rawQuery)
		}
	})
}
