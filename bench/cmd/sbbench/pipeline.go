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
	bases []string // the servers of -url
	path  string   // the channel's webhook path
	token string   // its secret token
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
	return &hookTarget{bases: o.urls, path: "/hooks/channels/" + ch.ID, token: ch.Config.SecretToken, tg: tg, texts: bot.texts}, nil
}

// chatHeader carries an update's chat id on the request, so that the
// acknowledgement can be counted for its chat.
const chatHeader = "X-Bench-Chat"

// updates returns a RequestFunc posting a new update each time, and calls
// sent(chatID, at) just before each request is handed to the load
// generator. update ids keep growing across the warm-up and the run. The
// updates come from the users in turn, spread over the servers: each
// user's successive updates go to the servers in turn.
func (h *hookTarget) updates(users int, sent func(chat int64, at time.Time)) loadgen.RequestFunc {
	var next atomic.Int64
	base := time.Now().UnixNano() % 1_000_000_000 // distinct across runs on one database
	users = max(users, 1)
	return func(int) (*http.Request, error) {
		n := next.Add(1)
		u, server := spread(int(n), users, len(h.bases))
		user := 1_000_000 + int64(u)
		body := telegramtest.Update(base*1000+n, user, "Bench", h.texts[n%int64(len(h.texts))])
		req, err := http.NewRequest(http.MethodPost, h.bases[server]+h.path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", h.token)
		req.Header.Set(chatHeader, strconv.FormatInt(user, 10))
		if sent != nil {
			sent(user, time.Now())
		}
		return req, nil
	}
}

// runInboundAck measures how fast the hook acknowledges updates: the
// load's latency is the time to the 200. With the bot, it then waits for
// the replies (up to -drain) and counts, per chat, the acknowledged
// updates left unanswered (missing) and the replies beyond the updates
// sent (duplicates).
func runInboundAck(ctx context.Context, o options, out, log io.Writer) error {
	c, err := newAPIClient(o.url, o.key, o.timeout)
	if err != nil {
		return fmt.Errorf("%s: setup: %w", o.scenario, err)
	}
	tg := telegramtest.NewServer()
	defer tg.Close()
	h, err := setupTelegram(ctx, c, tg, o)
	if err != nil {
		return fmt.Errorf("%s: setup: %w", o.scenario, err)
	}
	fmt.Fprintf(log, "inbound-ack: channel ready (bot: %v), updates from %d users to %s on %d server(s)\n", !o.noBot, o.users, h.path, len(h.bases))
	cfg := loadgen.Config{Name: o.scenario, ExpectStatus: http.StatusOK, Request: h.updates(o.users, nil),
		Concurrency: o.concurrency, Rate: o.rate, Timeout: o.timeout}
	rc := newReplyClock()
	if !o.noBot { // no reply is expected without the bot
		tg.OnCall(rc.replied)
		cfg.Request, cfg.Check = h.updates(o.users, rc.sentAt), rc.ackCheck
	}
	if err := warmUp(ctx, cfg, o.warmup); err != nil {
		return fmt.Errorf("%s: warm-up: %w", o.scenario, err)
	}
	cfg.Duration, cfg.Requests = o.duration, o.requests
	res, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", o.scenario, err)
	}
	if o.noBot {
		return emit(o, res, res.ErrorSamples, out, log)
	}
	if err := rc.wait(ctx, 10*time.Second, o.drain, o.linger); err != nil {
		return err
	}
	missing, dups := rc.check()
	return emit(o, checkedResult{Result: res, Missing: missing, Duplicates: dups}, res.ErrorSamples, out, log)
}

// replyClock follows each chat's updates and the bot's replies at the fake
// Bot API. Replies of one chat arrive in the order of its updates (the
// pipeline runs a conversation's jobs in order), so each reply answers the
// oldest unanswered update of its chat; it times the updates of the
// measured run from their send until that reply.
//
// It also counts, per chat, the updates sent, those acknowledged and the
// replies, warm-up included: an acknowledged update without its reply is
// missing, a reply beyond the chat's updates sent is a duplicate. The
// replies carry no trace of the update they answer, so these are counts per
// chat: a lost and a doubled reply in the same chat cancel out.
type replyClock struct {
	mu        sync.Mutex
	chats     map[string]*chatReplies
	measuring bool // updates sent from now on are timed
	acked     int64
	matched   int64 // the sum over chats of min(acked, replies)
	dups      int64 // the sum over chats of max(replies - sent, 0)
	hist      *loadgen.Histogram
	sent      atomic.Int64 // measured updates sent
	got       atomic.Int64 // replies to measured updates
	first     time.Time
	last      time.Time
	done      chan struct{} // signalled when a reply or an acknowledgement arrives
}

// chatReplies is what a replyClock knows of one chat.
type chatReplies struct {
	waiting []pendingUpdate // sent and not yet answered, oldest first
	sent    int64
	acked   int64
	replies int64
}

// pendingUpdate is an update waiting for its reply.
type pendingUpdate struct {
	at       time.Time
	measured bool
}

func newReplyClock() *replyClock {
	return &replyClock{chats: map[string]*chatReplies{}, hist: loadgen.NewHistogram(), done: make(chan struct{}, 1)}
}

// chat returns the state of a chat (under rc.mu).
func (rc *replyClock) chat(key string) *chatReplies {
	c := rc.chats[key]
	if c == nil {
		c = &chatReplies{}
		rc.chats[key] = c
	}
	return c
}

func (rc *replyClock) sentAt(chat int64, at time.Time) {
	rc.mu.Lock()
	c := rc.chat(strconv.FormatInt(chat, 10))
	c.sent++
	c.waiting = append(c.waiting, pendingUpdate{at: at, measured: rc.measuring})
	measured := rc.measuring
	if measured && rc.first.IsZero() {
		rc.first = at
	}
	rc.mu.Unlock()
	if measured {
		rc.sent.Add(1)
	}
}

// ackCheck is the load's Check: it counts the acknowledgement (a 200) of
// an update for its chat.
func (rc *replyClock) ackCheck(resp *http.Response) error {
	key := resp.Request.Header.Get(chatHeader)
	if key == "" {
		return fmt.Errorf("no %s on the request", chatHeader)
	}
	rc.mu.Lock()
	c := rc.chat(key)
	c.acked++
	rc.acked++
	if c.acked <= c.replies {
		rc.matched++
	}
	rc.mu.Unlock()
	rc.signal()
	return nil
}

func (rc *replyClock) replied(call telegramtest.Call) {
	if call.Method != "sendMessage" {
		return
	}
	rc.mu.Lock()
	c := rc.chat(call.ChatID())
	c.replies++
	if c.replies <= c.acked {
		rc.matched++
	}
	if c.replies > c.sent {
		rc.dups++
	}
	var u pendingUpdate
	answered := len(c.waiting) > 0
	if answered {
		u = c.waiting[0]
		c.waiting = c.waiting[1:]
	}
	timed := answered && u.measured
	if timed {
		rc.last = call.At
	}
	rc.mu.Unlock()
	if timed {
		rc.hist.Record(call.At.Sub(u.at))
		rc.got.Add(1)
	}
	rc.signal()
}

func (rc *replyClock) signal() {
	select {
	case rc.done <- struct{}{}:
	default:
	}
}

// startMeasuring forgets the warm-up's timings: the updates sent from now
// on are the measured ones. The counts per chat go on.
func (rc *replyClock) startMeasuring() {
	rc.mu.Lock()
	rc.measuring = true
	rc.hist = loadgen.NewHistogram()
	rc.first, rc.last = time.Time{}, time.Time{}
	rc.mu.Unlock()
	rc.sent.Store(0)
	rc.got.Store(0)
}

// wait waits until every update acknowledged has its reply, nothing
// arrived for quiet, drain passed or ctx is done; once all are in, it goes
// on counting for linger (duplicates).
func (rc *replyClock) wait(ctx context.Context, quiet, drain, linger time.Duration) error {
	deadline := time.NewTimer(drain)
	defer deadline.Stop()
	for {
		rc.mu.Lock()
		all := rc.matched >= rc.acked
		rc.mu.Unlock()
		if all {
			return sleep(ctx, linger)
		}
		silence := time.NewTimer(quiet)
		select {
		case <-rc.done:
			silence.Stop()
		case <-silence.C:
			return nil
		case <-deadline.C:
			silence.Stop()
			return nil
		case <-ctx.Done():
			silence.Stop()
			return ctx.Err()
		}
	}
}

// check returns the acknowledged updates left unanswered and the replies
// beyond the updates sent, summed over the chats.
func (rc *replyClock) check() (missing, duplicates int64) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.acked - rc.matched, rc.dups
}

// runEndToEnd is inbound-ack plus the time from each update's send to the
// bot's reply at the fake Bot API, reported on a second line named
// "e2e-reply" (requests = updates sent, ok = replies, err = updates left
// unanswered; in open loop the time starts when the update is sent, not
// when it was due, since the reply's arrival is seen apart from the
// request), with the missing and duplicate replies (as inbound-ack's).
// Replies still on their way when the load ends are waited for (until
// none arrives for 10 s, or -drain).
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
	fmt.Fprintf(log, "end-to-end: channel ready, updates from %d users to %s on %d server(s)\n", o.users, h.path, len(h.bases))
	cfg := loadgen.Config{Name: o.scenario, ExpectStatus: http.StatusOK, Request: h.updates(o.users, rc.sentAt), Check: rc.ackCheck,
		Concurrency: o.concurrency, Rate: o.rate, Timeout: o.timeout}
	if err := warmUp(ctx, cfg, o.warmup); err != nil {
		return fmt.Errorf("%s: warm-up: %w", o.scenario, err)
	}
	if err := rc.wait(ctx, 5*time.Second, o.drain, 0); err != nil { // let the warm-up's replies in
		return err
	}
	rc.startMeasuring()
	cfg.Duration, cfg.Requests = o.duration, o.requests
	ack, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", o.scenario, err)
	}
	if err := rc.wait(ctx, 10*time.Second, o.drain, o.linger); err != nil {
		return err
	}
	missing, dups := rc.check()
	if err := emit(o, ack, ack.ErrorSamples, out, log); err != nil {
		return err
	}
	reply := checkedResult{Result: rc.result(o), Missing: missing, Duplicates: dups}
	return emit(o, reply, nil, out, log)
}

// result summarises the replies to the measured updates as a load result.
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
