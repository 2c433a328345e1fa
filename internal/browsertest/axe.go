package browsertest

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core's minified build (MPL-2.0; the version is in
// testdata/README.md), injected into pages through the DevTools protocol.
// A page's Content-Security-Policy governs the page's own scripts, not
// what the protocol evaluates, so this works on pages that allow no
// script at all.
//
//go:embed testdata/axe.min.js
var axeSource string

// Violation is one axe-core rule that some elements of the page break.
type Violation struct {
	ID      string // the rule, e.g. "image-alt"
	Impact  string // minor, moderate, serious or critical
	Help    string // what the rule asks, in a sentence
	HelpURL string
	Nodes   []AxeNode
}

// AxeNode is one element that breaks a rule.
type AxeNode struct {
	// Target is the element's CSS selector; in a shadow DOM, one selector
	// per shadow root, outermost first, joined by " >>> ".
	Target  string
	HTML    string // the element's opening tag
	Summary string // what to fix
}

// String is the violation as a test reports it: the rule, its impact, what
// it asks, and the elements at fault.
func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s [%s]", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    at %s: %s", n.Target, n.HTML)
		if n.Summary != "" {
			fmt.Fprintf(&b, "\n       %s", strings.ReplaceAll(strings.TrimSpace(n.Summary), "\n", "\n       "))
		}
	}
	return b.String()
}

// Serious reports whether the violation's impact is serious or critical:
// those the pages must not have.
func (v Violation) Serious() bool { return v.Impact == "serious" || v.Impact == "critical" }

// axeRun runs every rule of axe-core's default set (WCAG 2.x A and AA and
// the best practices) on the document, and returns the violations in a
// shape Go decodes.
const axeRun = `(async () => {
	const r = await axe.run(document, {resultTypes: ['violations']});
	return r.violations.map(v => ({
		ID: v.id, Impact: v.impact || '', Help: v.help, HelpURL: v.helpUrl,
		Nodes: v.nodes.map(n => ({
			Target: n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : String(t)).join(' >>> '),
			HTML: n.html, Summary: n.failureSummary || ''})),
	}));
})()`

// AxeAll runs axe-core on the tab's current page, injecting it first if
// the page does not have it yet, and returns every violation.
func AxeAll(ctx context.Context) ([]Violation, error) {
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object' && typeof window.axe.run === 'function'`))
	if err != nil {
		return nil, fmt.Errorf("axe-core: %w", err)
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource+"\n;undefined")); err != nil {
			return nil, fmt.Errorf("injecting axe-core: %w", err)
		}
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("running axe-core: %w", err)
	}
	return vs, nil
}

// Axe runs axe-core on the tab's current page and returns the violations
// of serious or critical impact.
func Axe(ctx context.Context) ([]Violation, error) {
	all, err := AxeAll(ctx)
	if err != nil {
		return nil, err
	}
	var serious []Violation
	for _, v := range all {
		if v.Serious() {
			serious = append(serious, v)
		}
	}
	return serious, nil
}

// CheckAxe fails the test with one readable message per serious or
// critical violation of the tab's current page.
func CheckAxe(t testing.TB, ctx context.Context) {
	t.Helper()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	vs, err := Axe(ctx)
	if err != nil {
		t.Fatalf("%s: %v", loc, err)
	}
	for _, v := range vs {
		t.Errorf("%s: accessibility: %s", loc, v)
	}
}

// CheckPages opens each path under base in the tab of ctx, in the tab's
// viewport, and fails the test for each path that does not answer 200 or
// sends the browser elsewhere, each serious or critical axe-core
// violation, and each console error or CSP violation the page reports.
// Sign in first for the pages that need it.
func CheckPages(t testing.TB, ctx context.Context, base string, paths ...string) {
	t.Helper()
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the console watch
	console, err := WatchConsole(lctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		console.Reset()
		res, err := chromedp.Run(ctx, chromedp.NavigateResponse(base+path))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if res.Status != 200 {
			t.Errorf("%s answered %d %s", path, res.Status, res.StatusText)
			continue
		}
		if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != base+path {
			t.Errorf("%s sent the browser to %s", path, loc)
			continue
		}
		CheckAxe(t, ctx)
		for _, p := range console.Problems() {
			t.Errorf("%s: the page reported %s", base+path, p)
		}
	}
}
