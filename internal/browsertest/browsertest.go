// Package browsertest drives headless Chromium for the browser tests of
// the web pages (the dashboard, the web chat widget, the consent page) and
// for the screenshots of the README: it finds and starts the browser with
// flags that work in a container, sets a desktop or phone viewport, signs
// in through the dashboard's form, runs axe-core on a page and reports
// its serious and critical violations, takes full-page screenshots, and
// collects the console errors and Content-Security-Policy violations a
// page reports.
//
// Tests call [New], which skips the test with a message naming what is
// missing when no Chromium is installed, and fails it instead when the CI
// variable says the run is CI (where .ci/run installs Debian's chromium).
// Programs call [Start].
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Debian is where Debian's chromium package installs the browser.
const Debian = "/usr/bin/chromium"

// EnvPath names the variable that, when set, is the browser to run
// instead of looking for one.
const EnvPath = "CHROMIUM_PATH"

// searched are the names looked up on PATH after Debian's path.
var searched = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// Find returns the path of the browser: $CHROMIUM_PATH when set (it must
// exist), else Debian's /usr/bin/chromium, else the first of chromium,
// chromium-browser, google-chrome, google-chrome-stable and headless-shell
// found on PATH. The error says what was looked for.
func Find() (string, error) {
	return find(os.Getenv, os.Stat, exec.LookPath)
}

func find(getenv func(string) string, stat func(string) (os.FileInfo, error), lookPath func(string) (string, error)) (string, error) {
	if p := getenv(EnvPath); p != "" {
		if _, err := stat(p); err != nil {
			return "", fmt.Errorf("no browser at %s=%s: %w", EnvPath, p, err)
		}
		return p, nil
	}
	if _, err := stat(Debian); err == nil {
		return Debian, nil
	}
	for _, name := range searched {
		if p, err := lookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium: %s is missing, %s is unset, and none of %s is on PATH",
		Debian, EnvPath, strings.Join(searched, ", "))
}

// InCI reports whether the CI variable says this run is CI (any value but
// empty, "0" and "false"), where a missing browser is a failure.
func InCI() bool { return inCI(os.Getenv) }

func inCI(getenv func(string) string) bool {
	v := strings.ToLower(getenv("CI"))
	return v != "" && v != "0" && v != "false"
}

// Require returns the browser's path. When there is none it skips the
// test, saying what is missing and how to install it, or, in CI, fails it.
func Require(t testing.TB) string {
	t.Helper()
	return require(t, Find, os.Getenv)
}

func require(t testing.TB, find func() (string, error), getenv func(string) string) string {
	t.Helper()
	path, err := find()
	if err == nil {
		return path
	}
	if inCI(getenv) {
		t.Fatalf("%v; in CI the browser tests must run: .ci/run installs Debian's chromium package", err)
		return ""
	}
	t.Skipf("%v: apt-get install chromium (or set %s) to run this browser test", err, EnvPath)
	return ""
}

// Options tune the browser.
type Options struct {
	// ExecPath is the browser to run; empty: [Find].
	ExecPath string
	// UserDataDir is the profile directory; empty: a temporary one, removed
	// by the cancel function of [Start] (tests: t.TempDir()).
	UserDataDir string
	// Viewport is the first tab's; zero: [Desktop].
	Viewport Viewport
	// Errorf receives the browser's protocol errors; nil: dropped.
	Errorf func(format string, args ...any)
	// Timeout bounds the context that [New] returns; zero: 2 minutes.
	Timeout time.Duration
}

// Flags are the command-line options the browser is started with, besides
// its path, the profile directory and the window size: headless, no
// sandbox (the tests run as root in containers), no GPU, and none of the
// first-run, sync, update and background traffic that would reach out of
// the machine. /dev/shm is small in containers: disable-dev-shm-usage
// keeps the renderer from crashing on big pages.
func Flags() []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
	}
}

// Start starts the browser and returns the context of its first tab, with
// the viewport set, and a function that stops the browser and removes a
// temporary profile. The returned context has no deadline: derive one for
// the steps (a deadline on the first run would stop the whole browser).
func Start(parent context.Context, o Options) (context.Context, context.CancelFunc, error) {
	if o.ExecPath == "" {
		p, err := Find()
		if err != nil {
			return nil, nil, err
		}
		o.ExecPath = p
	}
	cleanup := func() {}
	if o.UserDataDir == "" {
		dir, err := os.MkdirTemp("", "browsertest-profile-")
		if err != nil {
			return nil, nil, err
		}
		o.UserDataDir = dir
		cleanup = func() { _ = os.RemoveAll(dir) }
	}
	if o.Viewport == (Viewport{}) {
		o.Viewport = Desktop
	}
	opts := append(Flags(),
		chromedp.ExecPath(o.ExecPath),
		chromedp.UserDataDir(o.UserDataDir),
		chromedp.WindowSize(o.Viewport.Width, o.Viewport.Height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	var copts []chromedp.ContextOption
	if o.Errorf != nil {
		copts = append(copts, chromedp.WithErrorf(o.Errorf))
	}
	bctx, cancelBrowser := chromedp.NewContext(actx, copts...)
	stop := func() {
		cancelBrowser()
		cancelAlloc()
		cleanup()
	}
	// The first run starts the browser, for as long as bctx lives.
	if err := chromedp.Do(bctx, SetViewport(o.Viewport)); err != nil {
		stop()
		return nil, nil, fmt.Errorf("starting %s: %w", o.ExecPath, err)
	}
	return bctx, stop, nil
}

// Browser is a running browser for one test.
type Browser struct {
	// Ctx is the first tab's context, bounded by Options.Timeout: pass it
	// to chromedp.Run and chromedp.Do and to this package's functions.
	Ctx context.Context
	t   testing.TB
	// root is the browser's context without the deadline, for new tabs.
	root    context.Context
	timeout time.Duration
}

// New starts the browser for the test t (skipping or failing it as
// [Require] does when there is none) and stops it when the test ends.
// The options may be omitted.
func New(t testing.TB, opts ...Options) *Browser {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.ExecPath == "" {
		o.ExecPath = Require(t)
	}
	if o.UserDataDir == "" {
		o.UserDataDir = t.TempDir()
	}
	if o.Errorf == nil {
		o.Errorf = t.Logf
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	root, stop, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	ctx, cancel := context.WithTimeout(root, o.Timeout)
	t.Cleanup(cancel)
	return &Browser{Ctx: ctx, t: t, root: root, timeout: o.Timeout}
}

// NewTab opens another tab in a browser context of its own (its own
// cookies: another person signed in beside the first) with the viewport
// v, and returns its context, bounded as Ctx is. The tab closes when the
// test ends.
func (b *Browser) NewTab(v Viewport) context.Context {
	b.t.Helper()
	tab, closeTab := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	b.t.Cleanup(closeTab)
	ctx, cancel := context.WithTimeout(tab, b.timeout)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx, SetViewport(v)); err != nil {
		b.t.Fatalf("opening a tab: %v", err)
	}
	return ctx
}

// Void drops an action's value, so that it can run among the steps of
// chromedp.Do.
func Void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// WaitFor evaluates the JavaScript expression until it is true, for at
// most d. It survives navigations (a click that loads the next page
// interrupts a script running meanwhile), which chromedp.Poll does not.
// The error names what was awaited and where the page is.
func WaitFor(ctx context.Context, what, expr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			if err == nil {
				err = errors.New("still false")
			}
			return fmt.Errorf("waiting for %s at %s: %w", what, loc, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
