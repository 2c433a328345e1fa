// Package builtin is the bot engine that needs no service of its own: a
// list of intents, each learnt from example phrases and answered with one
// of its responses, a fallback for everything else, and a handoff intent
// that passes the conversation to a person.
//
// Training (Train) fits the classifier of package classify on the
// configuration: TF-IDF weighted word and character n-grams, one linear
// support vector machine per intent, out_of_scope_examples as a class of
// their own, calibrated confidences and a confidence threshold fitted by
// cross-validation; the model is stored with the version and decoded once
// per process (a small cache by bot and version). Reply classifies the
// message: an intent recognised with enough confidence answers one of its
// responses, chosen by the message id so that retrying a turn gives the
// same answer, and filled by the turn's template filler; a response whose
// placeholders cannot be filled gives way to the intent's next one, then
// to the fallback. Out of scope, the bot answers the fallback (nothing if
// it is empty). The handoff intent answers its responses, if any, and
// hands the conversation to agents. An intent's action is returned with
// the answer.
//
// language selects the tokenisation: "en" stems English words and weighs
// function words less; any other language works on its words as they are
// and their character n-grams (Chinese and Japanese included).
package builtin

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/bot/builtin/classify"
	"github.com/switchboardhq/switchboard/tmpl"
)

// Bounds of the cache of decoded models: at most maxCached of them, and
// at most maxCachedBytes of memory (a Banking77-sized bot, 77 intents and
// 10,000 examples, takes about 14 MB decoded, 3.3 MB encoded).
const (
	maxCached      = 256
	maxCachedBytes = 256 << 20
)

// Engine is the builtin engine. It is safe for concurrent use.
type Engine struct {
	mu    sync.Mutex
	cache map[cacheKey]*list.Element // of *cached
	lru   list.List                  // most recently used first
	bytes int
}

var (
	_ sb.BotEngine = (*Engine)(nil)
	_ sb.Trainer   = (*Engine)(nil)
)

// New returns the engine.
func New() *Engine { return &Engine{cache: map[cacheKey]*list.Element{}} }

// Config is the configuration of a builtin bot.
type Config struct {
	Intents []Intent `json:"intents"`
	// OutOfScopeExamples are phrases that must get the fallback.
	OutOfScopeExamples []string `json:"out_of_scope_examples,omitempty"`
	Fallback           string   `json:"fallback"`
	HandoffIntent      string   `json:"handoff_intent,omitempty"`
	Language           string   `json:"language,omitempty"`
}

// Intent is one thing a user may want, recognised from its examples.
type Intent struct {
	Name      string   `json:"name"`
	Examples  []string `json:"examples"`
	Responses []string `json:"responses"`
	// Action is the integration action run when the intent answers.
	Action *sb.IntentAction `json:"action,omitempty"`
}

// Name returns "builtin".
func (e *Engine) Name() string { return sb.EngineBuiltin }

// ParseConfig validates a builtin bot's configuration: intent names unique
// and given, each intent with at least one example that has a word in it
// and (but the handoff intent) responses, responses and the fallback
// well-formed templates (package tmpl), the handoff intent one of them,
// an action with its integration and action named and its params an
// object. It has no secrets; language defaults to "en".
func (e *Engine) ParseConfig(raw json.RawMessage) (json.RawMessage, map[string]string, error) {
	var c Config
	if err := sb.DecodeConfig(raw, &c); err != nil {
		return nil, nil, err
	}
	var v sb.Validation
	names := map[string]bool{}
	for i, in := range c.Intents {
		p := "config.intents[" + strconv.Itoa(i) + "]"
		if in.Name == "" {
			v.Add(p+".name", "is required")
		} else if names[in.Name] {
			v.Add(p+".name", "is used by another intent")
		}
		names[in.Name] = true
		if len(in.Examples) == 0 {
			v.Add(p+".examples", "needs at least one example")
		} else if !anyWord(in.Examples) {
			v.Add(p+".examples", "needs at least one example with a letter or digit")
		}
		if len(in.Responses) == 0 && in.Name != c.HandoffIntent {
			v.Add(p+".responses", "needs at least one response")
		}
		for j, r := range in.Responses {
			checkTemplate(&v, p+".responses["+strconv.Itoa(j)+"]", r)
		}
		if a := in.Action; a != nil {
			if strings.TrimSpace(a.IntegrationID) == "" {
				v.Add(p+".action.integration_id", "is required")
			}
			if strings.TrimSpace(a.Action) == "" {
				v.Add(p+".action.action", "is required")
			}
			if len(a.Params) > 0 && !isObject(a.Params) {
				v.Add(p+".action.params", "must be an object")
			}
		}
	}
	checkTemplate(&v, "config.fallback", c.Fallback)
	if c.HandoffIntent != "" && !names[c.HandoffIntent] {
		v.Add("config.handoff_intent", "names no intent")
	}
	if c.Language != "" && !validLanguage(c.Language) {
		v.Add("config.language", "must be a language tag such as en, de or pt-BR")
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	if c.Intents == nil {
		c.Intents = []Intent{}
	}
	if c.Language == "" {
		c.Language = "en"
	}
	out, err := json.Marshal(c)
	return out, nil, err
}

// checkTemplate reports a response that is not a well-formed template
// with known placeholders.
func checkTemplate(v *sb.Validation, field, text string) {
	if _, err := tmpl.Placeholders(text); err != nil {
		var se *sb.Error
		if errors.As(err, &se) {
			v.Add(field, se.Message)
		} else {
			v.Add(field, err.Error())
		}
	}
}

func anyWord(texts []string) bool {
	for _, s := range texts {
		if strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			return true
		}
	}
	return false
}

func isObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil
}

// validLanguage accepts BCP 47-like tags: letters, then subtags of letters
// and digits after '-' or '_'.
func validLanguage(s string) bool {
	if len(s) > 35 {
		return false
	}
	for i, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' }) {
		if part == "" || len(part) > 8 {
			return false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return s[0] != '-' && s[0] != '_' && s[len(s)-1] != '-' && s[len(s)-1] != '_'
}

// data turns a configuration into the classifier's training data.
func (c *Config) data() classify.Data {
	d := classify.Data{Language: c.Language, OutOfScope: c.OutOfScopeExamples}
	for _, in := range c.Intents {
		d.Intents = append(d.Intents, classify.Intent{Name: in.Name, Examples: in.Examples})
	}
	return d
}

// Metrics are a version's training metrics.
type Metrics struct {
	Intents            int     `json:"intents"`
	Examples           int     `json:"examples"`
	OutOfScopeExamples int     `json:"out_of_scope_examples"`
	TrainingMS         int64   `json:"training_ms"`
	CVAccuracy         float64 `json:"cv_accuracy"`
	CVFolds            int     `json:"cv_folds"`
	CVOutOfScopeRecall float64 `json:"cv_out_of_scope_recall"`
	Threshold          float64 `json:"threshold"`
	ModelBytes         int     `json:"model_bytes"`
}

// Train fits the classifier on the configuration's intents and
// out-of-scope examples and returns the encoded model with its metrics.
// A configuration without intents has no model: it answers the fallback.
func (e *Engine) Train(ctx context.Context, in *sb.TrainInput) (*sb.TrainedModel, error) {
	var c Config
	if err := json.Unmarshal(in.Config, &c); err != nil {
		return nil, sb.Invalid("config", "does not decode: "+err.Error())
	}
	start := time.Now() // a duration measured, not a time stamped
	if len(c.Intents) == 0 {
		// Nothing to learn: the bot answers the fallback to everything.
		metrics, err := json.Marshal(Metrics{OutOfScopeExamples: len(c.OutOfScopeExamples)})
		return &sb.TrainedModel{Metrics: metrics}, err
	}
	m, err := classify.Train(ctx, c.data(), classify.Options{})
	if errors.Is(err, classify.ErrData) {
		return nil, sb.Invalid("config.intents", strings.TrimPrefix(err.Error(), classify.ErrData.Error()+": "))
	}
	if err != nil {
		return nil, err
	}
	blob, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	mt := m.Metrics()
	metrics, err := json.Marshal(Metrics{
		Intents: mt.Intents, Examples: mt.Examples, OutOfScopeExamples: mt.OutOfScopeExamples,
		TrainingMS: time.Since(start).Milliseconds(),
		CVAccuracy: round4(mt.CVAccuracy), CVFolds: mt.Folds, CVOutOfScopeRecall: round4(mt.CVOutOfScopeRecall),
		Threshold: mt.Threshold, ModelBytes: len(blob),
	})
	if err != nil {
		return nil, err
	}
	return &sb.TrainedModel{Model: blob, Metrics: metrics}, nil
}

func round4(f float64) float64 { return float64(int64(f*10000+0.5)) / 10000 }

// compiled is a version ready to answer: its configuration and model.
type compiled struct {
	cfg   Config
	model *classify.Model
}

// cacheKey names a compiled version: the bot, its version and, for a
// version without a model, its configuration's hash.
type cacheKey struct {
	bot     string
	version int
	config  uint64
}

type cached struct {
	key   cacheKey
	ready chan struct{}
	c     *compiled
	err   error
	size  int
}

// compiled returns the turn's version ready to answer, decoding its model
// once per process; a version without a model (a bot trained before
// models existed) is trained here, once.
func (e *Engine) compiled(ctx context.Context, t *sb.BotTurn) (*compiled, error) {
	k := cacheKey{bot: t.Bot.ID, version: t.Version}
	if t.Model == nil {
		h := fnv.New64a()
		h.Write(t.Bot.Config)
		k.config = h.Sum64()
	}
	e.mu.Lock()
	if el, ok := e.cache[k]; ok {
		e.lru.MoveToFront(el)
		ent := el.Value.(*cached)
		e.mu.Unlock()
		select {
		case <-ent.ready:
			return ent.c, ent.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ent := &cached{key: k, ready: make(chan struct{})}
	e.cache[k] = e.lru.PushFront(ent)
	e.mu.Unlock()

	ent.c, ent.size, ent.err = load(ctx, t)
	close(ent.ready)
	e.mu.Lock()
	defer e.mu.Unlock()
	if ent.err != nil {
		if el, ok := e.cache[k]; ok && el.Value == ent {
			e.lru.Remove(el)
			delete(e.cache, k)
		}
		return nil, ent.err
	}
	if el, ok := e.cache[k]; ok && el.Value == ent {
		e.bytes += ent.size
	}
	for e.lru.Len() > 1 && (e.lru.Len() > maxCached || e.bytes > maxCachedBytes) {
		el := e.lru.Back()
		old := el.Value.(*cached)
		if old == ent {
			break
		}
		e.lru.Remove(el)
		delete(e.cache, old.key)
		e.bytes -= old.size
	}
	return ent.c, nil
}

// load decodes the turn's configuration and model.
func load(ctx context.Context, t *sb.BotTurn) (*compiled, int, error) {
	c := &compiled{}
	if err := json.Unmarshal(t.Bot.Config, &c.cfg); err != nil {
		return nil, 0, &sb.ReplyError{Message: "builtin: the bot's configuration does not decode: " + err.Error()}
	}
	if t.Model != nil {
		blob, err := t.Model(ctx)
		if err != nil {
			return nil, 0, &sb.ReplyError{Retryable: true, Message: "builtin: reading the model: " + err.Error()}
		}
		if c.model, err = classify.Load(blob); err != nil {
			return nil, 0, &sb.ReplyError{Message: "builtin: " + err.Error()}
		}
		return c, c.model.MemoryBytes() + len(t.Bot.Config), nil
	}
	if len(c.cfg.Intents) == 0 {
		return c, len(t.Bot.Config), nil
	}
	m, err := classify.Train(ctx, c.cfg.data(), classify.Options{})
	if err != nil {
		// Cut short (the turn's context ended): another turn tries again.
		retry := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
		return nil, 0, &sb.ReplyError{Retryable: retry, Message: "builtin: training the bot: " + err.Error()}
	}
	c.model = m
	return c, m.MemoryBytes() + len(t.Bot.Config), nil
}

// Reply classifies the message and answers it.
func (e *Engine) Reply(ctx context.Context, t *sb.BotTurn) (*sb.BotAnswer, error) {
	c, err := e.compiled(ctx, t)
	if err != nil {
		return nil, err
	}
	a := &sb.BotAnswer{OutOfScope: true}
	if c.model != nil {
		p := c.model.Predict(t.Message.Text)
		a.Confidence, a.OutOfScope = p.Confidence, p.OutOfScope
		a.Ranking = make([]sb.IntentScore, len(p.Ranking))
		for i, r := range p.Ranking {
			a.Ranking[i] = sb.IntentScore{Name: r.Intent, Confidence: r.Confidence}
		}
		a.Intent = p.Intent
	}
	var in *Intent
	for i := range c.cfg.Intents {
		if !a.OutOfScope && c.cfg.Intents[i].Name == a.Intent {
			in = &c.cfg.Intents[i]
		}
	}
	if in == nil {
		a.Intent, a.OutOfScope = "", true
		return e.fallback(ctx, t, c, a)
	}
	a.Handoff = in.Name == c.cfg.HandoffIntent
	a.Action = in.Action
	if len(in.Responses) == 0 {
		return a, nil
	}
	first := pick(t.Message.ID, len(in.Responses))
	for i := range in.Responses {
		text, ok, err := fill(ctx, t, in.Responses[(first+i)%len(in.Responses)])
		if err != nil {
			return nil, err
		}
		if ok {
			a.Replies = []string{text}
			return a, nil
		}
	}
	return e.fallback(ctx, t, c, a)
}

// fallback answers the filled fallback, or nothing when it is empty or
// cannot be filled.
func (e *Engine) fallback(ctx context.Context, t *sb.BotTurn, c *compiled, a *sb.BotAnswer) (*sb.BotAnswer, error) {
	fb := strings.TrimSpace(c.cfg.Fallback)
	if fb == "" {
		return a, nil
	}
	text, ok, err := fill(ctx, t, fb)
	if err != nil {
		return nil, err
	}
	if ok {
		a.Replies = []string{text}
	}
	return a, nil
}

// fill fills a response's placeholders. It reports false when they
// cannot all be filled; other errors (the facts could not be read) end
// the turn, to be tried again.
func fill(ctx context.Context, t *sb.BotTurn, template string) (string, bool, error) {
	if t.Fill == nil {
		return template, !strings.Contains(template, "{{"), nil
	}
	text, err := t.Fill(ctx, template)
	if err == nil {
		return text, true, nil
	}
	if sb.ErrorCode(err) == sb.EInvalid {
		return "", false, nil
	}
	return "", false, &sb.ReplyError{Retryable: true, Message: "builtin: filling a response: " + err.Error()}
}

// pick chooses one of n responses by the message id.
func pick(messageID string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(messageID))
	return int(h.Sum32() % uint32(n))
}
