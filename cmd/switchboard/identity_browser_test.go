package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/switchboardhq/switchboard/internal/browsertest"
)

// TestConsentInChromium signs in and consents in a real browser: the
// authorization endpoint sends it to the sign-in page, the consent page
// follows, and Allow lands on the client's redirect URI with a code and
// the state, which the client exchanges for a token. It also proves the
// pages work under their Content-Security-Policy (the consent form posts
// to this origin and is redirected to the client's).
func TestConsentInChromium(t *testing.T) {
	b := browsertest.New(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	p := serve(t, "SWITCHBOARD_DATA_DIR="+dataDir)

	// The first admin, made with the command line (password on stdin).
	create := exec.Command(binary, "user", "create", "--email", adminEmail, "--role", "admin", "--data-dir", dataDir)
	create.Stdin = strings.NewReader(adminPassword + "\n")
	if out, err := create.CombinedOutput(); err != nil || !strings.Contains(string(out), "usr_") {
		t.Fatalf("user create: %v %s", err, out)
	}

	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>Back in the app</title><h1>Back in the app</h1>"))
	}))
	defer app.Close()
	cb := app.URL + "/callback"
	cli := p.mustCall(t, 201, "POST", "/api/v1/oauth-clients", p.key, `{"name":"Browser app","redirect_uris":["`+cb+`"],
		"grant_types":["authorization_code"],"scopes":["read:bots"]}`)
	conf := &oauth2.Config{ClientID: cli["id"].(string), ClientSecret: cli["client_secret"].(string), RedirectURL: cb,
		Scopes:   []string{"read:bots"},
		Endpoint: oauth2.Endpoint{AuthURL: p.base + "/oauth/authorize", TokenURL: p.base + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()

	ctx := b.Ctx
	console, err := browsertest.WatchConsole(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Each click navigates: wait for the next page by asking again until
	// it answers, as a navigation interrupts any script running meanwhile.
	waitFor := func(what, expr string) {
		t.Helper()
		if err := browsertest.WaitFor(ctx, what, expr, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(conf.AuthCodeURL("state-browser-1", oauth2.S256ChallengeOption(verifier)))); err != nil {
		t.Fatal(err)
	}
	waitFor("the sign-in page", `location.pathname === '/signin' && !!document.querySelector('#email')`)
	browsertest.CheckAxe(t, ctx)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#email`, adminEmail),
		chromedp.SendKeys(`#password`, adminPassword),
		chromedp.Click(`main button[type=submit]`),
	); err != nil {
		t.Fatalf("signing in: %v", err)
	}
	waitFor("the consent page", `location.pathname === '/oauth/authorize' && !!document.querySelector('button[value=allow]')`)
	browsertest.CheckAxe(t, ctx)
	console.Check(t) // the sign-in and consent pages under their CSP
	if err := chromedp.Do(ctx, chromedp.Click(`button[value=allow]`)); err != nil {
		t.Fatalf("consenting: %v", err)
	}
	waitFor("the redirect URI", `location.href.startsWith(`+jsString(cb)+`)`)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	if u.Query().Get("state") != "state-browser-1" || u.Query().Get("code") == "" {
		t.Fatalf("landed on %s, want the redirect URI with a code and the state", loc)
	}
	tok, err := conf.Exchange(context.Background(), u.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchanging the browser's code: %v", err)
	}
	if s := p.status(t, "GET", "/api/v1/bots", tok.AccessToken); s != 200 {
		t.Fatalf("API call with the browser's token: %d", s)
	}
}

// jsString quotes s for JavaScript.
func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
