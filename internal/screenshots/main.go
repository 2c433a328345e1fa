// Command screenshots makes the pictures of the dashboard shown in the
// README:
//
//	make screenshots        # = go run ./internal/screenshots -out docs/screenshots
//
// It builds the switchboard binary, starts `switchboard serve` on a
// temporary SQLite database with fake Telegram, webhook receiver and help
// desk servers on loopback, seeds demo data through the REST API (a
// builtin bot with intents, a Telegram and a web chat channel,
// conversations with messages in and out, one waiting for an agent, one
// answered by an agent, webhook endpoints with deliveries, facts, an
// http integration with a run and an automation, an admin and an agent),
// signs in as the admin in headless Chromium (internal/browsertest) and
// saves a full-page PNG of each page of the pages slice: 1280 px wide,
// and the inbox and a conversation also at 375 px. It prints the paths that did not answer
// 200 (or sent the browser elsewhere) and saves nothing for them; that is
// not an error, as pages are added one by one. It also warns of what the
// browser tests refuse on the pages it saved: serious and critical axe-core
// violations, console errors and CSP violations. It needs Go and Chromium.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboardhq/switchboard/internal/browsertest"
)

// shot is one picture: a page by URL path, in a viewport.
type shot struct {
	// Path may name things the demo made: {conversation} is a conversation
	// an agent answered.
	Path     string
	File     string // the PNG's name in the output folder
	Viewport browsertest.Viewport
	// SignedOut: taken before signing in.
	SignedOut bool
}

// pages are the pictures taken, in order: the dashboard's pages of SPEC
// §6 at desktop width, and the inbox on a phone.
var pages = []shot{
	{Path: "/signin", File: "signin.png", Viewport: browsertest.Desktop, SignedOut: true},
	{Path: "/", File: "overview.png", Viewport: browsertest.Desktop},
	{Path: "/inbox", File: "inbox.png", Viewport: browsertest.Desktop},
	{Path: "/inbox", File: "inbox-phone.png", Viewport: browsertest.Phone},
	{Path: "/inbox/{conversation}", File: "conversation.png", Viewport: browsertest.Desktop},
	{Path: "/inbox/{conversation}", File: "conversation-phone.png", Viewport: browsertest.Phone},
	{Path: "/bots", File: "bots.png", Viewport: browsertest.Desktop},
	{Path: "/channels", File: "channels.png", Viewport: browsertest.Desktop},
	{Path: "/webhooks", File: "webhooks.png", Viewport: browsertest.Desktop},
	{Path: "/integrations", File: "integrations.png", Viewport: browsertest.Desktop},
	{Path: "/knowledge", File: "knowledge.png", Viewport: browsertest.Desktop},
	{Path: "/events", File: "events.png", Viewport: browsertest.Desktop},
	{Path: "/settings", File: "settings.png", Viewport: browsertest.Desktop},
}

func main() {
	out := flag.String("out", "docs/screenshots", "folder the PNGs are written to")
	bin := flag.String("bin", "", "a built switchboard binary (default: go build ./cmd/switchboard into a temporary folder)")
	verbose := flag.Bool("v", false, "show the server's log")
	keep := flag.Bool("keep", false, "keep the server running after the screenshots, until Ctrl+C, to look at the demo by hand")
	flag.Parse()
	log.SetFlags(0)
	c := config{Out: *out, Bin: *bin, Pages: pages, Logf: log.Printf, Keep: *keep}
	if *verbose {
		c.ServerLog = os.Stderr
	}
	if _, err := run(c); err != nil {
		log.Fatalf("screenshots: %v", err)
	}
}

// config is what run does.
type config struct {
	Out       string // the folder of the PNGs
	Bin       string // a built switchboard; empty: built into a temporary folder
	Pages     []shot
	ServerLog io.Writer // nil: dropped
	Logf      func(format string, args ...any)
	Keep      bool // leave the demo running until SIGINT or SIGTERM
}

// report is what run did.
type report struct {
	Seeded  string   // what the seed made
	Saved   []string // the PNGs written
	Missing []string // the pages not saved, and why
	// Problems are the serious and critical axe-core violations and the
	// console errors and CSP violations of the pages saved.
	Problems []string
}

func run(c config) (*report, error) {
	if _, err := browsertest.Find(); err != nil {
		return nil, fmt.Errorf("%w: apt-get install chromium", err)
	}
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "switchboard-screenshots-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if c.Bin == "" {
		c.Bin = filepath.Join(tmp, "switchboard")
		c.Logf("building ./cmd/switchboard")
		if err := build(c.Bin); err != nil {
			return nil, err
		}
	}
	if c.ServerLog == nil {
		c.ServerLog = io.Discard
	}
	fakes := startFakes()
	defer fakes.Close()
	srv, err := startServer(c.Bin, filepath.Join(tmp, "data"), c.ServerLog)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	c.Logf("Switchboard is running on %s; seeding demo data", srv.Base)
	ids, err := seed(srv, fakes)
	if err != nil {
		return nil, fmt.Errorf("seeding: %w", err)
	}
	var placeholders []string
	for k, v := range ids {
		placeholders = append(placeholders, k, v)
	}
	expand := strings.NewReplacer(placeholders...)
	rep := &report{}
	if rep.Seeded, err = summary(srv); err != nil {
		return nil, err
	}
	c.Logf("seeded: %s", rep.Seeded)

	ctx, stop, err := browsertest.Start(context.Background(), browsertest.Options{})
	if err != nil {
		return nil, err
	}
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()

	console, err := browsertest.WatchConsole(ctx)
	if err != nil {
		return nil, err
	}
	signedIn := false
	for _, s := range c.Pages {
		if !s.SignedOut && !signedIn {
			if err := browsertest.SignIn(ctx, srv.Base, adminEmail, adminPassword); err != nil {
				return nil, err
			}
			signedIn = true
		}
		file := filepath.Join(c.Out, s.File)
		console.Reset()
		s.Path = expand.Replace(s.Path)
		problem, err := take(ctx, srv.Base, s, file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Path, err)
		}
		if problem != "" {
			rep.Missing = append(rep.Missing, fmt.Sprintf("%s (%s): %s", s.Path, s.File, problem))
			continue
		}
		rep.Saved = append(rep.Saved, file)
		c.Logf("saved %s (%s, %d px)", file, s.Path, s.Viewport.Width)
		// What a browser test of the page would refuse, as warnings.
		vs, err := browsertest.Axe(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Path, err)
		}
		for _, v := range vs {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s at %d px: accessibility: %s", s.Path, s.Viewport.Width, v))
		}
		for _, p := range console.Problems() {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s at %d px: the page reported %s", s.Path, s.Viewport.Width, p))
		}
	}
	for _, p := range rep.Problems {
		c.Logf("warning: %s", p)
	}
	if len(rep.Missing) > 0 {
		c.Logf("not saved, %d of %d:", len(rep.Missing), len(c.Pages))
		for _, m := range rep.Missing {
			c.Logf("  %s", m)
		}
	}
	if c.Keep {
		stop()
		c.Logf("The demo runs on %s: sign in as %s with the password %s (API key %s). Ctrl+C stops it.",
			srv.Base, adminEmail, adminPassword, srv.Key)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
	}
	return rep, nil
}

// take opens the page in the viewport and saves its picture to file. A
// page that does not answer 200, or sends the browser to another path
// (the sign-in page, when the session does not let it in), is not saved:
// the returned problem says what happened instead.
func take(ctx context.Context, base string, s shot, file string) (problem string, err error) {
	if err := chromedp.Do(ctx, browsertest.SetViewport(s.Viewport)); err != nil {
		return "", err
	}
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(base+s.Path))
	if err != nil {
		return "", err
	}
	if res.Status != 200 {
		return fmt.Sprintf("answered %d %s", res.Status, res.StatusText), nil
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "", err
	}
	if u, err := url.Parse(loc); err != nil || u.Path != s.Path {
		return "sent the browser to " + strings.TrimPrefix(loc, base), nil
	}
	// Let live data and fonts settle.
	if err := chromedp.Do(ctx, browsertest.Void(chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)), chromedp.Sleep(500*time.Millisecond)); err != nil {
		return "", err
	}
	png, err := chromedp.Run(ctx, browsertest.Screenshot())
	if err != nil {
		return "", err
	}
	return "", os.WriteFile(file, png, 0o644)
}
