package channeltest

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard"
)

// GoldenMessage is what golden files record of an inbound message.
type GoldenMessage struct {
	ExternalID string                  `json:"external_id"`
	Kind       string                  `json:"kind"`
	Text       string                  `json:"text"`
	Thread     string                  `json:"thread"`
	Contact    switchboard.ContactInfo `json:"contact"`
	Raw        json.RawMessage         `json:"raw"`
}

// GoldenResponse is what golden files record of a hook's own answer.
type GoldenResponse struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
}

// GoldenResult is what golden files record of a hook's result; a result
// without a response of its own records none.
type GoldenResult struct {
	Response *GoldenResponse            `json:"response,omitempty"`
	Messages []GoldenMessage            `json:"messages"`
	Statuses []switchboard.StatusUpdate `json:"statuses"`
}

// HookGolden gives each sample matching pattern to hook and compares what
// it returns with the sample's golden file: its name with .golden for its
// extension. No sample at all fails the test.
func HookGolden(t *testing.T, pattern string, hook func(t *testing.T, body []byte) *switchboard.HookResult) {
	files, _ := filepath.Glob(pattern)
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			res := hook(t, ReadFile(t, file))
			got := GoldenResult{Messages: []GoldenMessage{}, Statuses: []switchboard.StatusUpdate{}}
			if r := res.Response; r != nil {
				got.Response = &GoldenResponse{r.Status, r.ContentType, string(r.Body)}
			}
			for _, m := range res.Messages {
				got.Messages = append(got.Messages, GoldenMessage{m.ExternalID, m.Kind, m.Text, m.Thread, m.Contact, m.Raw})
			}
			got.Statuses = append(got.Statuses, res.Statuses...)
			CompareGolden(t, strings.TrimSuffix(file, filepath.Ext(file))+".golden", got)
		})
	}
}

// WantRawAsReceived fails the test unless every message's Raw is JSON that
// stands in body as received.
func WantRawAsReceived(t testing.TB, res *switchboard.HookResult, body []byte) {
	t.Helper()
	for _, m := range res.Messages {
		if !json.Valid(m.Raw) || !bytes.Contains(body, m.Raw) {
			t.Errorf("raw of %s is not the message as received", m.ExternalID)
		}
	}
}

// FuzzHook feeds hook the samples matching pattern, the seeds and
// arbitrary bodies. It must never panic, and must answer complete messages
// (with an id, a kind, a contact and the raw message) and statuses
// (delivered, read or failed, with an id), or an invalid_request error.
func FuzzHook(f *testing.F, pattern string, hook func(body []byte) (*switchboard.HookResult, error), seeds ...string) {
	files, _ := filepath.Glob(pattern)
	for _, file := range files {
		f.Add(ReadFile(f, file))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := hook(body)
		if err != nil {
			if code := switchboard.ErrorCode(err); code != switchboard.EInvalid {
				t.Fatalf("error %v has code %q", err, code)
			}
			return
		}
		for _, m := range res.Messages {
			if m.ExternalID == "" || m.Kind == "" || m.Contact.ExternalID == "" || len(m.Raw) == 0 {
				t.Fatalf("incomplete message %+v", m)
			}
		}
		for _, s := range res.Statuses {
			if s.ExternalID == "" || (s.Status != switchboard.MessageDelivered && s.Status != switchboard.MessageRead && s.Status != switchboard.MessageFailed) {
				t.Fatalf("bad status %+v", s)
			}
		}
	})
}
