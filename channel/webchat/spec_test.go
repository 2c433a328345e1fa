package webchat

import (
	"encoding/hex"
	"testing"
)

// TestSpecGeneratesSessionSecret: a channel created without session_secret
// gets one, 64 hex digits, never shown (only the server signs tokens);
// sends may be repeated (the widget keeps messages by id).
func TestSpecGeneratesSessionSecret(t *testing.T) {
	spec := New(nil).Spec()
	secrets := map[string]string{}
	if shown := spec.GenerateSecrets(secrets); len(shown) != 0 {
		t.Fatalf("the session secret is shown: %v", shown)
	}
	if _, err := hex.DecodeString(secrets["session_secret"]); err != nil || len(secrets["session_secret"]) != 64 {
		t.Fatalf("session_secret %q", secrets["session_secret"])
	}
	if !spec.RepeatSafe || spec.TextLimit != 0 {
		t.Fatalf("spec %+v", spec)
	}
}
