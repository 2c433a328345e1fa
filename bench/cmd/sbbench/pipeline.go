package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/bench/loadgen"
	"github.com/switchboardhq/switchboard/channel/telegram/telegramtest"
)

// The pipeline scenarios talk to Switchboard as Telegram does: a builtin
// bot answers a Telegram channel whose Bot API is a fake run by sbbench on
// loopback, and the load POSTs signed updates (X-Telegram-Bot-Api-Secret-
// Token) to the channel's webhook URL, each with a new update_id, from
// -users users in turn, saying "hello". The bot's replies arrive at the
// fake's sendMessage. The fake shares the machine with the server and the
// load generator: what it costs is part of the figures.

// hookTarget is what the setup of a pipeline scenario made.
type hookTarget struct {
	url   string // the channel's webhook URL
	token string // its secret token
	tg    *telegramtest.Server
	texts []string // what the updates say, in turn
}

// setupTelegram creates the bot and the channel (without a bot if
// o.noBot): the greeter, or the bot of o.botIntents.
func setupTelegram(ctx context.Context, c *apiClient, tg *telegramtest.Server, o options) (*hookTarget, error) {
	bot := greeterBot()
	if o.botIntents != "" {
		var err error
		if bot, err = intentsBot(o.botIntents); err != nil {
			return nil, err
		}
	}
	// POST /bots trains the bot before it answers: a large one takes
	// seconds.
	slow := *c
	slow.http = loadgen.NewClient(1, 5*time.Minute)
	var botID any
	id, err := slow.createID(ctx, "/api/v1/bots", map[string]any{"name": "bench", "engine": "builtin", "config": bot.config})
	if err != nil {
		return nil, err
	}
	noBot := o.noBot
	if !noBot {
		botID = id
	}
	js, _ := json.Marshal(map[string]any{"type": "telegram", "name": "bench", "bot_id": botID,
		"config": map[string]any{"bot_token": "123:BENCH", "api_base_url": tg.URL}})
	req, err := c.request(ctx, http.MethodPost, "/api/v1/channels", js)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var ch struct {
		ID         string `json:"id"`
		WebhookURL string `json:"webhook_url"`
		Config     struct {
			SecretToken string `json:"secret_token"`
		} `json:"config"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &ch) != nil || ch.Config.SecretToken == "" {
		return nil, fmt.Errorf("POST /api/v1/channels: status %d: %.300s", resp.StatusCode, raw)
	}
	// The server's PUBLIC_URL may differ from -url; the hook is the same path.
	return &hookTarget{url: c.base + "/hooks/channels/" + ch.ID, token: ch.Config.SecretToken, tg: tg, texts: bot.texts}, nil
}

// updates returns a RequestFunc posting a new update each time, and calls
// sent(chatID, at) just before each request is handed to the load
// generator. update ids keep growing across the warm-up and the run.
func (h *hookTarget) updates(users int, sent func(chat int64, at time.Time)) loadgen.RequestFunc {
	var next atomic.Int64
	base := time.Now().UnixNano() % 1_000_000_000 // distinct across runs on one database
	return func(int) (*http.Request, error) {
		n := next.Add(1)
		user := 1_000_000 + n%int64(max(users, 1))
		body := telegramtest.Update(base*1000+n, user, "Bench", h.texts[n%int64(len(h.texts))])
		req, err := http.NewRequest(http.MethodPost, h.url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", h.token)
		if sent != nil {
			sent(user, time.Now())
		}
		return req, nil
	}
}

// prepareInboundAck measures how fast the hook acknowledges updates: the
// load's latency is the time to the 200.
func prepareInboundAck(ctx context.Context, o options, log io.Writer) (loadgen.Config, func(), error) {
	c, err := newAPIClient(o.url, o.key, o.timeout)
	if err != nil {
		return loadgen.Config{}, nil, err
	}
	tg := telegramtest.NewServer()
	h, err := setupTelegram(ctx, c, tg, o)
	if err != nil {
		tg.Close()
		return loadgen.Config{}, nil, err
	}
	fmt.Fprintf(log, "inbound-ack: channel ready (bot: %v), updates from %d users to %s\n", !o.noBot, o.users, h.url)
	cfg := loadgen.Config{ExpectStatus: http.StatusOK, Request: h.updates(o.users, nil)}
	return cfg, tg.Close, nil
}

// replyClock times each update from its send until the bot's reply for
// that chat reaches the fake Bot API. Replies of one chat arrive in the
// order of its updates (the pipeline runs a conversation's jobs in order),
// so each reply answers the oldest unanswered update of its chat.
type replyClock struct {
	mu      sync.Mutex
	waiting map[string][]time.Time // chat → send times of unanswered updates
	hist    *loadgen.Histogram
	sent    atomic.Int64
	got     atomic.Int64
	first   time.Time
	last    time.Time
	done    chan struct{} // signalled when a reply arrives
}

func newReplyClock() *replyClock {
	return &replyClock{waiting: map[string][]time.Time{}, hist: loadgen.NewHistogram(), done: make(chan struct{}, 1)}
}

func (rc *replyClock) sentAt(chat int64, at time.Time) {
	key := strconv.FormatInt(chat, 10)
	rc.mu.Lock()
	rc.waiting[key] = append(rc.waiting[key], at)
	if rc.first.IsZero() {
		rc.first = at
	}
	rc.mu.Unlock()
	rc.sent.Add(1)
}

func (rc *replyClock) replied(call telegramtest.Call) {
	if call.Method != "sendMessage" {
		return
	}
	key := call.ChatID()
	rc.mu.Lock()
	q := rc.waiting[key]
	if len(q) == 0 {
		rc.mu.Unlock()
		return
	}
	at := q[0]
	rc.waiting[key] = q[1:]
	rc.last = call.At
	rc.mu.Unlock()
	rc.hist.Record(call.At.Sub(at))
	rc.got.Add(1)
	select {
	case rc.done <- struct{}{}:
	default:
	}
}

// reset forgets the warm-up.
func (rc *replyClock) reset() {
	rc.mu.Lock()
	rc.waiting = map[string][]time.Time{}
	rc.hist = loadgen.NewHistogram()
	rc.first, rc.last = time.Time{}, time.Time{}
	rc.mu.Unlock()
	rc.sent.Store(0)
	rc.got.Store(0)
}

// wait waits until every update sent has its reply, or nothing arrived for
// quiet.
func (rc *replyClock) wait(quiet time.Duration) {
	for rc.got.Load() < rc.sent.Load() {
		select {
		case <-rc.done:
		case <-time.After(quiet):
			return
		}
	}
}

// runEndToEnd is inbound-ack plus the time from each update's send to the
// bot's reply at the fake Bot API, reported on a second line named
// "e2e-reply" (requests = updates sent, ok = replies, err = updates left
// unanswered; in open loop the time starts when the update is sent, not
// when it was due, since the reply's arrival is seen apart from the
// request). Replies still on their way when the load ends are waited for
// (until none arrives for 10 s).
func runEndToEnd(ctx context.Context, o options, out, log io.Writer) error {
	c, err := newAPIClient(o.url, o.key, o.timeout)
	if err != nil {
		return fmt.Errorf("%s: setup: %w", o.scenario, err)
	}
	tg := telegramtest.NewServer()
	defer tg.Close()
	o.noBot = false
	h, err := setupTelegram(ctx, c, tg, o)
	if err != nil {
		return fmt.Errorf("%s: setup: %w", o.scenario, err)
	}
	rc := newReplyClock()
	tg.OnCall(rc.replied)
	fmt.Fprintf(log, "end-to-end: channel ready, updates from %d users to %s\n", o.users, h.url)
	cfg := loadgen.Config{Name: o.scenario, ExpectStatus: http.StatusOK, Request: h.updates(o.users, rc.sentAt),
		Concurrency: o.concurrency, Rate: o.rate, Timeout: o.timeout}
	if err := warmUp(ctx, cfg, o.warmup); err != nil {
		return fmt.Errorf("%s: warm-up: %w", o.scenario, err)
	}
	rc.wait(5 * time.Second) // let the warm-up's replies in, then forget it
	rc.reset()
	cfg.Duration, cfg.Requests = o.duration, o.requests
	ack, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", o.scenario, err)
	}
	rc.wait(10 * time.Second)
	reply := rc.result(o)
	for _, res := range []*loadgen.Result{ack, reply} {
		if err := appendJSON(o.out, res); err != nil {
			return err
		}
		if err := report(res, o.json, out, log); err != nil {
			return err
		}
	}
	return nil
}

// result summarises the replies as a load result.
func (rc *replyClock) result(o options) *loadgen.Result {
	res := &loadgen.Result{Name: "e2e-reply", Mode: loadgen.ModeClosed, Concurrency: o.concurrency}
	if o.rate > 0 {
		res.Mode, res.TargetRate = loadgen.ModeOpen, o.rate
	}
	res.Requests = rc.sent.Load()
	res.OK = rc.got.Load()
	res.Errors = res.Requests - res.OK
	res.Status.S2xx = res.OK
	rc.mu.Lock()
	res.Elapsed = rc.last.Sub(rc.first)
	rc.mu.Unlock()
	if res.Elapsed > 0 {
		res.Throughput = float64(res.OK) / res.Elapsed.Seconds()
	}
	res.Latency = loadgen.Summarize(rc.hist)
	return res
}
