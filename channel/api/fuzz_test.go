package api

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
	"github.com/switchboardhq/switchboard/webhook/signature"
)

// FuzzHandleHook feeds arbitrary bodies, correctly signed, to the parser. It
// must never panic and must answer one complete message or an
// invalid_request error.
func FuzzHandleHook(f *testing.F) {
	files, _ := filepath.Glob("testdata/inbound/*.json")
	for _, file := range files {
		f.Add(channeltest.ReadFile(f, file))
	}
	f.Add([]byte(`{"message_id":"m","user_id":"u","user":{"name":1}}`))
	a := New(nil, "test")
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := a.HandleHook(context.Background(), testChannel(""), signed(t, body, testNow))
		if err != nil {
			if code := switchboard.ErrorCode(err); code != switchboard.EInvalid {
				t.Fatalf("error %v has code %q", err, code)
			}
			return
		}
		if len(res.Messages) != 1 || res.Messages[0].ExternalID == "" || res.Messages[0].Contact.ExternalID == "" {
			t.Fatalf("result %+v", res)
		}
	})
}

// FuzzHandleHookHeaders feeds arbitrary signature headers: only a correct
// signature may pass.
func FuzzHandleHookHeaders(f *testing.F) {
	body := []byte(`{"message_id":"m-1","user_id":"u-1","text":"hi"}`)
	good := signed(f, body, testNow).Header
	f.Add(good.Get(signature.HeaderID), good.Get(signature.HeaderTimestamp), good.Get(signature.HeaderSignature), body)
	f.Add("x", "1736933400", "v1,AAAA v1,", body)
	f.Add("", "", "", []byte{})
	key := testKey(f)
	a := New(nil, "test")
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(signature.HeaderID, id)
		h.Set(signature.HeaderTimestamp, ts)
		h.Set(signature.HeaderSignature, sig)
		req := &switchboard.HookRequest{Header: h, Body: body, Now: testNow}
		_, err := a.HandleHook(context.Background(), testChannel(""), req)
		if switchboard.ErrorCode(err) == switchboard.EUnauthorized {
			return
		}
		if signature.Verify(key, h, body, testNow, signature.DefaultTolerance) != nil {
			t.Fatalf("accepted an unverifiable request: %v", err)
		}
	})
}
