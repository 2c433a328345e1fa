package app

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// Defaults and bounds of the overview's window.
const (
	DefaultOverviewWindow = time.Hour
	DefaultOverviewStep   = time.Minute
	MaxOverviewWindow     = 24 * time.Hour
	// MaxOverviewBuckets bounds the points of a series (window / step).
	MaxOverviewBuckets = 240
	// ContainmentPeriod is the period of the bot containment figure.
	ContainmentPeriod = 24 * time.Hour
)

// OverviewParams choose the overview's window: the last Window (default
// an hour) in buckets of Step (default a minute), both whole minutes.
type OverviewParams struct {
	Window time.Duration
	Step   time.Duration
}

// Overview is what the dashboard's overview shows of a workspace at a
// moment: series over a window of whole steps that ends with the step in
// progress, and figures of now or of the last 24 hours.
type Overview struct {
	Now time.Time
	// Since is the start of the window: the first bucket is [Since,
	// Since+Step), the last one holds Now.
	Since time.Time
	Step  time.Duration

	Messages    []MessageBucket
	MessagesIn  int // inbound messages in the window
	MessagesOut int // outbound messages in the window

	Containment Containment
	Handoffs    HandoffsWaiting
	Deliveries  DeliveryStats

	FailingEndpoints    []sb.FailingEndpoint
	FailingIntegrations []sb.FailingIntegration
}

// MessageBucket counts the messages of one bucket of the window.
type MessageBucket struct {
	Start    time.Time
	Inbound  int
	Outbound int
}

// Containment is the share of the conversations that ended in the last
// 24 hours without being handed off to agents.
type Containment struct {
	Since     time.Time
	Ended     int
	HandedOff int
	Contained int
	// Rate is Contained/Ended, from 0 to 1; 0 when none ended (Ended
	// tells the two apart).
	Rate float64
}

// HandoffsWaiting are the conversations in status handoff now.
type HandoffsWaiting struct {
	Waiting    int
	Unassigned int
	// OldestID is the conversation waiting longest, handed off at
	// OldestSince (its start if the handoff's event has been purged), so
	// waiting for OldestWait; empty when none waits.
	OldestID    string
	OldestSince *time.Time
	OldestWait  time.Duration
}

// DeliveryStats describe the webhook deliveries created in the window.
// A delivery is succeeded, failed (its retries are exhausted, or its
// endpoint was disabled), retrying (pending after a failed attempt) or
// new (pending, not attempted yet).
type DeliveryStats struct {
	Total     int
	Succeeded int
	Failed    int
	Retrying  int
	New       int
	// SuccessRate is Succeeded over the attempted deliveries (all but the
	// new ones), from 0 to 1; 0 when none was attempted.
	SuccessRate float64
	// LatencyP50 and LatencyP95 are percentiles (nearest rank) of the time
	// from publication to the successful attempt of the succeeded
	// deliveries, retries included; 0 when none succeeded.
	LatencyP50 time.Duration
	LatencyP95 time.Duration
	Buckets    []DeliveryBucket
}

// DeliveryBucket counts the deliveries created in one bucket of the window
// by outcome so far.
type DeliveryBucket struct {
	Start     time.Time
	Succeeded int
	Failed    int // failed or retrying
	Pending   int // not attempted yet
}

// Overview returns the figures of the workspace's overview. Params out of
// bounds are EInvalid, naming the field ("window" or "step"). Its six
// queries run side by side (on as many connections of the store's read
// pool), so that it takes about as long as the slowest.
func (s *Service) Overview(ctx context.Context, ws string, p OverviewParams) (*Overview, error) {
	span, err := overviewSpan(p, s.now())
	if err != nil {
		return nil, err
	}
	o := &Overview{Now: span.Until, Since: span.Since, Step: span.Step}
	parts := []func() error{
		func() (err error) {
			counts, err := s.store.CountMessages(ctx, ws, span)
			o.Messages, o.MessagesIn, o.MessagesOut = messageBuckets(span, counts)
			return err
		},
		func() (err error) { o.Containment, err = s.containment(ctx, ws, o.Now); return err },
		func() (err error) { o.Handoffs, err = s.handoffsWaiting(ctx, ws, o.Now); return err },
		func() error {
			deliveries, err := s.store.DeliveryOutcomes(ctx, ws, span.Since, span.Until)
			o.Deliveries = deliveryStats(span, deliveries)
			return err
		},
		func() (err error) {
			o.FailingEndpoints, err = s.store.FailingEndpoints(ctx, ws, span.Since)
			return err
		},
		func() (err error) {
			o.FailingIntegrations, err = s.store.FailingIntegrations(ctx, ws, span.Since)
			return err
		},
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() { errs[i] = part() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return o, nil
}

// containment is the bot containment of the 24 hours before now.
func (s *Service) containment(ctx context.Context, ws string, now time.Time) (Containment, error) {
	c := Containment{Since: now.Add(-ContainmentPeriod)}
	outcomes, err := s.store.ConversationOutcomes(ctx, ws, c.Since, now)
	if err != nil {
		return c, err
	}
	c.Ended, c.HandedOff = outcomes.Ended, outcomes.HandedOff
	c.Contained = outcomes.Ended - outcomes.HandedOff
	c.Rate = ratio(c.Contained, outcomes.Ended)
	return c, nil
}

// handoffsWaiting describes the conversations waiting for agents at now.
func (s *Service) handoffsWaiting(ctx context.Context, ws string, now time.Time) (HandoffsWaiting, error) {
	queue, err := s.store.HandoffQueue(ctx, ws)
	if err != nil {
		return HandoffsWaiting{}, err
	}
	h := HandoffsWaiting{Waiting: queue.Waiting, Unassigned: queue.Unassigned, OldestID: queue.OldestID, OldestSince: queue.OldestSince}
	if queue.OldestSince != nil {
		h.OldestWait = max(now.Sub(*queue.OldestSince), 0)
	}
	return h, nil
}

// overviewSpan checks the params and returns the window ending at now: whole
// steps from the step's boundaries, the last one holding now (so that the
// series of two calls a second apart line up). Until is now.
func overviewSpan(p OverviewParams, now time.Time) (sb.Span, error) {
	if p.Window == 0 {
		p.Window = DefaultOverviewWindow
	}
	if p.Step == 0 {
		p.Step = DefaultOverviewStep
	}
	var v sb.Validation
	switch {
	case p.Step < time.Minute || p.Step%time.Minute != 0:
		v.Add("step", "must be a whole number of minutes")
	case p.Window < p.Step || p.Window > MaxOverviewWindow || p.Window%p.Step != 0:
		v.Add("window", "must be a whole number of steps, at most 24 hours")
	case p.Window/p.Step > MaxOverviewBuckets:
		v.Add("window", "must be at most 240 steps")
	}
	if err := v.Err(); err != nil {
		return sb.Span{}, err
	}
	end := now.Truncate(p.Step).Add(p.Step)
	return sb.Span{Since: end.Add(-p.Window), Until: now, Step: p.Step}, nil
}

// messageBuckets spreads the counts over every bucket of the span and
// sums them by direction.
func messageBuckets(span sb.Span, counts []sb.MessageCount) (buckets []MessageBucket, in, out int) {
	buckets = make([]MessageBucket, span.Buckets())
	for i := range buckets {
		buckets[i].Start = span.Since.Add(time.Duration(i) * span.Step)
	}
	for _, c := range counts {
		if c.Bucket < 0 || c.Bucket >= len(buckets) {
			continue
		}
		switch c.Direction {
		case sb.DirectionInbound:
			buckets[c.Bucket].Inbound += c.Count
			in += c.Count
		case sb.DirectionOutbound:
			buckets[c.Bucket].Outbound += c.Count
			out += c.Count
		}
	}
	return buckets, in, out
}

// deliveryStats counts the deliveries by outcome, overall and by bucket,
// and measures the latency of the successful ones.
func deliveryStats(span sb.Span, ds []sb.DeliveryOutcome) DeliveryStats {
	st := DeliveryStats{Total: len(ds), Buckets: make([]DeliveryBucket, span.Buckets())}
	for i := range st.Buckets {
		st.Buckets[i].Start = span.Since.Add(time.Duration(i) * span.Step)
	}
	var latencies []time.Duration
	for _, d := range ds {
		i := int(d.CreatedAt.Sub(span.Since) / span.Step)
		if i < 0 || i >= len(st.Buckets) {
			continue
		}
		b := &st.Buckets[i]
		switch {
		case d.Status == sb.DeliverySucceeded:
			st.Succeeded++
			b.Succeeded++
			if d.LastAttemptAt != nil {
				latencies = append(latencies, max(d.LastAttemptAt.Sub(d.CreatedAt), 0))
			}
		case d.Status == sb.DeliveryFailed:
			st.Failed++
			b.Failed++
		case d.AttemptCount > 0:
			st.Retrying++
			b.Failed++
		default:
			st.New++
			b.Pending++
		}
	}
	st.SuccessRate = ratio(st.Succeeded, st.Succeeded+st.Failed+st.Retrying)
	slices.Sort(latencies)
	st.LatencyP50, st.LatencyP95 = percentile(latencies, 50), percentile(latencies, 95)
	return st
}

// percentile returns the p-th percentile of sorted values by nearest rank;
// 0 for none.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	return sorted[max(rank, 1)-1]
}

// ratio is n/d, or 0 when d is 0.
func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
