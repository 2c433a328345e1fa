package telegram

import (
	"encoding/hex"
	"testing"
)

// TestSpecGeneratesSecretToken: a channel created without secret_token gets
// one, 48 hex digits (the Bot API takes 1 to 256 of [A-Za-z0-9_-]), shown
// once; one given is kept.
func TestSpecGeneratesSecretToken(t *testing.T) {
	spec := New(nil).Spec()
	secrets := map[string]string{"bot_token": testToken}
	shown := spec.GenerateSecrets(secrets)
	tok := shown["secret_token"]
	if _, err := hex.DecodeString(tok); err != nil || len(tok) != 48 || secrets["secret_token"] != tok || len(shown) != 1 {
		t.Fatalf("shown %v, secrets %v", shown, secrets)
	}
	if again := New(nil).Spec().GenerateSecrets(map[string]string{"secret_token": testSecret}); len(again) != 0 {
		t.Fatalf("a given secret_token was replaced: %v", again)
	}
	if spec.TextLimit != 4096 || spec.RepeatSafe {
		t.Fatalf("spec %+v", spec)
	}
}
