package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/egress"
	"github.com/switchboardhq/switchboard/webhook"
)

// newDelivery builds the outbound webhook dispatcher, not yet started: the
// publisher of every event is its Publisher.
func (m *Main) newDelivery() error {
	c := m.Config
	d, err := webhook.New(m.DB, webhook.Config{
		Policy:       egress.Policy{AllowPrivate: c.WebhookAllowPrivate},
		Timeout:      c.WebhookTimeout,
		Schedule:     c.WebhookRetry,
		Concurrency:  c.WebhookConcurrency,
		Lease:        c.WebhookLease,
		PollInterval: c.WebhookPollInterval,
		DisableAfter: c.WebhookDisableAfter,
		Retention:    c.Retention,
		UserAgent:    "Switchboard/" + Version(),
		Clock:        m.clock(),
		Logger:       m.Logger,
		Tracer:       m.tracer,
		SharedLimits: m.sharedLimits(),
	})
	if err != nil {
		return err
	}
	m.Dispatcher = d
	return nil
}

// startDelivery starts the dispatcher: from now on the deliveries of
// committed events are handed to it, and its recovery loop takes over
// whatever is due in the database (left by a previous run, or by another
// process).
func (m *Main) startDelivery(ctx context.Context) {
	m.Dispatcher.Start(context.WithoutCancel(ctx)) // stopped by Serve's drain or Close
}

// stopDelivery drains the dispatcher: attempts in flight finish (until ctx
// is done) and are recorded; deliveries not started are released for the
// next process.
func (m *Main) stopDelivery(ctx context.Context) {
	if m.Dispatcher == nil {
		return
	}
	if err := m.Dispatcher.Stop(ctx); err != nil {
		m.Logger.Warn("stopping webhook delivery: attempts cut short are made again", "error", err)
	}
}

// checkDelivery validates the webhook delivery settings.
func (c *Config) checkDelivery() error {
	var errs []error
	if c.WebhookTimeout < 100*time.Millisecond {
		errs = append(errs, errors.New("webhook-timeout must be at least 100ms"))
	}
	if c.WebhookLease < 2*c.WebhookTimeout {
		errs = append(errs, fmt.Errorf("webhook-lease (%s) must be at least twice webhook-timeout (%s)", c.WebhookLease, c.WebhookTimeout))
	}
	if c.WebhookConcurrency < 1 || c.WebhookConcurrency > 1000 {
		errs = append(errs, errors.New("webhook-concurrency must be from 1 to 1000"))
	}
	if c.WebhookPollInterval < 10*time.Millisecond {
		errs = append(errs, errors.New("webhook-poll-interval must be at least 10ms"))
	}
	if c.WebhookDisableAfter < time.Minute {
		errs = append(errs, errors.New("webhook-disable-after must be at least 1m"))
	}
	if c.Retention < time.Hour {
		errs = append(errs, errors.New("retention must be at least 1h"))
	}
	return errors.Join(errs...)
}
