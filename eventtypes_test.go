package switchboard

import "testing"

// TestVocabularyListsOnlyWhatExists: API keys cannot be given the scopes of
// the integrations API, and webhook endpoints cannot subscribe to events
// that nothing emits, until the features behind them exist.
func TestVocabularyListsOnlyWhatExists(t *testing.T) {
	for _, s := range []string{ScopeReadIntegrations, ScopeWriteIntegrations} {
		if ValidScope(s) {
			t.Errorf("%s is accepted, but no operation requires it", s)
		}
	}
	for _, e := range []string{EventIntegrationDisconnected, EventIntegrationSyncFailed} {
		if ValidEventFilter(e) {
			t.Errorf("endpoints can subscribe to %s, which nothing emits", e)
		}
	}
	for _, f := range []string{"bot.*", "integration.*", EventBotTrained, EventBotDeployed, EventBotError, EventIntegrationConnected} {
		if !ValidEventFilter(f) {
			t.Errorf("endpoints cannot subscribe to %s", f)
		}
	}
}
