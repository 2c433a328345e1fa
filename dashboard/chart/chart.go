// Package chart draws the dashboard's charts as SVG on the server: a line
// chart of time series, a chart of horizontal bars for ranked lists, and a
// meter for one share. No script runs in the browser.
//
// Each chart comes out as template.HTML, ready for html/template: an <svg>
// with role="img", a <title> and a <desc> it is labelled and described by,
// and a viewBox (no fixed size), so that it scales to its container down to
// a 375 px wide screen. Each chart also has a text alternative: Table, an
// HTML data table of the same figures, and Summary, a sentence.
//
// Every text given (titles, series names, labels) is escaped, and
// characters XML does not allow are dropped. Nothing is styled inline: the
// SVG carries presentation attributes (fill, stroke, font-size) and
// classes only, so that a Content-Security-Policy of style-src 'self'
// leaves it whole. Colours have a contrast of 3:1 or more against white,
// and never carry meaning alone: series differ by dash and marker shape
// and are named in a legend and at their last point.
package chart

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Colours of the marks, each with a contrast of at least 3:1 against white
// (blue 700: 6.7, amber 700: 5.0, emerald 700: 5.5, red 700: 6.5), and of
// the axes and text (grey 600: 7.6; grey 400 grid lines are decoration).
const (
	ColourBlue  = "#1d4ed8"
	ColourAmber = "#b45309"
	ColourGreen = "#047857"
	ColourRed   = "#b91c1c"
	colourText  = "#4b5563"
	colourGrid  = "#d1d5db"
	colourTrack = "#e5e7eb"
	fontFamily  = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
)

// palette is the order series take colours and patterns in.
var palette = []struct {
	colour, dash, marker string
}{
	{ColourBlue, "", "circle"},
	{ColourAmber, "6 4", "square"},
	{ColourGreen, "2 3", "diamond"},
	{ColourRed, "10 3 2 3", "triangle"},
}

// esc escapes s for XML text and attribute values, dropping the characters
// XML 1.0 does not allow (controls but tab and newlines, U+FFFE, U+FFFF)
// and invalid UTF-8.
func esc(s string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, r == 0xFFFE, r == 0xFFFF:
			return -1
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			return -1
		}
		return r
	}, s)
	return html.EscapeString(clean)
}

// clip shortens s to at most n characters, with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// safeID keeps the letters, digits, '-' and '_' of id (an id for the
// title and description elements): "chart" if nothing is left.
func safeID(id string) string {
	id = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, id)
	if id == "" || id[0] >= '0' && id[0] <= '9' || id[0] == '-' {
		id = "chart" + id
	}
	return id
}

// finite is v, or 0 when v is NaN or infinite; negative values count as 0
// too (the charts show counts, rates and durations).
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// niceMax returns the top of an axis showing values up to max: 1, 2, 2.5
// or 5 times a power of ten, at least max (1 for none).
func niceMax(max float64) float64 {
	if max <= 0 {
		return 1
	}
	if max >= math.MaxFloat64/10 {
		return max
	}
	p := math.Pow(10, math.Floor(math.Log10(max)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= max {
			return m * p
		}
	}
	return 10 * p
}

// Number formats v for people: whole numbers below ten thousand as they
// are, up to two decimals below ten, and larger ones with k, M, G, T.
func Number(v float64) string {
	v = finite(v)
	switch {
	case v >= 1e15:
		return strconv.FormatFloat(v, 'g', 3, 64)
	case v >= 1e12:
		return short(v/1e12) + "T"
	case v >= 1e9:
		return short(v/1e9) + "G"
	case v >= 1e6:
		return short(v/1e6) + "M"
	case v >= 1e4:
		return short(v/1e3) + "k"
	case v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v < 10:
		return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0"), ".")
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// short formats a scaled value with at most one decimal.
func short(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
}

// coord formats an SVG coordinate.
func coord(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// svg is an SVG document being written.
type svg struct{ b strings.Builder }

// open starts the document: its size, class, and the title and
// description it is labelled and described by.
func (s *svg) open(id, class string, w, h int, title, desc string) {
	id = safeID(id)
	s.printf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="%s" role="img" aria-labelledby="%s-title" aria-describedby="%s-desc" font-family="%s" font-size="12" fill="%s">`,
		w, h, esc(class), id, id, fontFamily, colourText)
	s.printf(`<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(title), id, esc(desc))
}

func (s *svg) close() string {
	s.b.WriteString("</svg>")
	return s.b.String()
}

// printf writes format with args, which the caller has escaped.
func (s *svg) printf(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

// text writes a text element at (x, y) anchored as anchor ("start",
// "middle", "end"), with extra attributes attrs (already escaped).
func (s *svg) text(x, y float64, anchor, attrs, content string) {
	s.printf(`<text x="%s" y="%s" text-anchor="%s"%s>%s</text>`, coord(x), coord(y), anchor, attrs, esc(content))
}

// marker draws the marker of shape at (x, y).
func (s *svg) marker(shape string, x, y float64, colour string) {
	switch shape {
	case "square":
		s.printf(`<rect x="%s" y="%s" width="7" height="7" fill="%s"/>`, coord(x-3.5), coord(y-3.5), colour)
	case "diamond":
		s.printf(`<path d="M%s %sl4.5 4.5l-4.5 4.5l-4.5 -4.5z" fill="%s"/>`, coord(x), coord(y-4.5), colour)
	case "triangle":
		s.printf(`<path d="M%s %sl4.5 8h-9z" fill="%s"/>`, coord(x), coord(y-4.5), colour)
	default:
		s.printf(`<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`, coord(x), coord(y), colour)
	}
}
