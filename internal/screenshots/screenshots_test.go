package main

import (
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/browsertest"
)

// TestScreenshots runs what `make screenshots` runs, on a few pages: the
// binary is built and seeded with the demo (every kind of data the README's
// pictures show), the sign-in page is saved at desktop width and
// the home page on a phone, and a page that does not exist is reported
// and not saved, its path's placeholder filled with the demo's
// conversation.
func TestScreenshots(t *testing.T) {
	browsertest.Require(t)
	out := t.TempDir()
	rep, err := run(config{Out: out, Logf: t.Logf, Pages: []shot{
		{Path: "/signin", File: "signin.png", Viewport: browsertest.Desktop, SignedOut: true},
		{Path: "/", File: "home-phone.png", Viewport: browsertest.Phone},
		{Path: "/no-such-page/{conversation}", File: "nothing.png", Viewport: browsertest.Desktop},
	}})
	if err != nil {
		t.Fatal(err)
	}

	seeded := regexp.MustCompile(`^6 conversations \(.*2 handoff.*\), (\d+) messages; ` +
		`endpoint ep_\w+: \d+ deliveries \(\d+ failed\); endpoint ep_\w+: \d+ deliveries \(\d+ succeeded\); ` +
		`integration int_\w+: \d+ runs \(\d+ succeeded\); \d+ facts$`)
	if !seeded.MatchString(rep.Seeded) {
		t.Errorf("seeded: %s", rep.Seeded)
	}

	want := []string{filepath.Join(out, "signin.png"), filepath.Join(out, "home-phone.png")}
	if strings.Join(rep.Saved, " ") != strings.Join(want, " ") {
		t.Fatalf("saved %v, want %v", rep.Saved, want)
	}
	for i, width := range []int{1280, 375} {
		f, err := os.Open(want[i])
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != width {
			t.Errorf("%s: %d px wide (%v), want %d", want[i], cfg.Width, err, width)
		}
	}
	missing := regexp.MustCompile(`^/no-such-page/conv_\w+ \(nothing.png\): answered 404 Not Found$`)
	if len(rep.Missing) != 1 || !missing.MatchString(rep.Missing[0]) {
		t.Errorf("missing: %q", rep.Missing)
	}
	if len(rep.Problems) != 0 {
		t.Errorf("the sign-in and home pages: %q", rep.Problems)
	}
	if _, err := os.Stat(filepath.Join(out, "nothing.png")); !os.IsNotExist(err) {
		t.Errorf("a PNG was saved for the missing page: %v", err)
	}
}
