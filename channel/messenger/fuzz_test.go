package messenger

import (
	"context"
	"path/filepath"
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
