package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboardhq/switchboard/channel/telegram"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
	"github.com/switchboardhq/switchboard/internal/browsertest"
)

// TestInboxInChromium: an agent works in the inbox of the real server, in
// a real browser, with a fake Telegram on the other side. A message sent
// to the channel's hook appears in the open inbox without a reload, and
// in the open conversation; the agent takes over (with the keyboard),
// answers, sees the answer reach Telegram, and hands back to the bot,
// which answers the contact's next message again. axe-core finds no
// serious violation on the inbox's pages, and the pages report no CSP
// violation or script error.
func TestInboxInChromium(t *testing.T) {
	b := browsertest.New(t)
	tg := telegramtest.NewServer()
	defer tg.Close()
	dataDir := filepath.Join(t.TempDir(), "data")
	p := serve(t, "SWITCHBOARD_DATA_DIR="+dataDir, "SWITCHBOARD_BOOTSTRAP_KEY="+e2eKey,
		"SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=true") // the fake Bot API is on loopback
	const agentEmail, agentPassword = "agent@example.com", "agent horse battery staple"
	create := exec.Command(binary, "user", "create", "--email", agentEmail, "--role", "agent", "--data-dir", dataDir)
	create.Stdin = strings.NewReader(agentPassword + "\n")
	if out, err := create.CombinedOutput(); err != nil || !strings.Contains(string(out), "usr_") {
		t.Fatalf("user create: %v %s", err, out)
	}
	hookURL, token := telegramChannel(t, p, tg, greeter)
	send := func(id, user int64, name, text string) {
		t.Helper()
		if st, _ := p.post(t, hookURL, "", telegramtest.Update(id, user, name, text), telegram.HeaderSecretToken, token); st != 200 {
			t.Fatalf("update %d: %d", id, st)
		}
	}
	send(1, 42, "Ada", "hello")
	tg.Wait("sendMessage", 1, 60*time.Second)

	ctx := b.Ctx
	console, err := browsertest.WatchConsole(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Keys pressed before the page's scripts ran would be lost: every
	// wait is for a page loaded whole.
	waitFor := func(what, expr string) {
		t.Helper()
		if err := browsertest.WaitFor(ctx, what, "document.readyState === 'complete' && "+expr, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	if err := browsertest.SignIn(ctx, p.base, agentEmail, agentPassword); err != nil {
		t.Fatal(err)
	}
	do("opening the inbox", chromedp.Navigate(p.base+"/inbox"))
	waitFor("the inbox with Ada's conversation", `document.querySelectorAll('a[data-inbox-item]').length === 1`)
	browsertest.CheckAxe(t, ctx)
	do("asking for the shortcuts", chromedp.KeyEvent("?"))
	waitFor("the list of shortcuts", `document.querySelector('#shortcuts').open && document.activeElement === document.querySelector('#shortcuts summary')`)
	do("closing it", chromedp.KeyEvent("?"))

	// A new contact writes: the open inbox shows it without a reload (the
	// mark set on this page's window survives).
	do("marking the page", browsertest.Void(chromedp.Evaluate[bool](`window.stillHere = true`)))
	send(2, 43, "Grace", "I need a person <b>now</b>")
	waitFor("Grace in the inbox", `window.stillHere === true && document.querySelectorAll('a[data-inbox-item]').length === 2 &&
		document.querySelector('a[data-inbox-item]').textContent.includes('Grace')`)

	// j selects the newest conversation, o opens it.
	do("opening Grace's conversation", chromedp.KeyEvent("j"), chromedp.KeyEvent("o"))
	waitFor("Grace's conversation", `location.pathname.startsWith('/inbox/conv_') && !!document.querySelector('#thread')`)
	waitFor("her message, as text", `document.querySelector('#thread').textContent.includes('I need a person <b>now</b>')`)
	browsertest.CheckAxe(t, ctx)
	do("marking the page", browsertest.Void(chromedp.Evaluate[bool](`window.stillHere = true`)))
	send(3, 43, "Grace", "are you there?")
	waitFor("her next message in the open thread", `window.stillHere === true && document.querySelector('#thread').textContent.includes('are you there?')`)

	// Shortcuts do nothing while typing: a "t" typed in the answer does
	// not take over.
	do("typing a t", chromedp.SendKeys(`#text`, "t"))
	time.Sleep(300 * time.Millisecond)
	waitFor("still the same page", `window.stillHere === true && document.querySelector('#text').value === 't'`)
	do("leaving the field", browsertest.Void(chromedp.Evaluate[bool](`document.querySelector('#text').value = ''; document.activeElement.blur(); true`)))

	// t takes over.
	do("taking over", chromedp.KeyEvent("t"))
	waitFor("the conversation taken over", `!!document.querySelector('form[action*="/handback"]') &&
		document.querySelector('#conversation-state').textContent.includes('`+agentEmail+`') && !!document.querySelector('.notice')`)

	// r focuses the answer; it goes to Telegram.
	do("pressing r", chromedp.KeyEvent("r"))
	waitFor("the answer field focused", `document.activeElement === document.querySelector('#text')`)
	// (The DevTools protocol sends the key's character apart from its
	// keydown, so that the page cannot cancel it as it cancels a person's.)
	do("answering", browsertest.Void(chromedp.Evaluate[bool](`document.querySelector('#text').value = ''; true`)),
		chromedp.SendKeys(`#text`, "Hello Grace, Ana here."), chromedp.Submit(`#text`))
	waitFor("the notice", `!!document.querySelector('.notice') && document.querySelector('.notice').textContent.includes('on its way')`)
	deadline := time.Now().Add(60 * time.Second)
	for {
		var found bool
		for _, c := range tg.Calls("sendMessage") {
			if c.ChatID() == "43" && c.Text() == "Hello Grace, Ana here." {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the answer did not reach Telegram: %+v", tg.Calls("sendMessage"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	botAnswers := 0
	for _, c := range tg.Calls("sendMessage") {
		if c.ChatID() == "43" && c.Text() != "Hello Grace, Ana here." {
			botAnswers++
		}
	}
	waitFor("the answer marked sent, live", `[...document.querySelectorAll('#thread .msg.from-agent')].some(m => m.textContent.includes('Hello Grace') && m.textContent.includes('sent'))`)

	// Hand back: the bot answers her next message again.
	do("handing back", chromedp.Click(`form[action*="/handback"] button`))
	waitFor("the bot answering again", `!document.querySelector('form[action*="/handback"]') && document.querySelector('#conversation-state').textContent.includes('Bot answers')`)
	send(4, 43, "Grace", "hello")
	deadline = time.Now().Add(60 * time.Second)
	for {
		n := 0
		for _, c := range tg.Calls("sendMessage") {
			if c.ChatID() == "43" && c.Text() == "Hello! How can I help?" {
				n++
			}
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bot did not answer after the hand-back (%d answers before): %+v", botAnswers, tg.Calls("sendMessage"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitFor("the bot's answer in the open thread", `[...document.querySelectorAll('#thread .msg.from-bot')].some(m => m.textContent.includes('How can I help'))`)
	console.Check(t)
}
