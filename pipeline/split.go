package pipeline

import (
	"strings"
	"unicode"
	"unicode/utf16"

	sb "github.com/switchboardhq/switchboard"
)

// splitText cuts a text into parts of at most limit UTF-16 code units
// (sb.TextLength), for platforms that take no longer messages. Each part
// ends at the last paragraph break in its second half, else line break,
// else end of sentence, else space; only a text without any there is cut
// between two characters. The whitespace at a cut is dropped. A text within
// the limit is its only part.
func splitText(text string, limit int) []string {
	var parts []string
	for limit > 0 && sb.TextLength(text) > limit {
		end := prefixWithin(text, limit) // text[:end] is the longest prefix within the limit
		cut := breakBefore(text[:end], end/2)
		part, rest := strings.TrimRightFunc(text[:cut], unicode.IsSpace), strings.TrimLeftFunc(text[cut:], unicode.IsSpace)
		if part == "" { // only whitespace before the break: cut at the limit
			part, rest = text[:end], text[end:]
		}
		parts = append(parts, part)
		text = rest
	}
	if text != "" || len(parts) == 0 {
		parts = append(parts, text)
	}
	return parts
}

// prefixWithin returns the byte length of the longest prefix of s that is
// at most limit UTF-16 code units long (at least one character).
func prefixWithin(s string, limit int) int {
	n := 0
	for i, r := range s {
		if n += utf16.RuneLen(r); n > limit {
			if i == 0 {
				return len(string(r))
			}
			return i
		}
	}
	return len(s)
}

// breaks are where a part may end, best first: after a paragraph, a line,
// a sentence, a word.
var breaks = []string{"\n\n", "\n", ". ", "! ", "? ", "。", " "}

// breakBefore returns where to cut s (a prefix of a longer text): after
// the best break found at or beyond min, else at the end of s.
func breakBefore(s string, min int) int {
	for _, b := range breaks {
		if i := strings.LastIndex(s, b); i >= 0 && i+len(b) > min {
			return i + len(b)
		}
	}
	return len(s)
}
