package chart

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

// Series is one line of a time chart: a name and one value per time.
type Series struct {
	Name   string
	Values []float64
}

// TimeChart is a line chart of series over the same times, oldest first
// (one value per time in each series; missing values count as 0). The
// first series is drawn over a filled area when Area is set.
type TimeChart struct {
	// ID makes the ids of the title and description unique in the page.
	ID    string
	Title string
	// Desc describes the chart in a sentence; Summary's when empty.
	Desc   string
	Times  []time.Time
	Series []Series
	// Unit names what the values count ("messages"), for the summary.
	Unit string
	Area bool
	// Location is the time zone of the time labels (default UTC), and
	// TimeLayout their layout (default "15:04").
	Location   *time.Location
	TimeLayout string
}

// Geometry of a time chart, in viewBox units: 400 wide so that text of
// size 12 stays readable on a phone.
const (
	lineW, lineH                  = 400, 220
	lineLeft, lineRight, lineTop  = 40, 12, 28
	lineBottom                    = 30
	maxSeries                     = 4
	markersUpTo                   = 24 // points drawn with a marker each
	timeTicks                     = 4  // intervals between time labels
	valueTicks                    = 4  // intervals between value labels
	legendItemW, legendSampleW    = 110, 22
	noData                        = "No data."
	timeFormatDefault             = "15:04"
	lineClass, barClass, meterCls = "chart chart-line", "chart chart-bars", "chart chart-meter"
)

func (c *TimeChart) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

func (c *TimeChart) label(t time.Time) string {
	layout := c.TimeLayout
	if layout == "" {
		layout = timeFormatDefault
	}
	return t.In(c.loc()).Format(layout)
}

// series returns the first maxSeries series, each with one finite value
// per time.
func (c *TimeChart) series() []Series {
	out := make([]Series, 0, min(len(c.Series), maxSeries))
	for _, s := range c.Series[:min(len(c.Series), maxSeries)] {
		vs := make([]float64, len(c.Times))
		for i := range vs {
			if i < len(s.Values) {
				vs[i] = finite(s.Values[i])
			}
		}
		out = append(out, Series{Name: s.Name, Values: vs})
	}
	return out
}

// SVG draws the chart.
func (c TimeChart) SVG() template.HTML {
	series := c.series()
	desc := c.Desc
	if desc == "" {
		desc = c.Summary()
	}
	var s svg
	s.open(c.ID, lineClass, lineW, lineH, c.Title, desc)
	s.legend(series)
	plotW, plotH := float64(lineW-lineLeft-lineRight), float64(lineH-lineTop-lineBottom)
	top := 0.0
	for _, se := range series {
		for _, v := range se.Values {
			top = max(top, v)
		}
	}
	top = niceMax(top)
	// Value axis: grid lines and labels.
	for i := 0; i <= valueTicks; i++ {
		v := top * float64(i) / valueTicks
		y := lineTop + plotH - plotH*float64(i)/valueTicks
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
			coord(lineLeft), coord(y), coord(lineLeft+plotW), coord(y), colourGrid)
		s.text(lineLeft-6, y+4, "end", "", Number(v))
	}
	s.printf(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1"/>`,
		lineLeft, lineTop+int(plotH), lineLeft+int(plotW), lineTop+int(plotH), colourText)
	n := len(c.Times)
	x := func(i int) float64 {
		if n == 1 {
			return lineLeft + plotW/2
		}
		return lineLeft + plotW*float64(i)/float64(n-1)
	}
	y := func(v float64) float64 { return lineTop + plotH - plotH*(v/top) }
	// Time axis labels.
	for k := 0; k <= timeTicks && n > 0; k++ {
		i := k * (n - 1) / timeTicks
		if k > 0 && i == (k-1)*(n-1)/timeTicks {
			continue
		}
		anchor := "middle"
		switch {
		case n == 1:
		case i == 0:
			anchor = "start"
		case i == n-1:
			anchor = "end"
		}
		s.text(x(i), lineH-10, anchor, "", c.label(c.Times[i]))
	}
	if n == 0 || len(series) == 0 {
		s.text(lineLeft+plotW/2, lineTop+plotH/2, "middle", "", noData)
		return template.HTML(s.close()) // #nosec: every text is escaped
	}
	for k, se := range series {
		p := palette[k]
		var path strings.Builder
		for i, v := range se.Values {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%s %s", cmd, coord(x(i)), coord(y(v)))
		}
		if k == 0 && c.Area && n > 1 {
			s.printf(`<path d="%sL%s %sL%s %sZ" fill="%s" fill-opacity="0.12" stroke="none"/>`,
				path.String(), coord(x(n-1)), coord(y(0)), coord(x(0)), coord(y(0)), p.colour)
		}
		dash := ""
		if p.dash != "" {
			dash = ` stroke-dasharray="` + p.dash + `"`
		}
		s.printf(`<path d="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"%s/>`, path.String(), p.colour, dash)
		for i, v := range se.Values {
			if n <= markersUpTo || i == n-1 {
				s.marker(p.marker, x(i), y(v), p.colour)
			}
		}
	}
	return template.HTML(s.close()) // #nosec: every text is escaped
}

// legend names each series beside a sample of its line and marker, along
// the top.
func (s *svg) legend(series []Series) {
	for k, se := range series {
		p := palette[k]
		x0 := float64(lineLeft + k*legendItemW)
		dash := ""
		if p.dash != "" {
			dash = ` stroke-dasharray="` + p.dash + `"`
		}
		s.printf(`<line x1="%s" y1="12" x2="%s" y2="12" stroke="%s" stroke-width="2"%s/>`,
			coord(x0), coord(x0+legendSampleW), p.colour, dash)
		s.marker(p.marker, x0+legendSampleW/2, 12, p.colour)
		s.text(x0+legendSampleW+5, 16, "start", "", clip(se.Name, 14))
	}
}

// Summary says in a sentence what the chart shows: per series, its total
// and its peak, over the chart's time range.
func (c TimeChart) Summary() string {
	series := c.series()
	if len(c.Times) == 0 || len(series) == 0 {
		return c.Title + ": " + noData
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, from %s to %s", c.Title, c.label(c.Times[0]), c.label(c.Times[len(c.Times)-1]))
	if c.Location == nil {
		b.WriteString(" UTC")
	}
	b.WriteString(": ")
	for k, se := range series {
		total, peak, at := 0.0, 0.0, 0
		for i, v := range se.Values {
			total += v
			if v > peak {
				peak, at = v, i
			}
		}
		if k > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s", se.Name, Number(total))
		if c.Unit != "" {
			b.WriteString(" " + c.Unit)
		}
		if peak > 0 {
			fmt.Fprintf(&b, " in all, peak %s at %s", Number(peak), c.label(c.Times[at]))
		} else {
			b.WriteString(" in all")
		}
	}
	b.WriteString(".")
	return b.String()
}

// Table returns the chart's figures as an HTML table: a row per time, a
// column per series.
func (c TimeChart) Table() template.HTML {
	series := c.series()
	var b strings.Builder
	fmt.Fprintf(&b, `<table class="chart-table"><caption>%s</caption><thead><tr><th scope="col">Time</th>`, esc(c.Title))
	for _, se := range series {
		fmt.Fprintf(&b, `<th scope="col">%s</th>`, esc(se.Name))
	}
	b.WriteString("</tr></thead><tbody>")
	for i, t := range c.Times {
		fmt.Fprintf(&b, `<tr><th scope="row"><time datetime="%s">%s</time></th>`, esc(t.UTC().Format(time.RFC3339)), esc(c.label(t)))
		for _, se := range series {
			fmt.Fprintf(&b, "<td>%s</td>", esc(Number(se.Values[i])))
		}
		b.WriteString("</tr>")
	}
	if len(c.Times) == 0 {
		fmt.Fprintf(&b, `<tr><td colspan="%d">%s</td></tr>`, len(series)+1, noData)
	}
	b.WriteString("</tbody></table>")
	return template.HTML(b.String()) // #nosec: every text is escaped
}
