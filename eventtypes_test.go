package switchboard

import "testing"

// TestVocabularyListsOnlyWhatExists: keys can hold the scopes the
// integrations API requires, and webhook endpoints can subscribe to the bot
// and integration events, which this build emits.
func TestVocabularyListsOnlyWhatExists(t *testing.T) {
	for _, s := range []string{ScopeReadIntegrations, ScopeWriteIntegrations} {
		if !ValidScope(s) {
			t.Errorf("%s is refused, but the integrations API requires it", s)
		}
	}
	for _, f := range []string{"bot.*", "integration.*", EventBotTrained, EventBotDeployed, EventBotError,
		EventIntegrationConnected, EventIntegrationDisconnected, EventIntegrationSyncFailed} {
		if !ValidEventFilter(f) {
			t.Errorf("endpoints cannot subscribe to %s", f)
		}
	}
}
