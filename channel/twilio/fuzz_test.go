package twilio

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/channel/internal/channeltest"
)

// FuzzHandleHook feeds arbitrary form bodies, correctly signed, to the
// parser, and the same bodies with a wrong signature. It must never panic;
// a wrong signature is always unauthorized; a right one yields a complete
// message or status with the TwiML answer, or an invalid_request error.
func FuzzHandleHook(f *testing.F) {
	files, _ := filepath.Glob("testdata/webhooks/*.form")
	for _, file := range files {
		f.Add(channeltest.ReadFile(f, file))
	}
	f.Add([]byte("MessageSid=SM1&From=whatsapp%3A&NumMedia=1&MessageType=location"))
	f.Add([]byte("MessageSid=SM1&MessageStatus=undelivered&MessageSid=SM2"))
	a := New(nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			_, err := a.HandleHook(context.Background(), testChannel(""), post(testHookURL, "x", body))
			if code := switchboard.ErrorCode(err); code != switchboard.EUnauthorized {
				t.Fatalf("unparseable body: error %v has code %q", err, code)
			}
			return
		}
		if _, err := a.HandleHook(context.Background(), testChannel(""), post(testHookURL, Signature("wrong", testHookURL, form), body)); switchboard.ErrorCode(err) != switchboard.EUnauthorized {
			t.Fatalf("wrong signature: %v", err)
		}
		res, err := a.HandleHook(context.Background(), testChannel(""), post(testHookURL, Signature(testAuthToken, testHookURL, form), body))
		if err != nil {
			if code := switchboard.ErrorCode(err); code != switchboard.EInvalid {
				t.Fatalf("error %v has code %q", err, code)
			}
			return
		}
		if res.Response == nil || string(res.Response.Body) != EmptyTwiML || len(res.Messages)+len(res.Statuses) > 1 {
			t.Fatalf("result %+v", res)
		}
		for _, m := range res.Messages {
			if m.ExternalID == "" || m.Kind == "" || m.Contact.ExternalID == "" || len(m.Raw) == 0 {
				t.Fatalf("incomplete message %+v", m)
			}
		}
	})
}

// FuzzVerify feeds arbitrary URLs and signatures. Verify must never panic
// and must accept only a signature computed for the URL or its default-port
// twin.
func FuzzVerify(f *testing.F) {
	v := loadVectors(f)
	f.Add(v.URL, v.Vectors[0].Signature, "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212")
	f.Add("https://a.example:443/h", "", "")
	f.Add("https://[::1:443/h", "AAAA", "a=b&a=c")
	f.Fuzz(func(t *testing.T, rawURL, header, rawForm string) {
		form, _ := url.ParseQuery(rawForm)
		err := Verify(v.AuthToken, rawURL, header, form)
		if err == nil {
			ok := false
			for _, u := range urlVariants(rawURL) {
				ok = ok || header == Signature(v.AuthToken, u, form)
			}
			if !ok {
				t.Fatalf("accepted %q for %q", header, rawURL)
			}
			return
		}
		if code := switchboard.ErrorCode(err); code != switchboard.EUnauthorized {
			t.Fatalf("error %v has code %q", err, code)
		}
	})
}
