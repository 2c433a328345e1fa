package dashboard_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// TestWebhooksPages: an endpoint is created with its events chosen by
// prefix and type (the secret shown once), a refused form names its
// fields, a test event reaches a receiver on loopback and its delivery
// page shows the request and the answer, a failed delivery is retried,
// replay and rotation work, and delete asks first.
func TestWebhooksPages(t *testing.T) {
	s := newAdminStack(t)
	ctx := context.Background()
	rc := newReceiver(t)

	body := s.page(t, "/webhooks", http.StatusOK)
	if !strings.Contains(body, "No endpoint yet") {
		t.Fatal("the empty webhooks page")
	}
	body = s.page(t, "/webhooks/new", http.StatusOK)
	for _, want := range []string{`value="message.*"`, `value="message.received"`, `value="conversation.*"`, `value="webhook.test"`,
		"an inbound message was stored"} {
		if !strings.Contains(strings.ToLower(html.UnescapeString(body)), strings.ToLower(want)) {
			t.Errorf("the endpoint form lacks %s", want)
		}
	}

	// Refused: each field named.
	res, body := s.post(t, "/webhooks", url.Values{"url": {"ftp://example.com/x"}, "description": {hostile},
		"event_types_other": {"nonsense.*"}, "event_types": {"message.*"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad endpoint: %d", res.StatusCode)
	}
	checkConsolePage(t, "POST /webhooks", res, body)
	fieldError(t, "bad url", body, "url", "url")
	if !strings.Contains(body, `id="event_types-error"`) || !strings.Contains(body, `value="message.*" checked`) ||
		strings.Contains(body, hostile) || !strings.Contains(body, hostileEscaped) {
		t.Error("the refused form lost the events chosen, does not name the bad filter, or does not escape")
	}
	res, body = s.post(t, "/webhooks", url.Values{"url": {rc.srv.URL}, "rate_limit_per_second": {"fast"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a bad rate: %d", res.StatusCode)
	}
	fieldError(t, "bad rate", body, "rate_limit_per_second", "rate")

	// Created: the secret once.
	res, body = s.post(t, "/webhooks", url.Values{"url": {rc.srv.URL + "/hooks"}, "description": {hostile},
		"event_types": {"message.*", "conversation.started"}, "rate_limit_per_second": {"50"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("create an endpoint: %d\n%s", res.StatusCode, body)
	}
	checkConsolePage(t, "POST /webhooks", res, body)
	id := idIn("ep").FindStringSubmatch(body)[1]
	ep, err := s.app.GetWebhook(ctx, s.ws, id)
	if err != nil {
		t.Fatal(err)
	}
	secret := ep.Secrets[0].Secret
	if !strings.Contains(html.UnescapeString(body), `value="`+secret+`"`) || strings.Join(ep.EventTypes, " ") != "message.* conversation.started" ||
		*ep.RateLimitPerSecond != 50 {
		t.Fatalf("after create: %+v", ep)
	}
	for _, path := range []string{"/webhooks", "/webhooks/" + id, "/webhooks/" + id + "/edit"} {
		b := s.page(t, path, http.StatusOK)
		if strings.Contains(html.UnescapeString(b), secret) {
			t.Errorf("%s shows the secret again", path)
		}
		if strings.Contains(b, hostile) {
			t.Errorf("%s does not escape the description", path)
		}
	}
	body = s.page(t, "/webhooks/"+id+"/edit", http.StatusOK)
	if !strings.Contains(body, `value="message.*" checked`) || !strings.Contains(body, `value="conversation.started" checked`) {
		t.Error("the edit form does not check the endpoint's events")
	}
	body = s.page(t, "/webhooks/"+id, http.StatusOK)
	if !strings.Contains(body, `data-live="message.* conversation.started webhook."`) {
		t.Error("the deliveries are not live on the endpoint's events")
	}

	// A test event, delivered; its page shows the request and the answer.
	res, body = s.post(t, "/webhooks/"+id+"/test", nil)
	_, body = s.follow(t, res, body)
	dlv := idIn("dlv").FindStringSubmatch(body)[1]
	if d := settled(t, s, dlv); d.Status != sb.DeliverySucceeded {
		t.Fatalf("the test delivery: %+v", d.Delivery)
	}
	body = s.page(t, "/webhooks/"+id, http.StatusOK)
	if !strings.Contains(body, `/webhooks/`+id+`/deliveries/`+dlv) || !strings.Contains(body, "succeeded") || strings.Contains(body, "data-pending") {
		t.Fatal("the deliveries list does not show the settled test")
	}
	body = s.page(t, "/webhooks/"+id+"/deliveries/"+dlv, http.StatusOK)
	d, _ := s.app.GetDelivery(ctx, s.ws, dlv)
	for _, want := range []string{"Attempt 1: HTTP 200", "thanks", "webhook-id", d.EventID, "X-Attempt", `"event":"webhook.test"`,
		"This is a test event from Switchboard."} {
		if !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("the delivery page lacks %s", want)
		}
	}
	if strings.Contains(html.UnescapeString(body), secret) {
		t.Error("the delivery page shows the secret")
	}

	// A failed delivery, retried once the receiver recovers.
	rc.setFail(true)
	res, body = s.post(t, "/webhooks/"+id+"/test", nil)
	_, body = s.follow(t, res, body)
	failed := idIn("dlv").FindStringSubmatch(body)[1]
	if d := settled(t, s, failed); d.Status != sb.DeliveryFailed {
		t.Fatalf("a test to a failing receiver: %+v", d.Delivery)
	}
	body = s.page(t, "/webhooks/"+id+"/deliveries/"+failed, http.StatusOK)
	if !strings.Contains(body, "HTTP 502") || !strings.Contains(body, hostileEscaped) || strings.Contains(body, hostile) {
		t.Fatal("the failed attempt's answer is not shown escaped")
	}
	body = s.page(t, "/webhooks/"+id+"?status=failed", http.StatusOK)
	if !strings.Contains(body, failed) || strings.Contains(body, dlv) {
		t.Fatal("the failed filter")
	}
	s.page(t, "/webhooks/"+id+"?status=lost", http.StatusBadRequest)
	rc.setFail(false)
	res, body = s.post(t, "/webhooks/"+id+"/deliveries/"+failed+"/retry", nil)
	s.follow(t, res, body)
	if d := settled(t, s, failed); d.Status != sb.DeliverySucceeded || d.AttemptCount != 2 {
		t.Fatalf("after retry: %+v", d.Delivery)
	}
	body = s.page(t, "/webhooks/"+id+"/deliveries/"+failed, http.StatusOK)
	if !strings.Contains(body, "Attempt 2: HTTP 200") || !strings.Contains(body, "Attempt 1: HTTP 502") {
		t.Fatal("the retried delivery's attempts")
	}
	s.page(t, "/webhooks/"+id+"/deliveries/dlv_nothing", http.StatusNotFound)

	// Replay: a bad time is named; a good one replays.
	res, body = s.post(t, "/webhooks/"+id+"/replay", url.Values{"since": {"yesterday"}, "status": {"failed"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("replay since yesterday: %d", res.StatusCode)
	}
	fieldError(t, "bad since", body, "since", "since")

	res, body = s.post(t, "/webhooks/"+id+"/replay", url.Values{"since": {time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")},
		"status": {"succeeded"}})
	if _, body = s.follow(t, res, body); !strings.Contains(body, "2 deliveries will be sent again") {
		t.Fatal("replay's notice")
	}

	// Rotate: confirmation first, the new secret once.
	confirmFirst(t, s, "/webhooks/"+id+"/rotate", "keeps signing beside the new one for 1 day")
	if body := s.page(t, "/webhooks/"+id+"/rotate?grace_period_seconds=3600", http.StatusOK); !strings.Contains(body, `name="grace_period_seconds" value="3600"`) {
		t.Fatal("the rotation's grace period is not carried")
	}
	res, body = s.post(t, "/webhooks/"+id+"/rotate", url.Values{"grace_period_seconds": {"3600"}})
	ep, _ = s.app.GetWebhook(ctx, s.ws, id)
	if res.StatusCode != http.StatusOK || ep.Secrets[0].Secret == secret || len(ep.Secrets) != 2 ||
		!strings.Contains(html.UnescapeString(body), ep.Secrets[0].Secret) {
		t.Fatalf("rotate: %d, %d secrets", res.StatusCode, len(ep.Secrets))
	}
	if b := s.page(t, "/webhooks/"+id, http.StatusOK); strings.Contains(html.UnescapeString(b), ep.Secrets[0].Secret) {
		t.Fatal("the new secret is shown again")
	}

	// Edit, disable, enable.
	res, body = s.post(t, "/webhooks/"+id+"/edit", url.Values{"url": {rc.srv.URL + "/v2"}, "event_types": {"webhook.test"}})
	s.follow(t, res, body)
	ep, _ = s.app.GetWebhook(ctx, s.ws, id)
	if ep.URL != rc.srv.URL+"/v2" || strings.Join(ep.EventTypes, ",") != "webhook.test" || ep.RateLimitPerSecond != nil || ep.Description != "" {
		t.Fatalf("after edit: %+v", ep)
	}
	res, body = s.post(t, "/webhooks/"+id+"/disable", nil)
	if _, body = s.follow(t, res, body); !strings.Contains(body, "disabled") || strings.Contains(body, "/test") {
		t.Fatal("a disabled endpoint offers a test")
	}
	if res, _ := s.post(t, "/webhooks/"+id+"/test", nil); res.StatusCode != http.StatusConflict {
		t.Fatalf("a test to a disabled endpoint: %d", res.StatusCode)
	}
	res, body = s.post(t, "/webhooks/"+id+"/enable", nil)
	s.follow(t, res, body)

	// Delete asks first.
	confirmFirst(t, s, "/webhooks/"+id+"/delete", "deliveries and their attempts are erased")
	res, body = s.post(t, "/webhooks/"+id+"/delete", nil)
	s.follow(t, res, body)
	s.page(t, "/webhooks/"+id, http.StatusNotFound)
}
