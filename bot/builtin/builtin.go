// Package builtin is the bot engine that needs no service of its own: a
// list of intents, each recognised from example phrases and answered with
// one of its responses, a fallback for everything else, and a handoff
// intent that passes the conversation to a person.
//
// Matching compares the normalised message (lower case, letters and digits
// only, single spaces) with every example of every intent and keeps the
// best score, from 0 to 1, the highest of:
//
//   - the Dice coefficient of their word sets (shared words);
//   - the Dice coefficient of their character trigrams (typos, word forms);
//   - 0.85 × the share of the example's words found in the message (the
//     message says the example and more: "hello there" for "hello").
//
// The intent with the best score answers if it reaches Threshold (0.5);
// ties go to the intent listed first. The response is chosen among the
// intent's responses by the message id, so that retrying a turn gives the
// same answer. Below the threshold the bot answers the fallback (nothing if
// the fallback is empty). The handoff intent answers its responses, if any,
// and hands the conversation to agents; the bot then stays silent until
// the conversation is set active again.
//
// The configuration's language is not used yet: matching works on any
// script that has letters, but knows no stemming or stop words.
package builtin

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	sb "github.com/switchboardhq/switchboard"
)

// Threshold is the score an intent needs to answer.
const Threshold = 0.5

// containmentWeight scales the share of an example's words that the
// message contains.
const containmentWeight = 0.85

// maxCached bounds the compiled bots kept in memory.
const maxCached = 1000

// Engine is the builtin engine. It compiles each bot's configuration once
// (per version) and is safe for concurrent use.
type Engine struct {
	mu    sync.Mutex
	cache map[string]*model
}

var _ sb.BotEngine = (*Engine)(nil)

// New returns the engine.
func New() *Engine { return &Engine{cache: map[string]*model{}} }

// Config is the configuration of a builtin bot.
type Config struct {
	Intents       []Intent `json:"intents"`
	Fallback      string   `json:"fallback"`
	HandoffIntent string   `json:"handoff_intent,omitempty"`
	Language      string   `json:"language,omitempty"`
}

// Intent is one thing a user may want, recognised from its examples.
type Intent struct {
	Name      string   `json:"name"`
	Examples  []string `json:"examples"`
	Responses []string `json:"responses"`
}

// Name returns "builtin".
func (e *Engine) Name() string { return sb.EngineBuiltin }

// ParseConfig validates a builtin bot's configuration: intent names unique
// and given, each intent with examples and (but the handoff intent)
// responses, the handoff intent one of them. It has no secrets; language
// defaults to "en".
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
		}
		if len(in.Responses) == 0 && in.Name != c.HandoffIntent {
			v.Add(p+".responses", "needs at least one response")
		}
	}
	if c.HandoffIntent != "" && !names[c.HandoffIntent] {
		v.Add("config.handoff_intent", "names no intent")
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

// model is a compiled configuration.
type model struct {
	stamp    time.Time // the bot's UpdatedAt when compiled
	intents  []intent
	fallback string
	handoff  string
}

type intent struct {
	name      string
	examples  []text
	responses []string
}

// text is a normalised phrase with its words and trigrams.
type text struct {
	norm     string
	words    map[string]bool
	trigrams map[string]int
	ngrams   int // total trigrams, counted with repeats
}

// Reply matches the message against the bot's intents.
func (e *Engine) Reply(_ context.Context, t *sb.BotTurn) (*sb.BotAnswer, error) {
	m, err := e.model(t.Bot)
	if err != nil {
		return nil, err
	}
	in, score := m.match(t.Message.Text)
	if in == nil || score < Threshold {
		if m.fallback == "" {
			return &sb.BotAnswer{}, nil
		}
		return &sb.BotAnswer{Replies: []string{m.fallback}}, nil
	}
	a := &sb.BotAnswer{Intent: in.name, Handoff: in.name == m.handoff}
	if len(in.responses) > 0 {
		a.Replies = []string{in.responses[pick(t.Message.ID, len(in.responses))]}
	}
	return a, nil
}

// Match returns the name of the intent a text matches and its score, or ""
// if none reaches the threshold; for tests and tools.
func Match(cfg *Config, s string) (string, float64) {
	in, score := compile(cfg, time.Time{}).match(s)
	if in == nil || score < Threshold {
		return "", score
	}
	return in.name, score
}

// model returns the compiled configuration of a bot.
func (e *Engine) model(b *sb.Bot) (*model, error) {
	e.mu.Lock()
	m := e.cache[b.ID]
	e.mu.Unlock()
	if m != nil && m.stamp.Equal(b.UpdatedAt) {
		return m, nil
	}
	var cfg Config
	if err := json.Unmarshal(b.Config, &cfg); err != nil {
		return nil, &sb.ReplyError{Message: "builtin: the bot's configuration does not decode: " + err.Error()}
	}
	m = compile(&cfg, b.UpdatedAt)
	e.mu.Lock()
	if len(e.cache) >= maxCached {
		clear(e.cache)
	}
	e.cache[b.ID] = m
	e.mu.Unlock()
	return m, nil
}

func compile(cfg *Config, stamp time.Time) *model {
	m := &model{stamp: stamp, fallback: strings.TrimSpace(cfg.Fallback), handoff: cfg.HandoffIntent}
	for _, in := range cfg.Intents {
		ci := intent{name: in.Name, responses: in.Responses}
		for _, ex := range in.Examples {
			if t := analyse(ex); t.norm != "" {
				ci.examples = append(ci.examples, t)
			}
		}
		m.intents = append(m.intents, ci)
	}
	return m
}

// match returns the best intent for s and its score.
func (m *model) match(s string) (*intent, float64) {
	msg := analyse(s)
	if msg.norm == "" {
		return nil, 0
	}
	var best *intent
	bestScore := 0.0
	for i := range m.intents {
		for _, ex := range m.intents[i].examples {
			if sc := similarity(&msg, &ex); sc > bestScore {
				best, bestScore = &m.intents[i], sc
			}
		}
	}
	return best, bestScore
}

// similarity scores how well a message matches an example, from 0 to 1.
func similarity(msg, ex *text) float64 {
	if msg.norm == ex.norm {
		return 1
	}
	shared := 0
	for w := range ex.words {
		if msg.words[w] {
			shared++
		}
	}
	wordDice := 2 * float64(shared) / float64(len(msg.words)+len(ex.words))
	containment := containmentWeight * float64(shared) / float64(len(ex.words))
	common := 0
	for g, n := range ex.trigrams {
		common += min(n, msg.trigrams[g])
	}
	triDice := 2 * float64(common) / float64(msg.ngrams+ex.ngrams)
	return max(wordDice, containment, triDice)
}

// analyse normalises a phrase: lower case, runs of anything but letters
// and digits become one space.
func analyse(s string) text {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	t := text{norm: strings.TrimSpace(b.String()), words: map[string]bool{}, trigrams: map[string]int{}}
	if t.norm == "" {
		return t
	}
	for _, w := range strings.Fields(t.norm) {
		t.words[w] = true
	}
	padded := []rune(" " + t.norm + " ")
	for i := 0; i+3 <= len(padded); i++ {
		t.trigrams[string(padded[i:i+3])]++
		t.ngrams++
	}
	return t
}

// pick chooses one of n responses by the message id.
func pick(messageID string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(messageID))
	return int(h.Sum32() % uint32(n))
}
