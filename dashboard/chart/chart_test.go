package chart_test

import (
	"encoding/xml"
	"html/template"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/dashboard/chart"
)

const hostile = `<img src=x onerror=alert(1)>"'&` + "\x00\x1b\uFFFE"

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func times(n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = t0.Add(time.Duration(i) * time.Minute)
	}
	return out
}

// element is an element of a parsed document.
type element struct {
	name  string
	attrs map[string]string
	text  string // the text directly inside it
}

// parse parses out as XML (failing the test if it is not well formed)
// and returns its elements in document order.
func parse(t *testing.T, out template.HTML) []element {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(out)))
	var (
		els   []element
		stack []int
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, out)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			e := element{name: x.Name.Local, attrs: map[string]string{}}
			for _, a := range x.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			els = append(els, e)
			stack = append(stack, len(els)-1)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				els[stack[len(stack)-1]].text += string(x)
			}
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed elements in\n%s", out)
	}
	return els
}

// checkSVG checks what every chart must be: one svg root with role img,
// labelled and described by its title and desc, sized by a viewBox only,
// with no style, script, event handler or foreign element, every number
// finite, and every colour of a mark at 3:1 against white.
func checkSVG(t *testing.T, out template.HTML) []element {
	t.Helper()
	els := parse(t, out)
	root := els[0]
	if root.name != "svg" || root.attrs["role"] != "img" || root.attrs["viewBox"] == "" ||
		root.attrs["width"] != "" || root.attrs["height"] != "" {
		t.Fatalf("root = %+v", root)
	}
	byID := map[string]element{}
	for _, e := range els {
		if id := e.attrs["id"]; id != "" {
			byID[id] = e
		}
		switch e.name {
		case "style", "script", "foreignObject", "img", "a":
			t.Fatalf("<%s> in the chart:\n%s", e.name, out)
		}
		for name, v := range e.attrs {
			if name == "style" || strings.HasPrefix(name, "on") || name == "href" {
				t.Fatalf("attribute %s=%q in the chart", name, v)
			}
			if strings.Contains(v, "NaN") || strings.Contains(v, "Inf") {
				t.Fatalf("attribute %s=%q is not a finite number", name, v)
			}
		}
		for _, name := range []string{"fill", "stroke"} {
			c := e.attrs[name]
			if !strings.HasPrefix(c, "#") || e.name == "svg" || e.attrs["fill-opacity"] != "" && name == "fill" {
				continue
			}
			if decorative[c] {
				continue
			}
			if r := contrast(t, c); r < 3 {
				t.Errorf("%s %s of <%s> has a contrast of %.2f against white", name, c, e.name, r)
			}
		}
	}
	title, desc := byID[root.attrs["aria-labelledby"]], byID[root.attrs["aria-describedby"]]
	if title.name != "title" || strings.TrimSpace(title.text) == "" || desc.name != "desc" || strings.TrimSpace(desc.text) == "" {
		t.Fatalf("title %+v, desc %+v", title, desc)
	}
	return els
}

// decorative are the colours of grid lines and tracks, which carry no
// figure.
var decorative = map[string]bool{"#d1d5db": true, "#e5e7eb": true}

// contrast is the WCAG contrast ratio of colour #rrggbb against white.
func contrast(t *testing.T, c string) float64 {
	t.Helper()
	if len(c) != 7 {
		t.Fatalf("colour %q", c)
	}
	var lum float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, err := strconv.ParseUint(c[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatal(err)
		}
		s := float64(v) / 255
		if s <= 0.03928 {
			s /= 12.92
		} else {
			s = math.Pow((s+0.055)/1.055, 2.4)
		}
		lum += w * s
	}
	return 1.05 / (lum + 0.05)
}

// texts returns the text of the elements named name.
func texts(els []element, name string) []string {
	var out []string
	for _, e := range els {
		if e.name == name {
			out = append(out, e.text)
		}
	}
	return out
}

func TestTimeChart(t *testing.T) {
	c := chart.TimeChart{ID: "messages", Title: "Messages per minute", Unit: "messages", Area: true, Times: times(60),
		Series: []chart.Series{{Name: "In", Values: make([]float64, 60)}, {Name: "Out", Values: make([]float64, 60)}}}
	c.Series[0].Values[10], c.Series[0].Values[59] = 7, 2
	c.Series[1].Values[20] = 3
	els := checkSVG(t, c.SVG())
	got := texts(els, "text")
	for _, want := range []string{"In", "Out", "10:00", "10:59", "0", "10"} {
		if !contains(got, want) {
			t.Errorf("no text %q among %q", want, got)
		}
	}
	// Two lines told apart by more than colour: one dashed, and markers
	// of two shapes at their last points.
	var dashed, solid int
	for _, e := range els {
		if e.name == "path" && e.attrs["fill"] == "none" {
			if e.attrs["stroke-dasharray"] != "" {
				dashed++
			} else {
				solid++
			}
		}
	}
	if dashed != 1 || solid != 1 {
		t.Errorf("%d dashed and %d solid lines", dashed, solid)
	}
	if s := c.Summary(); s != "Messages per minute, from 10:00 to 10:59 UTC: In 9 messages in all, peak 7 at 10:10; Out 3 messages in all, peak 3 at 10:20." {
		t.Errorf("summary %q", s)
	}
	rows := texts(parse(t, c.Table()), "tr")
	if len(rows) != 61 {
		t.Errorf("the table has %d rows, want 61", len(rows))
	}
	if !strings.Contains(string(c.Table()), `<th scope="row"><time datetime="2026-12-03T10:10:00Z">10:10</time></th><td>7</td><td>0</td>`) {
		t.Errorf("the table misses the row of 10:10:\n%s", c.Table())
	}
}

func TestTimeChartEdges(t *testing.T) {
	for name, c := range map[string]chart.TimeChart{
		"empty":       {Title: "Empty"},
		"no series":   {Title: "No series", Times: times(3)},
		"single":      {Title: "One", Times: times(1), Series: []chart.Series{{Name: "In", Values: []float64{4}}}},
		"zeros":       {Title: "Zeros", Times: times(5), Series: []chart.Series{{Name: "In", Values: make([]float64, 5)}}},
		"huge":        {Title: "Huge", Times: times(3), Series: []chart.Series{{Name: "In", Values: []float64{math.MaxFloat64, 1e15, 3}}}},
		"not numbers": {Title: "NaN", Times: times(3), Series: []chart.Series{{Name: "In", Values: []float64{math.NaN(), math.Inf(1), -5}}}},
		"short":       {Title: "Short", Times: times(4), Series: []chart.Series{{Name: "In", Values: []float64{1}}}},
		"many series": {Title: "Many", Times: times(2), Series: make([]chart.Series, 9)},
	} {
		t.Run(name, func(t *testing.T) {
			els := checkSVG(t, c.SVG())
			if len(c.Times) == 0 || len(c.Series) == 0 {
				if !contains(texts(els, "text"), "No data.") || !strings.HasSuffix(c.Summary(), "No data.") {
					t.Errorf("an empty chart does not say so: %q, %q", texts(els, "text"), c.Summary())
				}
			}
			parse(t, c.Table())
			if c.Summary() == "" {
				t.Error("no summary")
			}
		})
	}
	one := chart.TimeChart{Title: "One", Times: times(1), Series: []chart.Series{{Name: "In", Values: []float64{4}}}}
	markers := 0
	for _, e := range parse(t, one.SVG()) {
		if e.name == "circle" {
			markers++
		}
	}
	if markers != 2 { // the legend's and the point's
		t.Errorf("a single point draws %d circles, want 2", markers)
	}
}

func TestBarChart(t *testing.T) {
	c := chart.BarChart{ID: "endpoints", Title: "Failing endpoints", Unit: "failed deliveries", Colour: chart.ColourRed,
		Bars: []chart.Bar{{Label: "https://crm.example/hooks", Value: 12, Note: "HTTP 500"},
			{Label: "https://old.example/hooks", Value: 0, Note: "disabled: 410 Gone"}}}
	els := checkSVG(t, c.SVG())
	got := texts(els, "text")
	for _, want := range []string{"https://crm.example/hooks", "12", "https://old.example/hooks", "0"} {
		if !contains(got, want) {
			t.Errorf("no text %q among %q", want, got)
		}
	}
	var widths []float64
	for _, e := range els {
		if e.name == "rect" {
			w, err := strconv.ParseFloat(e.attrs["width"], 64)
			if err != nil {
				t.Fatal(err)
			}
			widths = append(widths, w)
		}
	}
	if len(widths) != 2 || widths[0] <= 0 || widths[1] != 0 {
		t.Errorf("bar widths %v", widths)
	}
	if s := c.Summary(); s != "Failing endpoints: https://crm.example/hooks 12 failed deliveries; https://old.example/hooks 0 failed deliveries." {
		t.Errorf("summary %q", s)
	}
	if cells := texts(parse(t, c.Table()), "td"); !contains(cells, "disabled: 410 Gone") {
		t.Errorf("the table lost a note: %q", cells)
	}
	for name, c := range map[string]chart.BarChart{
		"empty": {Title: "None"},
		"zeros": {Title: "Zeros", Bars: []chart.Bar{{Label: "a"}, {Label: "b"}}},
		"huge":  {Title: "Huge", Bars: []chart.Bar{{Label: "a", Value: math.MaxFloat64}, {Label: "b", Value: math.Inf(1)}, {Label: "c", Value: math.NaN()}}},
		"long":  {Title: "Long", Bars: []chart.Bar{{Label: strings.Repeat("très long ", 40), Value: 1}}},
	} {
		t.Run(name, func(t *testing.T) {
			checkSVG(t, c.SVG())
			parse(t, c.Table())
		})
	}
}

func TestMeter(t *testing.T) {
	m := chart.Meter{ID: "containment", Title: "Bot containment", Value: 0.925, Known: true, Caption: "37 of 40 conversations"}
	els := checkSVG(t, m.SVG())
	if got := texts(els, "text"); !contains(got, "92.5%") || !contains(got, "37 of 40 conversations") {
		t.Errorf("texts %q", got)
	}
	if s := m.Summary(); s != "Bot containment: 92.5% (37 of 40 conversations)." {
		t.Errorf("summary %q", s)
	}
	for _, m := range []chart.Meter{{Title: "Unknown"}, {Title: "Zero", Known: true}, {Title: "Over", Value: 7, Known: true},
		{Title: "NaN", Value: math.NaN(), Known: true}} {
		checkSVG(t, m.SVG())
	}
	if got := texts(parse(t, chart.Meter{Title: "Unknown"}.SVG()), "text"); !contains(got, "No data.") {
		t.Errorf("an unknown share reads %q", got)
	}
	for v, want := range map[float64]string{0: "0%", 1: "100%", 7: "100%", 0.5: "50%", 1.0 / 3: "33.3%", -1: "0%"} {
		if got := chart.Percent(v); got != want {
			t.Errorf("Percent(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestHostileText: every text given comes out as text, in the SVG and in
// the tables, and the documents stay well formed.
func TestHostileText(t *testing.T) {
	outputs := map[string]template.HTML{}
	line := chart.TimeChart{ID: hostile, Title: hostile, Desc: hostile, Times: times(3),
		Series: []chart.Series{{Name: hostile, Values: []float64{1, 2, 3}}}, Unit: hostile}
	outputs["line"], outputs["line table"] = line.SVG(), line.Table()
	bars := chart.BarChart{ID: hostile, Title: hostile, Unit: hostile, Colour: `red" onload="alert(1)`,
		Bars: []chart.Bar{{Label: hostile, Value: 1, Note: hostile}}}
	outputs["bars"], outputs["bars table"] = bars.SVG(), bars.Table()
	outputs["meter"] = chart.Meter{ID: hostile, Title: hostile, Caption: hostile, Value: 0.5, Known: true}.SVG()
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			s := string(out)
			if strings.Contains(s, "<img") || strings.Contains(s, "onerror=") && !strings.Contains(s, "&lt;img") ||
				strings.Contains(s, `" onload=`) || strings.ContainsAny(s, "\x00\x1b") {
				t.Fatalf("hostile text came out raw:\n%s", s)
			}
			els := parse(t, out)
			found := false
			for _, e := range els {
				if strings.Contains(e.text, "<img src=x onerror=alert(1)>") {
					found = true
				}
				for _, v := range e.attrs {
					if strings.Contains(v, "<") {
						t.Errorf("attribute value %q", v)
					}
				}
			}
			if !found {
				t.Errorf("the hostile text is not shown as text:\n%s", s)
			}
			if strings.HasPrefix(s, "<svg") {
				checkSVG(t, out)
				if id := els[0].attrs["aria-labelledby"]; !regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*-title$`).MatchString(id) {
					t.Errorf("title id %q", id)
				}
			}
		})
	}
}

func TestNumber(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 7: "7", 9999: "9999", 12345: "12.3k", 1e6: "1M", 2.5e9: "2.5G",
		123456789: "123M", 0.25: "0.25", 1.5: "1.5", 12.6: "13", math.NaN(): "0", -3: "0", 3e15: "3e+15"} {
		if got := chart.Number(v); got != want {
			t.Errorf("Number(%v) = %q, want %q", v, got, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}
