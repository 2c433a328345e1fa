package webchat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard"
)

// FuzzParseClientFrame feeds arbitrary frames to the parser. It must never
// panic, and a frame it accepts must be a ping or a message whose id and
// text keep the limits.
func FuzzParseClientFrame(f *testing.F) {
	files, _ := filepath.Glob("testdata/frames/*.json")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Add([]byte(`{"type":"message","id":"a","text":"x\u0000"}`))
	f.Add([]byte(`{"type":"message","id":"a","text":"` + strings.Repeat("é", MaxTextLen+1) + `"}`))
	f.Add([]byte(`{"type":"message","id":"a","text":"x"} {}`))
	f.Add([]byte("\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := parseClientFrame(data)
		if err != nil {
			fe, ok := err.(*frameErr)
			if !ok || fe.Code == "" || fe.Message == "" {
				t.Fatalf("error %#v is not a frame error", err)
			}
			return
		}
		switch fr.Type {
		case framePing:
		case frameMessage:
			n := utf8.RuneCountInString(fr.Text)
			if !validClientID(fr.ID) || n == 0 || n > MaxTextLen || strings.ContainsRune(fr.Text, 0) ||
				fr.Text != strings.TrimSpace(fr.Text) || !utf8.ValidString(fr.Text) {
				t.Fatalf("accepted %+v", fr)
			}
		default:
			t.Fatalf("accepted type %q", fr.Type)
		}
	})
}

// FuzzVerifyToken feeds arbitrary tokens and origins. Nothing but the
// token issued for the session verifies, and only from its origin.
func FuzzVerifyToken(f *testing.F) {
	s := testSession()
	good := issue(f, s)
	f.Add(good, s.Origin)
	f.Add(good, "https://evil.example.com")
	f.Add(good[:len(good)-1]+"B", s.Origin)
	f.Add("wct1..", s.Origin)
	f.Add("wct1.e30.", s.Origin)
	f.Fuzz(func(t *testing.T, token, origin string) {
		got, err := VerifyToken(testSecret, token, s.ChannelID, origin, testNow, DefaultTokenMaxAge)
		if err != nil {
			if switchboard.ErrorCode(err) != switchboard.EUnauthorized || got != nil {
				t.Fatalf("error %v (session %+v)", err, got)
			}
			return
		}
		if origin != s.Origin || *got != s {
			t.Fatalf("token %q verified from %q as %+v", token, origin, got)
		}
		// Strict base64: no other spelling of the same bytes.
		if token != good {
			t.Fatalf("a token other than the issued one verified: %q", token)
		}
	})
}
