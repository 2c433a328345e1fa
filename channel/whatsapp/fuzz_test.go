package whatsapp

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
	channeltest.FuzzHook(f, "testdata/notifications/*.json", func(body []byte) (*switchboard.HookResult, error) {
		return a.HandleHook(context.Background(), testChannel(""), signed(body))
	}, `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"id":"w","from_user_id":"US.1","type":"interactive","interactive":{}}]}}]}]}`)
}
