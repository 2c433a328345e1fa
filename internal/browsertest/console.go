package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Problem is something a page reported that a working page does not: an
// error written to the console, an uncaught exception, or an error of the
// browser's log (a resource that failed to load, a request or a script
// that the Content-Security-Policy refused: Source "security").
type Problem struct {
	Kind   string // "console.error", "exception" or "log"
	Source string // for "log": the browser part that wrote it (network, security, …)
	Text   string
	URL    string
	Line   int64
}

// String is the problem as a test reports it.
func (p Problem) String() string {
	s := p.Kind
	if p.Source != "" {
		s += " (" + p.Source + ")"
	}
	s += ": " + p.Text
	if p.URL != "" {
		s += fmt.Sprintf(" [%s:%d]", p.URL, p.Line)
	}
	return s
}

// CSP reports whether the problem is a Content-Security-Policy violation.
func (p Problem) CSP() bool {
	return strings.Contains(p.Text, "Content Security Policy") || strings.Contains(p.Text, "Content-Security-Policy")
}

// Console collects the problems of a tab from the moment [WatchConsole]
// returns, across navigations. The failure to load /favicon.ico is not
// one: the browser asks for it by itself, whatever the page says.
type Console struct {
	ctx      context.Context
	mu       sync.Mutex
	problems []Problem
}

// WatchConsole starts collecting the problems of the tab of ctx. It
// listens to the runtime and log events of the DevTools protocol
// (console API calls, exceptions, log entries), which chromedp enables on
// every tab.
func WatchConsole(ctx context.Context) (*Console, error) {
	c := &Console{ctx: ctx}
	// The func runs on the tab's reading goroutine, before any later
	// command of the tab returns: it must be quick, and it is.
	err := chromedp.Listen(ctx, func(ev any) {
		var p Problem
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError && e.Type != runtime.ConsoleAPICalledTypeAssert {
				return
			}
			p = Problem{Kind: "console." + string(e.Type), Text: argsText(e.Args)}
			if st := e.StackTrace; st != nil && len(st.CallFrames) > 0 {
				p.URL, p.Line = st.CallFrames[0].URL, st.CallFrames[0].LineNumber
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			if d == nil {
				return
			}
			p = Problem{Kind: "exception", Text: d.Text, URL: d.URL, Line: d.LineNumber}
			if d.Exception != nil && d.Exception.Description != "" {
				desc, _, _ := strings.Cut(d.Exception.Description, "\n")
				p.Text += " " + desc
			}
		case *log.EventEntryAdded:
			if e.Entry == nil || e.Entry.Level != log.EntryLevelError {
				return
			}
			p = Problem{Kind: "log", Source: string(e.Entry.Source), Text: e.Entry.Text, URL: e.Entry.URL, Line: e.Entry.LineNumber}
			if p.Source == string(log.EntrySourceNetwork) && strings.HasSuffix(p.URL, "/favicon.ico") {
				return // the browser's own request, which no page made
			}
		default:
			return
		}
		c.mu.Lock()
		c.problems = append(c.problems, p)
		c.mu.Unlock()
	})
	if err != nil {
		return nil, fmt.Errorf("watching the console: %w", err)
	}
	return c, nil
}

// argsText renders the arguments of console.error.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil:
		case a.Description != "":
			s = a.Description
		case a.UnserializableValue != "":
			s = string(a.UnserializableValue)
		default:
			s = string(a.Value)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// Problems returns what the tab reported so far. It first makes a round
// trip to the tab, so that every event the browser sent before the call
// is counted.
func (c *Console) Problems() []Problem {
	_, _ = chromedp.Run(c.ctx, chromedp.Evaluate[chromedp.Void](`0`))
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Problem(nil), c.problems...)
}

// Reset forgets the problems collected so far.
func (c *Console) Reset() {
	c.mu.Lock()
	c.problems = nil
	c.mu.Unlock()
}

// Check fails the test with each problem the tab reported since the watch
// began or the last Reset, and then resets.
func (c *Console) Check(t testing.TB) {
	t.Helper()
	for _, p := range c.Problems() {
		t.Errorf("the page reported %s", p)
	}
	c.Reset()
}
