package messenger

import (
	"context"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

// FuzzHandleHook feeds arbitrary bodies, correctly signed, to the parser
// (see channeltest.FuzzHook).
func FuzzHandleHook(f *testing.F) {
	a := New(nil)
	channeltest.FuzzHook(f, "testdata/events/*.json", func(body []byte) (*switchboard.HookResult, error) {
		return a.HandleHook(context.Background(), testChannel(""), signed(body))
	}, `{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"timestamp":1,"reaction":{"action":"unreact"}},{"sender":{"id":"1"},"message":{"mid":"m","attachments":[{"type":"image","payload":{"sticker_id":"x"}}]}}]}]}`)
}
