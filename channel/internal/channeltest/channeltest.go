// Package channeltest holds the test helpers every channel adapter's tests
// share: reading samples, golden files (UPDATE_GOLDEN=1 rewrites them) of
// what hooks return, a fuzz target for hooks, checks of error codes and
// send errors, and a recording fake platform API with the send failures
// every adapter must classify (refusals, an unreachable platform, an
// unreadable success). What a platform's wire format is (paths, bodies,
// headers, samples) stays in its adapter's tests.
package channeltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/switchboardhq/switchboard"
)

// Update is set by UPDATE_GOLDEN=1: golden files are rewritten, not compared.
var Update = os.Getenv("UPDATE_GOLDEN") != ""

// ReadFile returns a file's content or fails the test.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// WantCode fails the test unless err has the error code.
func WantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := switchboard.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

// WantField fails the test unless err is invalid_request naming field first.
func WantField(t testing.TB, err error, field string) {
	t.Helper()
	WantCode(t, err, switchboard.EInvalid)
	var e *switchboard.Error
	errors.As(err, &e)
	if len(e.Fields) == 0 || e.Fields[0].Field != field {
		t.Fatalf("fields = %+v, want %q", e.Fields, field)
	}
}

// SendError returns err as a *switchboard.SendError or fails the test.
func SendError(t testing.TB, err error) *switchboard.SendError {
	t.Helper()
	var se *switchboard.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want *switchboard.SendError", err, err)
	}
	return se
}

// CompareGolden compares v, as indented JSON, with the golden file at path.
func CompareGolden(t testing.TB, path string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	if Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want := ReadFile(t, path); !bytes.Equal(got, want) {
		t.Fatalf("%s differs; got:\n%s", path, got)
	}
}
