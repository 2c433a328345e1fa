package dashboard

import (
	"net/http"
	"strconv"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/dashboard/chart"
)

// The Overview page, at the root: messages in and out, bot containment,
// handoffs waiting, webhook delivery success and latency, the intents
// recognised most, and what is failing. Every chart is drawn here as SVG
// (dashboard/chart) and comes with its text alternative. Agents are sent
// to the inbox.

func (h *Handler) mountOverview(mux *http.ServeMux) {
	mux.Handle("GET /{$}", h.page(false, h.overviewPage))
}

// overviewWindows are the windows the page offers, each with its step.
var overviewWindows = []struct {
	Key          string
	Label        string
	Window, Step time.Duration
}{
	{"1h", "Last hour", time.Hour, time.Minute},
	{"6h", "Last 6 hours", 6 * time.Hour, 5 * time.Minute},
	{"24h", "Last 24 hours", 24 * time.Hour, 15 * time.Minute},
}

// topIntents is how many intents the page ranks.
const topIntents = 8

type overviewView struct {
	Window  string
	Windows []windowLink
	O       *app.Overview

	Messages, Deliveries          chart.TimeChart
	Containment, DeliverySuccess  chart.Meter
	Intents, Endpoints, Integrate chart.BarChart
	StepLabel                     string
	OldestWait                    string
	P50, P95                      string
}

type windowLink struct {
	Key, Label string
	Current    bool
}

func (h *Handler) overviewPage(w http.ResponseWriter, r *http.Request, v *visit) {
	if !v.Admin() {
		http.Redirect(w, r, "/inbox", http.StatusSeeOther)
		return
	}
	p := &pageView{Title: "Overview", Section: "overview", visit: v}
	key := r.URL.Query().Get("window")
	if key == "" {
		key = overviewWindows[0].Key
	}
	data := &overviewView{Window: key}
	var params app.OverviewParams
	for _, ow := range overviewWindows {
		data.Windows = append(data.Windows, windowLink{Key: ow.Key, Label: ow.Label, Current: ow.Key == key})
		if ow.Key == key {
			params = app.OverviewParams{Window: ow.Window, Step: ow.Step}
		}
	}
	if params.Window == 0 {
		h.failed(w, r, sb.Invalid("window", "must be 1h, 6h or 24h"), "", p)
		return
	}
	o, err := h.app.Overview(r.Context(), v.Workspace, params)
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	intents, err := h.app.TopIntents(r.Context(), v.Workspace, o.Since, topIntents)
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	data.O = o
	data.StepLabel = humanDuration(o.Step)
	fillOverviewCharts(data, o, intents)
	p.Data = data
	h.show(w, http.StatusOK, "overview", p)
}

// fillOverviewCharts draws the page's charts from the figures.
func fillOverviewCharts(d *overviewView, o *app.Overview, intents []sb.IntentCount) {
	per := "per " + humanDuration(o.Step)
	times := make([]time.Time, len(o.Messages))
	in, out := make([]float64, len(o.Messages)), make([]float64, len(o.Messages))
	for i, b := range o.Messages {
		times[i], in[i], out[i] = b.Start, float64(b.Inbound), float64(b.Outbound)
	}
	d.Messages = chart.TimeChart{ID: "messages", Title: "Messages in and out, " + per, Times: times, Unit: "messages",
		Area: true, Series: []chart.Series{{Name: "In", Values: in}, {Name: "Out", Values: out}}}

	dtimes := make([]time.Time, len(o.Deliveries.Buckets))
	ok, failed := make([]float64, len(dtimes)), make([]float64, len(dtimes))
	for i, b := range o.Deliveries.Buckets {
		dtimes[i], ok[i], failed[i] = b.Start, float64(b.Succeeded), float64(b.Failed)
	}
	d.Deliveries = chart.TimeChart{ID: "deliveries", Title: "Webhook deliveries, " + per, Times: dtimes, Unit: "deliveries",
		Series: []chart.Series{{Name: "Succeeded", Values: ok}, {Name: "Failed or retrying", Values: failed}}}

	c := o.Containment
	d.Containment = chart.Meter{ID: "containment", Title: "Bot containment, last 24 hours", Value: c.Rate, Known: c.Ended > 0,
		Caption: strconv.Itoa(c.Contained) + " of " + strconv.Itoa(c.Ended) + " ended conversations without a handoff",
		Colour:  chart.ColourGreen}
	ds := o.Deliveries
	attempted := ds.Succeeded + ds.Failed + ds.Retrying
	d.DeliverySuccess = chart.Meter{ID: "delivery-success", Title: "Delivery success", Value: ds.SuccessRate, Known: attempted > 0,
		Caption: strconv.Itoa(ds.Succeeded) + " of " + strconv.Itoa(attempted) + " attempted deliveries succeeded"}
	d.P50, d.P95 = latency(ds.LatencyP50), latency(ds.LatencyP95)
	if o.Handoffs.OldestID != "" {
		d.OldestWait = humanDuration(o.Handoffs.OldestWait)
	}

	d.Intents = chart.BarChart{ID: "intents", Title: "Intents recognised most", Unit: "turns"}
	for _, ic := range intents {
		d.Intents.Bars = append(d.Intents.Bars, chart.Bar{Label: ic.Intent, Value: float64(ic.Turns)})
	}
	d.Endpoints = chart.BarChart{ID: "failing-endpoints", Title: "Failing webhook endpoints", Unit: "failed deliveries",
		Colour: chart.ColourRed}
	for _, e := range o.FailingEndpoints {
		note := e.Status
		if e.LastError != nil {
			note += ": " + *e.LastError
		}
		d.Endpoints.Bars = append(d.Endpoints.Bars, chart.Bar{Label: e.URL, Value: float64(e.Failed + e.Retrying), Note: note})
	}
	d.Integrate = chart.BarChart{ID: "failing-integrations", Title: "Failing integrations", Unit: "failed runs",
		Colour: chart.ColourAmber}
	for _, in := range o.FailingIntegrations {
		note := in.Status
		if in.LastError != nil {
			note += ": " + *in.LastError
		}
		d.Integrate.Bars = append(d.Integrate.Bars, chart.Bar{Label: in.Name + " (" + in.Type + ")", Value: float64(in.FailedRuns), Note: note})
	}
}

// latency says a delivery latency, or a dash when there is none.
func latency(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

// humanDuration says a duration in the largest whole unit that fits
// ("15 minutes", "1 hour", "3 days").
func humanDuration(d time.Duration) string {
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + one + "s"
	}
	switch {
	case d >= 48*time.Hour:
		return unit(int(d.Hours()/24), "day")
	case d >= time.Hour:
		return unit(int(d.Hours()), "hour")
	case d >= time.Minute:
		return unit(int(d.Minutes()), "minute")
	default:
		return unit(int(d.Seconds()), "second")
	}
}
