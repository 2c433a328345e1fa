package switchboard

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestSendErrorTextBounded: a platform's error text is cut, on a character
// boundary, before it becomes a message's error.
func TestSendErrorTextBounded(t *testing.T) {
	long := strings.Repeat("é", 1000)
	e := &SendError{StatusCode: 400, Message: long}
	if got := e.Text(); len(got) > MaxSendErrorText+len("…") || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Fatalf("Text() = %d bytes %q", len(got), got)
	}
	if len(e.Error()) > MaxSendErrorText+40 {
		t.Fatalf("Error() is %d bytes", len(e.Error()))
	}
	short := &SendError{Message: "chat not found"}
	if short.Error() != "chat not found" {
		t.Fatalf("Error() = %q", short.Error())
	}
}
