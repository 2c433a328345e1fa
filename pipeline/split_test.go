package pipeline

import (
	"strings"
	"testing"

	sb "github.com/switchboardhq/switchboard"
)

func TestSplitText(t *testing.T) {
	para := strings.Repeat("word ", 30) // 150 units
	for _, tc := range []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"within the limit", "hello there", 20, []string{"hello there"}},
		{"exactly the limit", "0123456789", 10, []string{"0123456789"}},
		{"empty", "", 10, []string{""}},
		{"at a space", "aaaa bbbb cccc", 10, []string{"aaaa bbbb", "cccc"}},
		{"at a sentence", "One two. Three four five", 15, []string{"One two.", "Three four five"}},
		{"at a line", "first line\nsecond one", 15, []string{"first line", "second one"}},
		{"a paragraph first", "aaaaaaaaaa\n\nbbb ccc dd", 18, []string{"aaaaaaaaaa", "bbb ccc dd"}},
		{"no break: between characters", "abcdefghijklmnopqrstuvwxyz", 10, []string{"abcdefghij", "klmnopqrst", "uvwxyz"}},
		{"a break too early is not taken", "a bcdefghijklmnop", 10, []string{"a bcdefghi", "jklmnop"}},
		{"emoji count two", "😀😀😀😀😀😀", 5, []string{"😀😀", "😀😀", "😀😀"}},
		{"an emoji is not cut", "ab😀cd", 3, []string{"ab", "😀c", "d"}},
		{"paragraphs", strings.TrimSpace(para + "\n\n" + para), 200, []string{strings.TrimSpace(para), strings.TrimSpace(para)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := splitText(tc.text, tc.limit)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Fatalf("splitText(%q, %d) = %q, want %q", tc.text, tc.limit, got, tc.want)
			}
		})
	}
}

// TestSplitTextKeepsEverything: on long texts of every kind, no part is
// over the limit or empty, and the parts hold the whole text but the
// whitespace at the cuts.
func TestSplitTextKeepsEverything(t *testing.T) {
	texts := []string{
		strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 200),
		strings.Repeat("x", 9000),
		strings.Repeat("Привет, мир! 😀 ", 500),
		strings.Repeat("第一段。第二句。\n", 700),
		strings.Repeat("a\n\n", 3000),
	}
	for _, text := range texts {
		for _, limit := range []int{2, 7, 160, 1600, 2000, 4096} {
			parts := splitText(text, limit)
			for _, p := range parts {
				if n := sb.TextLength(p); n > limit || (n == 0 && len(parts) > 1) {
					t.Fatalf("limit %d: a part of %d units: %q", limit, n, p)
				}
			}
			squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }
			if squeeze(strings.Join(parts, "")) != squeeze(text) {
				t.Fatalf("limit %d: the parts do not hold the text", limit)
			}
		}
	}
}
