package dashboard_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/switchboardhq/switchboard/internal/browsertest"
)

// TestAdminPagesInChromium works the Channels and Webhooks pages in a
// real browser, under their Content-Security-Policy: create a channel and
// see the URL to give the platform; create an endpoint on a receiver on
// loopback, send a test and watch its delivery settle without a reload,
// open it and see its attempt; make the receiver fail, send again, retry
// the failed delivery once it recovers and watch the second attempt
// arrive. axe-core checks every page on the way.
func TestAdminPagesInChromium(t *testing.T) {
	b := browsertest.New(t)
	s := newAdminStack(t)
	rc := newReceiver(t)
	ctx := b.Ctx
	console, err := browsertest.WatchConsole(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := browsertest.SignIn(ctx, s.srv.URL, adminEmail, adminPassword); err != nil {
		t.Fatal(err)
	}
	wait := func(what, expr string) {
		t.Helper()
		if err := browsertest.WaitFor(ctx, what, expr, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	open := func(path, ready string) {
		t.Helper()
		do("opening "+path, chromedp.Navigate(s.srv.URL+path))
		wait(path, ready)
		browsertest.CheckAxe(t, ctx)
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(`+jsQuote(sel)+`) || {}).textContent || ''`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	// A channel, and the URL to give its platform.
	open("/channels", `!!document.querySelector('a[href="/channels/new"]')`)
	do("choosing the type", chromedp.Click(`a[href="/channels/new"]`))
	wait("the type list", `!!document.querySelector('a[href="/channels/new?type=api"]')`)
	browsertest.CheckAxe(t, ctx)
	do("choosing api", chromedp.Click(`a[href="/channels/new?type=api"]`))
	wait("the api form", `!!document.querySelector('#config-callback_url')`)
	browsertest.CheckAxe(t, ctx)
	do("filling in the channel", chromedp.SendKeys(`#name`, "Support API"), chromedp.SendKeys(`#config-callback_url`, "https://example.com/cb"),
		chromedp.Click(`form[action="/channels"] button[type=submit]`))
	wait("the new channel's page", `!!document.querySelector('#webhook-url')`)
	browsertest.CheckAxe(t, ctx)
	url, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#webhook-url').value`))
	if err != nil || !strings.HasPrefix(url, publicURL+"/hooks/channels/ch_") {
		t.Fatalf("the inbound URL shown: %q %v", url, err)
	}
	wait("the copy button shown by its script", `!document.querySelector('button[data-copy="webhook-url"]').hidden`)

	// An endpoint on the receiver, a test event, its delivery and attempt.
	rc.setDelay(1500 * time.Millisecond) // the page shows the delivery pending first
	open("/webhooks/new", `!!document.querySelector('#url')`)
	do("filling in the endpoint", chromedp.SendKeys(`#url`, rc.srv.URL+"/events"), chromedp.Click(`#ev-message-all`),
		chromedp.Click(`form[action="/webhooks"] button[type=submit]`))
	wait("the new endpoint's secret", `!!document.querySelector('#signing-secret')`)
	browsertest.CheckAxe(t, ctx)
	do("sending a test", chromedp.Click(`form[action$="/test"] button`))
	wait("the test's delivery", `location.pathname.startsWith('/webhooks/ep_') && !!document.querySelector('#delivery-list a[href*="/deliveries/dlv_"]')`)
	if !strings.Contains(text(`#delivery-list`), "pending") {
		t.Fatal("the delivery was not pending when the page was shown: its settling cannot show the page's live update")
	}
	do("marking the page", browsertest.Void(chromedp.Evaluate[bool](`window.notReloaded = true`)))
	wait("the delivery settling without a reload", `window.notReloaded === true && document.querySelector('#delivery-list').textContent.includes('succeeded')`)
	browsertest.CheckAxe(t, ctx)
	do("opening the delivery", chromedp.Click(`#delivery-list a[href*="/deliveries/dlv_"]`))
	wait("the attempt", `document.body.textContent.includes('Attempt 1: HTTP 200')`)
	browsertest.CheckAxe(t, ctx)
	if !strings.Contains(text(`main`), "thanks") || !strings.Contains(text(`main`), "webhook-id") {
		t.Fatal("the attempt's answer or request headers are missing")
	}

	// A failed delivery, retried.
	rc.setDelay(0)
	rc.setFail(true)
	do("back to the endpoint", chromedp.Click(`main p a[href^="/webhooks/ep_"]`))
	wait("the endpoint page", `!!document.querySelector('form[action$="/test"]')`)
	do("sending a test to the failing receiver", chromedp.Click(`form[action$="/test"] button`))
	wait("the failed delivery", `document.querySelector('#delivery-list tbody tr') !== null && document.querySelector('#delivery-list tbody tr').textContent.includes('failed')`)
	do("opening the failed delivery", chromedp.Click(`#delivery-list tbody tr a`))
	wait("the failed attempt", `document.body.textContent.includes('Attempt 1: HTTP 502')`)
	rc.setFail(false)
	do("retrying", chromedp.Click(`form[action$="/retry"] button`))
	wait("the retry's attempt", `document.body.textContent.includes('Attempt 2: HTTP 200')`)
	browsertest.CheckAxe(t, ctx)

	delivery, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}

	// The Settings pages pass axe too.
	for _, path := range []string{"/settings", "/settings/oauth-clients", "/settings/users"} {
		open(path, `!!document.querySelector('nav.tabs')`)
	}

	// On a phone, nothing is wider than the screen (tables scroll in their
	// own box).
	phone := b.NewTab(browsertest.Phone)
	if err := browsertest.SignIn(phone, s.srv.URL, adminEmail, adminPassword); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{s.srv.URL + "/channels/new?type=whatsapp", s.srv.URL + "/webhooks/new", delivery,
		strings.Split(delivery, "/deliveries/")[0], s.srv.URL + "/settings/oauth-clients"} {
		if err := chromedp.Do(phone, chromedp.Navigate(u)); err != nil {
			t.Fatal(err)
		}
		if err := browsertest.WaitFor(phone, "the page "+u, `document.readyState === 'complete' && !!document.querySelector('main h1')`, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		wide, err := chromedp.Run(phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil || wide {
			t.Errorf("%s is wider than a phone's screen (%v)", u, err)
		}
	}
	for _, p := range console.Problems() {
		if p.CSP() {
			t.Errorf("the page broke its policy: %s", p)
		}
	}
}

// jsQuote quotes s for JavaScript.
func jsQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}
