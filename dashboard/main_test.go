package dashboard_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/store/pgtest"
)

// TestMain stops the throwaway PostgreSQL server of the tests that use
// one once they have run.
func TestMain(m *testing.M) { pgtest.Main(m) }
