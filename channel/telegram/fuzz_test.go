package telegram

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

// FuzzHandleHook feeds arbitrary secret headers and bodies. It must never
// panic; a wrong header is always unauthorized; a right one yields either
// messages with an external id or an invalid_request error.
func FuzzHandleHook(f *testing.F) {
	files, _ := filepath.Glob("testdata/updates/*.json")
	for _, file := range files {
		f.Add(testSecret, channeltest.ReadFile(f, file))
	}
	f.Add("wrong", []byte(`{"update_id":1,"message":{"chat":{"id":1},"text":"x"}}`))
	f.Add(testSecret, []byte(`{"update_id":1,"callback_query":{"from":{"id":2}}}`))
	a := New(nil)
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		res, err := a.HandleHook(context.Background(), testChannel(""), hook(header, body))
		code := switchboard.ErrorCode(err)
		switch {
		case header != testSecret && code != switchboard.EUnauthorized:
			t.Fatalf("header %q accepted: %v", header, err)
		case header != testSecret:
		case err != nil && code != switchboard.EInvalid:
			t.Fatalf("error %v has code %q", err, code)
		case err == nil:
			for _, m := range res.Messages {
				if m.ExternalID == "" || m.Kind == "" || m.Contact.ExternalID == "" {
					t.Fatalf("incomplete message %+v", m)
				}
			}
		}
	})
}
