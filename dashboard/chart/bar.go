package chart

import (
	"fmt"
	"html/template"
	"strings"
)

// Bar is one row of a bar chart: its label, its value, and a note that
// the text alternative shows beside it (a status, a last error).
type Bar struct {
	Label string
	Value float64
	Note  string
}

// BarChart is a ranked list drawn as horizontal bars, in the order given,
// each labelled above its bar and valued at its end.
type BarChart struct {
	ID    string
	Title string
	// Desc describes the chart in a sentence; Summary's when empty.
	Desc string
	Bars []Bar
	// Unit names what the values count ("failed deliveries").
	Unit string
	// Colour of the bars (default ColourBlue); one of the Colour
	// constants, or any colour of 3:1 contrast against white.
	Colour string
}

// Geometry of a bar chart.
const (
	barW, barRowH, barH, barTop = 400, 40, 14, 6
	barLabelChars               = 52 // longer labels are clipped (the table has them whole)
	barValueW                   = 56 // room left for the value after the longest bar
	maxBars                     = 50
)

// SVG draws the chart.
func (c BarChart) SVG() template.HTML {
	bars := c.Bars[:min(len(c.Bars), maxBars)]
	desc := c.Desc
	if desc == "" {
		desc = c.Summary()
	}
	colour := c.Colour
	if colour == "" {
		colour = ColourBlue
	}
	h := barTop + max(len(bars), 1)*barRowH
	var s svg
	s.open(c.ID, barClass, barW, h, c.Title, desc)
	if len(bars) == 0 {
		s.text(barW/2, float64(barTop+barRowH/2+4), "middle", "", noData)
		return template.HTML(s.close()) // #nosec: every text is escaped
	}
	top := 0.0
	for _, b := range bars {
		top = max(top, finite(b.Value))
	}
	top = max(top, 1e-300)
	span := float64(barW - barValueW)
	for i, b := range bars {
		y := float64(barTop + i*barRowH)
		s.printf(`<g>`)
		s.text(0, y+12, "start", "", clip(b.Label, barLabelChars))
		w := span * (finite(b.Value) / top)
		if w > 0 {
			w = max(w, 2) // a value above zero always shows
		}
		s.printf(`<rect x="0" y="%s" width="%s" height="%d" fill="%s"/>`, coord(y+18), coord(w), barH, esc(colour))
		s.text(w+6, y+18+barH-2, "start", ` font-weight="bold"`, Number(b.Value))
		s.printf(`</g>`)
	}
	return template.HTML(s.close()) // #nosec: every text is escaped
}

// Summary says in a sentence what the chart shows: each bar's label and
// value, largest first as given.
func (c BarChart) Summary() string {
	if len(c.Bars) == 0 {
		return c.Title + ": " + noData
	}
	parts := make([]string, 0, len(c.Bars))
	for _, b := range c.Bars {
		p := b.Label + " " + Number(b.Value)
		if c.Unit != "" {
			p += " " + c.Unit
		}
		parts = append(parts, p)
	}
	return c.Title + ": " + strings.Join(parts, "; ") + "."
}

// Table returns the chart's figures as an HTML table: a row per bar, with
// its note.
func (c BarChart) Table() template.HTML {
	var b strings.Builder
	unit := c.Unit
	if unit == "" {
		unit = "Value"
	}
	fmt.Fprintf(&b, `<table class="chart-table"><caption>%s</caption><thead><tr><th scope="col">Name</th><th scope="col">%s</th><th scope="col">Note</th></tr></thead><tbody>`,
		esc(c.Title), esc(unit))
	for _, bar := range c.Bars {
		fmt.Fprintf(&b, `<tr><th scope="row">%s</th><td>%s</td><td>%s</td></tr>`, esc(bar.Label), esc(Number(bar.Value)), esc(bar.Note))
	}
	if len(c.Bars) == 0 {
		fmt.Fprintf(&b, `<tr><td colspan="3">%s</td></tr>`, noData)
	}
	b.WriteString("</tbody></table>")
	return template.HTML(b.String()) // #nosec: every text is escaped
}

// Meter shows one share (a rate from 0 to 1) as a bar filled to it, with
// the percentage written out and a caption under it.
type Meter struct {
	ID    string
	Title string
	// Value is the share, from 0 to 1 (clamped); Known false draws an
	// empty meter reading "No data".
	Value float64
	Known bool
	// Caption says what the share is of ("38 of 40 conversations").
	Caption string
	Colour  string
}

// Geometry of a meter.
const meterW, meterH = 400, 84

// Percent formats a share from 0 to 1 as a percentage with one decimal
// (none for 0 and 100).
func Percent(v float64) string {
	v = min(finite(v), 1) * 100
	if v == 0 || v == 100 {
		return fmt.Sprintf("%.0f%%", v)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + "%"
}

// SVG draws the meter.
func (m Meter) SVG() template.HTML {
	colour := m.Colour
	if colour == "" {
		colour = ColourBlue
	}
	var s svg
	s.open(m.ID, meterCls, meterW, meterH, m.Title, m.Summary())
	reading := noData
	if m.Known {
		reading = Percent(m.Value)
	}
	s.text(0, 28, "start", ` font-size="26" font-weight="bold" fill="#111827"`, reading)
	s.printf(`<rect x="0" y="40" width="%d" height="16" fill="%s" stroke="%s" stroke-width="1"/>`, meterW, colourTrack, colourText)
	if m.Known {
		w := float64(meterW) * min(finite(m.Value), 1)
		s.printf(`<rect x="0" y="40" width="%s" height="16" fill="%s"/>`, coord(w), esc(colour))
	}
	s.text(0, 76, "start", "", m.Caption)
	return template.HTML(s.close()) // #nosec: every text is escaped
}

// Summary says the meter's reading in a sentence.
func (m Meter) Summary() string {
	if !m.Known {
		return m.Title + ": " + noData
	}
	out := m.Title + ": " + Percent(m.Value)
	if m.Caption != "" {
		out += " (" + m.Caption + ")"
	}
	return out + "."
}
