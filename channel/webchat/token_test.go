package webchat

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

const testSecret = "test-session-secret-0123456789abcdef"

var testNow = time.Unix(1736933400, 0)

func testSession() Session {
	return Session{ChannelID: "ch_01JHX0000000000000000000AA", Origin: "https://shop.example.com",
		Visitor: "wc_AAAAAAAAAAAAAAAAAAAAAA", IssuedAt: testNow}
}

func issue(t testing.TB, s Session) string {
	t.Helper()
	tok, err := IssueToken(testSecret, s)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := switchboard.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func TestTokenRoundTrip(t *testing.T) {
	s := testSession()
	tok := issue(t, s)
	if !strings.HasPrefix(tok, "wct1.") || strings.Count(tok, ".") != 2 {
		t.Fatalf("token %q does not have the wct1.<payload>.<mac> shape", tok)
	}
	got, err := VerifyToken(testSecret, tok, s.ChannelID, s.Origin, testNow.Add(time.Hour), DefaultTokenMaxAge)
	if err != nil {
		t.Fatal(err)
	}
	if *got != s {
		t.Fatalf("session = %+v, want %+v", *got, s)
	}
}

func TestTokenRefused(t *testing.T) {
	s := testSession()
	tok := issue(t, s)
	payload := strings.Split(tok, ".")[1]
	mac := strings.Split(tok, ".")[2]
	forge := func(json string) string { // a payload signed with the wrong key
		p := base64.RawURLEncoding.EncodeToString([]byte(json))
		return "wct1." + p + "." + mac
	}
	other := s
	other.Visitor = "wc_BBBBBBBBBBBBBBBBBBBBBB"
	otherTok := strings.Split(issue(t, other), ".")
	flipped := []byte(mac)
	flipped[3] ^= 1
	tests := []struct {
		name    string
		secret  string
		token   string
		channel string
		origin  string
		now     time.Time
	}{
		{"wrong origin", testSecret, tok, s.ChannelID, "https://evil.example.com", testNow},
		{"same host other scheme", testSecret, tok, s.ChannelID, "http://shop.example.com", testNow},
		{"same host other port", testSecret, tok, s.ChannelID, "https://shop.example.com:8443", testNow},
		{"no origin", testSecret, tok, s.ChannelID, "", testNow},
		{"other channel", testSecret, tok, "ch_01JHX0000000000000000000BB", s.Origin, testNow},
		{"other secret", "another secret", tok, s.ChannelID, s.Origin, testNow},
		{"no secret", "", tok, s.ChannelID, s.Origin, testNow},
		{"tampered payload", testSecret, forge(`{"ch":"` + s.ChannelID + `","org":"https://evil.example.com","vis":"wc_AAAAAAAAAAAAAAAAAAAAAA","iat":1736933400}`), s.ChannelID, "https://evil.example.com", testNow},
		{"payload of another token", testSecret, "wct1." + otherTok[1] + "." + mac, s.ChannelID, s.Origin, testNow},
		{"flipped signature bit", testSecret, "wct1." + payload + "." + string(flipped), s.ChannelID, s.Origin, testNow},
		{"truncated signature", testSecret, "wct1." + payload + "." + mac[:20], s.ChannelID, s.Origin, testNow},
		{"no signature", testSecret, "wct1." + payload, s.ChannelID, s.Origin, testNow},
		{"other version", testSecret, "wct2." + payload + "." + mac, s.ChannelID, s.Origin, testNow},
		{"empty", testSecret, "", s.ChannelID, s.Origin, testNow},
		{"garbage", testSecret, "not a token", s.ChannelID, s.Origin, testNow},
		{"too long", testSecret, tok + strings.Repeat("A", 2000), s.ChannelID, s.Origin, testNow},
		{"expired", testSecret, tok, s.ChannelID, s.Origin, testNow.Add(DefaultTokenMaxAge + time.Second)},
		{"issued in the future", testSecret, tok, s.ChannelID, s.Origin, testNow.Add(-10 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyToken(tt.secret, tt.token, tt.channel, tt.origin, tt.now, DefaultTokenMaxAge)
			wantCode(t, err, switchboard.EUnauthorized)
			if got != nil {
				t.Fatalf("session %+v with an error", got)
			}
		})
	}
}

// TestTokenSignedPayloadChecks signs bad payloads with the right key: the
// checks after the signature still refuse them.
func TestTokenSignedPayloadChecks(t *testing.T) {
	sign := func(json string) string {
		p := "wct1." + base64.RawURLEncoding.EncodeToString([]byte(json))
		return p + "." + base64.RawURLEncoding.EncodeToString(mac(testSecret, p))
	}
	s := testSession()
	for name, payload := range map[string]string{
		"not JSON":        `ch=1`,
		"unknown field":   `{"ch":"` + s.ChannelID + `","org":"` + s.Origin + `","vis":"` + s.Visitor + `","iat":1736933400,"admin":true}`,
		"trailing data":   `{"ch":"` + s.ChannelID + `","org":"` + s.Origin + `","vis":"` + s.Visitor + `","iat":1736933400} {}`,
		"bad visitor":     `{"ch":"` + s.ChannelID + `","org":"` + s.Origin + `","vis":"user-42","iat":1736933400}`,
		"iat a string":    `{"ch":"` + s.ChannelID + `","org":"` + s.Origin + `","vis":"` + s.Visitor + `","iat":"now"}`,
		"missing origin":  `{"ch":"` + s.ChannelID + `","vis":"` + s.Visitor + `","iat":1736933400}`,
		"missing channel": `{"org":"` + s.Origin + `","vis":"` + s.Visitor + `","iat":1736933400}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := VerifyToken(testSecret, sign(payload), s.ChannelID, s.Origin, testNow, DefaultTokenMaxAge)
			wantCode(t, err, switchboard.EUnauthorized)
		})
	}
}

func TestVisitorID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := NewVisitorID()
		if !ValidVisitorID(id) || seen[id] {
			t.Fatalf("visitor id %q invalid or repeated", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "wc_", "wc_AAAAAAAAAAAAAAAAAAAAA", "wc_AAAAAAAAAAAAAAAAAAAAAAA", "xx_AAAAAAAAAAAAAAAAAAAAAA", "wc_AAAAAAAAAAAAAAAAAAAAA=", "wc_AAAAAAAAAAAAAAAAAAAA:A"} {
		if ValidVisitorID(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNormalizeOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://shop.example.com":      "https://shop.example.com",
		"https://Shop.Example.COM/":     "https://shop.example.com",
		"HTTPS://shop.example.com:443":  "https://shop.example.com",
		"http://shop.example.com:80":    "http://shop.example.com",
		"http://localhost:3000":         "http://localhost:3000",
		"https://shop.example.com:80":   "https://shop.example.com:80",
		"http://[::1]:8080":             "http://[::1]:8080",
		"http://[::1]":                  "http://[::1]",
		"http://127.0.0.1:41234":        "http://127.0.0.1:41234",
		"null":                          "",
		"":                              "",
		"file://":                       "",
		"ftp://shop.example.com":        "",
		"https://shop.example.com/path": "",
		"https://user@shop.example.com": "",
		"https://shop.example.com?x=1":  "",
		"https://*.example.com":         "",
		"shop.example.com":              "",
		"javascript:alert(1)":           "",
	} {
		if got := NormalizeOrigin(in); got != want {
			t.Errorf("NormalizeOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOriginAllowed(t *testing.T) {
	list := []string{"https://shop.example.com", "http://localhost:3000", "https://*.example.org", "not an origin"}
	for origin, want := range map[string]bool{
		"https://shop.example.com":      true,
		"http://shop.example.com":       false,
		"https://shop.example.com:444":  false,
		"https://evil.example.com":      false,
		"https://shop.example.com.evil": false,
		"http://localhost:3000":         true,
		"http://localhost:3001":         false,
		"https://a.example.org":         true,
		"https://a.b.example.org":       true,
		"https://example.org":           false,
		"http://a.example.org":          false,
		"https://aexample.org":          false,
		"":                              false,
	} {
		if got := OriginAllowed(origin, list); got != want {
			t.Errorf("OriginAllowed(%q) = %v, want %v", origin, got, want)
		}
	}
	if OriginAllowed("https://shop.example.com", nil) {
		t.Error("an empty allowed_origins allowed a site")
	}
	if !OriginAllowed("http://127.0.0.1:1234", []string{"*"}) {
		t.Error("* did not allow an origin")
	}
	if OriginAllowed("", []string{"*"}) {
		t.Error("* allowed a page without an origin")
	}
}

func TestAllowedOriginsConfigShapes(t *testing.T) {
	for _, v := range []any{[]string{"https://a.example"}, []any{"https://a.example", 3}} {
		ch := &switchboard.Channel{Config: map[string]any{"allowed_origins": v}}
		if got := AllowedOrigins(ch); len(got) != 1 || got[0] != "https://a.example" {
			t.Errorf("AllowedOrigins(%#v) = %v", v, got)
		}
	}
	if got := AllowedOrigins(&switchboard.Channel{Config: map[string]any{"allowed_origins": "https://a.example"}}); got != nil {
		t.Errorf("a string setting gave %v", got)
	}
}

func TestIDTime(t *testing.T) {
	id := switchboard.NewID(switchboard.PrefixMessage)
	got, ok := idTime(id, switchboard.PrefixMessage)
	if !ok || time.Since(got) > time.Minute || time.Since(got) < 0 {
		t.Fatalf("idTime(%s) = %v, %v", id, got, ok)
	}
	floor := idFloor(switchboard.PrefixMessage, got)
	if !(floor <= id) || !switchboard.HasPrefix(floor, switchboard.PrefixMessage) {
		t.Fatalf("idFloor = %s, not <= %s", floor, id)
	}
	if f2 := idFloor(switchboard.PrefixMessage, got.Add(time.Millisecond)); !(f2 > id) {
		t.Fatalf("idFloor a millisecond later = %s, not > %s", f2, id)
	}
	for _, bad := range []string{"", "msg_", "ct_01JHX0000000000000000000AA", "msg_01JHX000000000000000000!A", "msg_ZZZZZZZZZZ0000000000000000"} {
		if _, ok := idTime(bad, switchboard.PrefixMessage); ok {
			t.Errorf("idTime(%q) ok", bad)
		}
	}
}
