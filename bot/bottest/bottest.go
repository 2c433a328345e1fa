// Package bottest is a bot engine for tests of the bot lifecycle: it
// trains (switchboard.Trainer), answers only with the model of the version
// answering, and can hold trainings back so that a test can stop a
// process in the middle of one.
//
// It is named "builtin" and takes the builtin engine's configuration (as
// the API documents it), but recognises only the examples themselves (case
// and surrounding spaces aside).
package bottest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot/builtin"
)

// Untrainable is a fallback that makes a configuration fail training with
// an invalid_request error naming config.fallback.
const Untrainable = "untrainable"

// Engine is the test engine. Its zero value is not usable: use New.
type Engine struct {
	parser   *builtin.Engine
	trains   atomic.Int32
	mu       sync.Mutex
	held     int           // trainings still to hold back
	gate     chan struct{} // closed by the release function of Hold
	started  chan string   // receives the bot id of each training held
	inflight sync.WaitGroup
}

var (
	_ sb.BotEngine = (*Engine)(nil)
	_ sb.Trainer   = (*Engine)(nil)
)

// New returns the engine.
func New() *Engine { return &Engine{parser: builtin.New()} }

// Name returns "builtin".
func (e *Engine) Name() string { return sb.EngineBuiltin }

// ParseConfig is the builtin engine's.
func (e *Engine) ParseConfig(raw json.RawMessage) (json.RawMessage, map[string]string, error) {
	return e.parser.ParseConfig(raw)
}

// Hold makes the next n trainings wait, once started, until release is
// called or their context ends; started receives the bot id of each as it
// starts.
func (e *Engine) Hold(n int) (started <-chan string, release func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.held, e.gate, e.started = n, make(chan struct{}), make(chan string, n)
	gate := e.gate
	var once sync.Once
	return e.started, func() { once.Do(func() { close(gate) }) }
}

// Wait waits for the trainings in flight to return.
func (e *Engine) Wait() { e.inflight.Wait() }

// Trains is the number of trainings started.
func (e *Engine) Trains() int { return int(e.trains.Load()) }

// config is what the engine reads of a builtin configuration.
type config struct {
	Intents []struct {
		Name      string   `json:"name"`
		Examples  []string `json:"examples"`
		Responses []string `json:"responses"`
	} `json:"intents"`
	Fallback string `json:"fallback"`
}

// Model is the model Train makes of a configuration: the digest of its
// canonical form (databases may store JSON documents in another form).
func Model(cfg json.RawMessage) []byte {
	var v any
	if json.Unmarshal(cfg, &v) == nil {
		cfg, _ = json.Marshal(v)
	}
	sum := sha256.Sum256(cfg)
	return []byte("bottest model " + hex.EncodeToString(sum[:]))
}

// Train makes the model of the configuration, after waiting if it is held
// back. Metrics: {"intents": N}.
func (e *Engine) Train(ctx context.Context, in *sb.TrainInput) (*sb.TrainedModel, error) {
	e.inflight.Add(1)
	defer e.inflight.Done()
	e.trains.Add(1)
	var c config
	if err := json.Unmarshal(in.Config, &c); err != nil {
		return nil, err
	}
	if c.Fallback == Untrainable {
		return nil, sb.Invalid("config.fallback", "cannot be trained")
	}
	e.mu.Lock()
	var gate chan struct{}
	if e.held > 0 {
		e.held--
		gate = e.gate
		e.started <- in.BotID
	}
	e.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	metrics, _ := json.Marshal(map[string]int{"intents": len(c.Intents)})
	return &sb.TrainedModel{Model: Model(in.Config), Metrics: metrics}, nil
}

// Reply answers a text equal to an example of an intent with the first of
// its responses that t.Fill fills, else the fallback. It fails unless
// t.Model returns the model of the configuration answering.
func (e *Engine) Reply(ctx context.Context, t *sb.BotTurn) (*sb.BotAnswer, error) {
	if t.Model == nil || t.Fill == nil {
		return nil, sb.ReplyErrorf(false, "bottest: a turn without a model or a filler")
	}
	m, err := t.Model(ctx)
	if err != nil {
		return nil, err
	}
	if string(m) != string(Model(t.Bot.Config)) {
		return nil, sb.ReplyErrorf(false, "bottest: the model is not the one of the configuration answering")
	}
	var c config
	if err := json.Unmarshal(t.Bot.Config, &c); err != nil {
		return nil, err
	}
	text := strings.ToLower(strings.TrimSpace(t.Message.Text))
	for _, in := range c.Intents {
		for _, ex := range in.Examples {
			if strings.ToLower(strings.TrimSpace(ex)) != text {
				continue
			}
			a := &sb.BotAnswer{Intent: in.Name, Confidence: 1, Ranking: []sb.IntentScore{{Name: in.Name, Confidence: 1}}}
			for _, r := range in.Responses {
				if filled, err := t.Fill(ctx, r); err == nil {
					a.Replies = []string{filled}
					return a, nil
				}
			}
			a.Replies = []string{c.Fallback}
			return a, nil
		}
	}
	return &sb.BotAnswer{Replies: []string{c.Fallback}, OutOfScope: true}, nil
}
