package browsertest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Viewport is the size of the page's window in CSS pixels, and whether it
// is a phone's (mobile layout, touch).
type Viewport struct {
	Width, Height int
	Mobile        bool
}

// Desktop is a laptop's screen; Phone is a small phone's (375 px wide,
// the width the dashboard must work at).
var (
	Desktop = Viewport{Width: 1280, Height: 800}
	Phone   = Viewport{Width: 375, Height: 812, Mobile: true}
)

// SetViewport is an action that sizes the tab's viewport to v, at one
// device pixel per CSS pixel (so that screenshots are v.Width wide).
func SetViewport(v Viewport) chromedp.Action[chromedp.Void] {
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if v.Mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	return chromedp.EmulateViewport(int64(v.Width), int64(v.Height), opts...)
}

// Screenshot is an action that takes a PNG of the whole page, as wide as
// the viewport and as tall as the page's content.
func Screenshot() chromedp.Action[[]byte] {
	return func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		m, err := cdp.Call(ctx, t, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, fmt.Errorf("measuring the page: %w", err)
		}
		if m.CSSLayoutViewport == nil || m.CSSContentSize == nil {
			return nil, errors.New("measuring the page: the browser gave no layout metrics")
		}
		width := float64(m.CSSLayoutViewport.ClientWidth)
		height := math.Ceil(max(m.CSSContentSize.Height, float64(m.CSSLayoutViewport.ClientHeight)))
		beyond := true
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			Clip:                  &page.Viewport{Width: width, Height: height, Scale: 1},
			CaptureBeyondViewport: &beyond,
		})
		if err != nil {
			return nil, fmt.Errorf("taking a screenshot: %w", err)
		}
		return r.Data, nil
	}
}

// SignIn signs in at base (the server's URL) through the dashboard's
// form, as a person would: it opens /signin, types the email and the
// password into the fields of those names, submits, and waits until the
// browser has left the sign-in page. A refusal is an error quoting the
// page's message.
func SignIn(ctx context.Context, base, email, password string) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(strings.TrimSuffix(base, "/")+"/signin")); err != nil {
		return fmt.Errorf("opening the sign-in page: %w", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(`form input[name=email]`),
		chromedp.SendKeys(`form input[name=email]`, email),
		// Enter in the password field submits the form, as it does for
		// a person.
		chromedp.SendKeys(`form input[name=password]`, password+"\r"),
	); err != nil {
		return fmt.Errorf("filling in the sign-in form: %w", err)
	}
	// Either the next page, or the sign-in page again with a message.
	deadline := time.Now().Add(30 * time.Second)
	for {
		state, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`[location.href, document.readyState, (document.querySelector('[role=alert]') || {}).textContent || '']`))
		if err == nil && len(state) == 3 && state[1] == "complete" {
			u, _ := url.Parse(state[0])
			if u != nil && u.Path != "/signin" {
				return nil
			}
			if state[2] != "" {
				return fmt.Errorf("signing in as %s: the page says %q", email, strings.TrimSpace(state[2]))
			}
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("signing in as %s: still on the sign-in page (%v)", email, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
