package api

import (
	"encoding/json"
	"testing"

	"github.com/switchboardhq/switchboard/webhook/signature"
)

// TestSpec: callback_url must be an http(s) URL; a channel created without
// a secret gets a whsec_ one, shown once; sends may be repeated (webhook-id
// is the message id).
func TestSpec(t *testing.T) {
	spec := New(nil, "test").Spec()
	if !spec.RepeatSafe || spec.TextLimit != 0 {
		t.Fatalf("spec %+v", spec)
	}
	if _, _, err := spec.ParseConfig(json.RawMessage(`{"callback_url":"file:///etc/passwd"}`), nil, nil); err == nil {
		t.Fatal("a callback_url that is not http(s) was accepted")
	}
	_, secrets, err := spec.ParseConfig(json.RawMessage(`{"callback_url":"https://app.example.com/hook"}`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	shown := spec.GenerateSecrets(secrets)
	if _, err := signature.Key(shown["secret"]); err != nil || secrets["secret"] != shown["secret"] {
		t.Fatalf("shown %v, secrets %v", shown, secrets)
	}
}
