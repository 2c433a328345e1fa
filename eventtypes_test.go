package switchboard

import "testing"

// TestVocabularyListsOnlyWhatExists: webhook endpoints cannot subscribe to
// events that nothing emits, until the features behind them exist.
func TestVocabularyListsOnlyWhatExists(t *testing.T) {
	for _, s := range []string{ScopeReadIntegrations, ScopeWriteIntegrations} {
		if !ValidScope(s) {
			t.Errorf("%s is refused, but the integrations API requires it", s)
		}
	}
	for _, e := range []string{EventBotTrained, EventBotDeployed} {
		if ValidEventFilter(e) {
			t.Errorf("endpoints can subscribe to %s, which nothing emits", e)
		}
	}
	for _, f := range []string{"bot.*", "integration.*", EventBotError, EventIntegrationConnected, EventIntegrationDisconnected, EventIntegrationSyncFailed} {
		if !ValidEventFilter(f) {
			t.Errorf("endpoints cannot subscribe to %s", f)
		}
	}
}
