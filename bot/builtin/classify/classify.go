// Package classify is the intent classifier of the builtin bot engine: a
// linear model trained on a bot's example phrases, in pure Go, with no
// service and nothing downloaded.
//
// A text becomes a sparse vector of TF-IDF weighted terms (sublinear term
// frequency, each block L2-normalised): word unigrams and bigrams, and
// character 2- to 5-grams within word boundaries, which carry word forms,
// typos and scripts written without spaces. Words are split on anything
// but letters, digits and marks, in any script, and where Japanese
// changes between Han, Hiragana and Katakana; single Han, Katakana, Thai,
// Lao, Khmer and Myanmar characters are terms too. In English words are
// stemmed with Porter's algorithm, and function words ("where is my")
// weigh half and give no character n-grams. Terms are hashed to 64 bits
// and kept in a sorted vocabulary of those seen in training; terms never
// seen count in a text's norm, so a text made mostly of unknown words
// scores low.
//
// The model is one linear support vector machine per intent against the
// rest (see svm.go); the out-of-scope examples, when given, are a class of
// their own, and an empty "nothing" example is a negative for every
// class. Confidences are calibrated by a logistic fit of "the best intent
// was right" on the best score and its margin over the second, learnt
// from the out-of-fold predictions of a stratified k-fold
// cross-validation (anchored by two prior points for small bots), which
// also gives the accuracy estimate and the confidence threshold below
// which a text is out of scope: the highest that turns away at most 2 %
// of the answers cross-validation got right.
//
// Training is deterministic: the same data and options give the same
// model, bit for bit, whatever the number of workers (seeded generators,
// sorted iteration, each class trained on its own). Across processor
// architectures the last bits may differ where a compiler fuses
// multiply-adds.
package classify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// ErrData is wrapped by the errors Train returns for data it cannot learn
// from (no intents, an intent without usable examples).
var ErrData = errors.New("classify: bad training data")

// Data is what a model learns from.
type Data struct {
	Intents []Intent
	// OutOfScope are phrases that belong to no intent.
	OutOfScope []string
	// Language selects the tokenisation: "en" (or "en-…") stems English
	// words; any other language uses the words as they are.
	Language string
}

// Intent is a class and its example phrases.
type Intent struct {
	Name     string
	Examples []string
}

// Options tune training; the zero value is the default.
type Options struct {
	// C is the cost of a training error against the regularisation
	// (default 1).
	C float64
	// Folds is the number of cross-validation folds (default 3); 1 skips
	// cross-validation, and with it the fitted calibration and threshold.
	Folds int
	// Threshold, if set, replaces the fitted confidence threshold.
	Threshold float64
	// Workers bounds the goroutines training uses (default GOMAXPROCS).
	// It does not change the result.
	Workers int
}

const (
	defaultC     = 1.0
	defaultFolds = 3
	minN, maxN   = 2, 5 // character n-gram lengths
	minDF        = 1
	// defaultThreshold is used when there is nothing to fit it on.
	defaultThreshold = 0.5
	// RankingSize is the number of intents a prediction ranks at most.
	RankingSize = 10
)

// Metrics describe a trained model.
type Metrics struct {
	Intents            int
	Examples           int // in-scope examples
	OutOfScopeExamples int
	// Folds is the number of cross-validation folds run (0: none).
	Folds int
	// CVAccuracy is the share of in-scope examples whose intent came
	// first in cross-validation (out of scope detection aside).
	CVAccuracy float64
	// CVOutOfScopeRecall is the share of out-of-scope examples found out
	// of scope in cross-validation (with the threshold).
	CVOutOfScopeRecall float64
	Threshold          float64
	Features           int
}

// Model is a trained classifier. It is safe for concurrent use.
type Model struct {
	language string
	an       analyzer
	names    []string // the intents, then "" for the out-of-scope class if any
	intents  int
	voc      vocab
	lin      *linear
	cal      [3]float64 // confidence = σ(cal[0]·score + cal[1]·margin + cal[2])
	thresh   float64
	metrics  Metrics
}

// Scored is an intent's confidence.
type Scored struct {
	Intent     string
	Confidence float64
}

// Prediction is what a model makes of a text.
type Prediction struct {
	// Intent is the intent recognised, "" when out of scope.
	Intent string
	// Confidence is the calibrated probability that the best intent is
	// right, from 0 to 1.
	Confidence float64
	// Ranking lists the best intents, best first, at most RankingSize.
	Ranking []Scored
	// OutOfScope is set when the text is closer to the out-of-scope
	// examples than to any intent, or the confidence is below the
	// threshold.
	OutOfScope bool
}

// English reports whether a language tag selects English tokenisation.
func English(lang string) bool {
	lang = strings.ToLower(lang)
	return lang == "en" || strings.HasPrefix(lang, "en-") || strings.HasPrefix(lang, "en_")
}

// dataset is Data analysed: each example's sorted term keys and label
// (the intent's number; the out-of-scope class after the intents).
type dataset struct {
	an      analyzer
	names   []string
	intents int
	docs    [][]uint64
	y       []int
}

func prepare(d *Data) (*dataset, error) {
	if len(d.Intents) == 0 {
		return nil, fmt.Errorf("%w: no intents", ErrData)
	}
	ds := &dataset{an: analyzer{english: English(d.Language), minN: minN, maxN: maxN}, intents: len(d.Intents)}
	seen := map[string]bool{}
	for i, in := range d.Intents {
		if in.Name == "" || seen[in.Name] {
			return nil, fmt.Errorf("%w: intent %d has an empty or repeated name", ErrData, i)
		}
		seen[in.Name] = true
		ds.names = append(ds.names, in.Name)
		n := 0
		for _, ex := range in.Examples {
			if ds.add(ex, i) {
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("%w: intent %q has no example with a word in it", ErrData, in.Name)
		}
	}
	n := 0
	for _, ex := range d.OutOfScope {
		if ds.add(ex, ds.intents) {
			n++
		}
	}
	if n > 0 {
		ds.names = append(ds.names, "")
	}
	return ds, nil
}

func (ds *dataset) add(text string, label int) bool {
	k := ds.an.terms(text, nil)
	if len(k) == 0 {
		return false
	}
	slices.Sort(k)
	ds.docs = append(ds.docs, k)
	ds.y = append(ds.y, label)
	return true
}

func (o Options) withDefaults() Options {
	if o.C <= 0 {
		o.C = defaultC
	}
	if o.Folds == 0 {
		o.Folds = defaultFolds
	}
	return o
}

// fit trains the vocabulary and the linear model on the examples rows,
// from the dual variables init (by class, then row, the "nothing"
// example last; nil: none), and returns the model's.
func (ds *dataset) fit(ctx context.Context, rows []int, o Options, init [][]float64) (vocab, *linear, [][]float64, error) {
	docs := make([][]uint64, len(rows))
	for i, r := range rows {
		docs[i] = ds.docs[r]
	}
	voc := buildVocab(docs, minDF)
	p := &problem{dim: len(voc.keys), labels: len(ds.names)}
	for i, r := range rows {
		p.x = append(p.x, voc.vectorize(docs[i]))
		p.y = append(p.y, ds.y[r])
	}
	// The "nothing" example: no term, negative for every class.
	p.x = append(p.x, sparse{})
	p.y = append(p.y, -1)
	lin, alphas, err := trainLinear(ctx, p, o.C, o.Workers, init)
	return voc, lin, alphas, err
}

// Train learns a model from data.
func Train(ctx context.Context, d Data, o Options) (*Model, error) {
	o = o.withDefaults()
	ds, err := prepare(&d)
	if err != nil {
		return nil, err
	}
	m := &Model{language: d.Language, an: ds.an, names: ds.names, intents: ds.intents}
	m.metrics = Metrics{Intents: ds.intents, Folds: 0}
	for _, y := range ds.y {
		if y < ds.intents {
			m.metrics.Examples++
		} else {
			m.metrics.OutOfScopeExamples++
		}
	}
	var oof *outOfFold
	if o.Folds > 1 {
		oof, err = ds.crossValidate(ctx, o.Folds, o)
		if err != nil {
			return nil, err
		}
	}
	m.cal = calibrate(oof)
	m.thresh = defaultThreshold
	if oof != nil {
		m.thresh = oof.threshold(m.cal)
		m.metrics.Folds = o.Folds
		m.metrics.CVAccuracy = oof.accuracy()
	}
	if o.Threshold > 0 {
		m.thresh = o.Threshold
	}
	if oof != nil {
		m.metrics.CVOutOfScopeRecall = oof.oosRecall(m.cal, m.thresh)
	}
	all := make([]int, len(ds.docs))
	for i := range all {
		all[i] = i
	}
	// The final fit starts where the folds' fits ended, on average: it
	// has less to do.
	var warm [][]float64
	if oof != nil {
		warm = oof.warm
	}
	m.voc, m.lin, _, err = ds.fit(ctx, all, o, warm)
	if err != nil {
		return nil, err
	}
	// The model answers with the weights it is stored with.
	m.lin.scales, m.lin.quant = quantize(m.lin.w, m.lin.classes)
	m.lin.w = dequantize(m.lin.scales, m.lin.quant, m.lin.classes)
	m.metrics.Threshold = m.thresh
	m.metrics.Features = len(m.voc.keys)
	return m, nil
}

// Metrics returns what training measured; a loaded model has only its
// counts, threshold and features.
func (m *Model) Metrics() Metrics { return m.metrics }

// MemoryBytes is about the memory the model takes once loaded.
func (m *Model) MemoryBytes() int {
	return 8*len(m.voc.keys) + 4*len(m.voc.idf) + 4*len(m.lin.w) + len(m.lin.quant) + 4*len(m.lin.scales) + 4*len(m.lin.bias)
}

// Language returns the language the model was trained for.
func (m *Model) Language() string { return m.language }

// Intents returns the names of the model's intents.
func (m *Model) Intents() []string { return slices.Clone(m.names[:m.intents]) }

// Predict classifies a text.
func (m *Model) Predict(text string) Prediction {
	keys := m.an.terms(text, make([]uint64, 0, 256))
	slices.Sort(keys)
	x := m.voc.vectorize(keys)
	var buf [128]float64
	var scores []float64
	if len(m.names) <= len(buf) {
		scores = buf[:len(m.names)]
	} else {
		scores = make([]float64, len(m.names))
	}
	m.lin.scores(x, scores)
	return m.decide(scores, len(x) == 0, m.thresh)
}

// decide turns the decision values into a prediction.
func (m *Model) decide(scores []float64, empty bool, thresh float64) Prediction {
	k := min(RankingSize, m.intents)
	top := topK(scores[:m.intents], k)
	var p Prediction
	p.Ranking = make([]Scored, len(top))
	for i, c := range top {
		p.Ranking[i] = Scored{Intent: m.names[c], Confidence: m.confidence(scores, c)}
	}
	best := top[0]
	p.Confidence = p.Ranking[0].Confidence
	oosClass := len(m.names) > m.intents && scores[m.intents] > scores[best]
	p.OutOfScope = empty || oosClass || p.Confidence < thresh
	if !p.OutOfScope {
		p.Intent = m.names[best]
	}
	return p
}

// confidence is the calibrated probability that class c is right given
// the decision values.
func (m *Model) confidence(scores []float64, c int) float64 {
	s, margin := features(scores, c)
	return sigmoid(m.cal[0]*s + m.cal[1]*margin + m.cal[2])
}

// features are the calibration's inputs for class c: its decision value
// and its margin over the best other class (the out-of-scope class
// included; over 0 when there is no other).
func features(scores []float64, c int) (float64, float64) {
	other := 0.0
	first := true
	for i, s := range scores {
		if i != c && (first || s > other) {
			other, first = s, false
		}
	}
	return scores[c], scores[c] - other
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// topK returns the indices of the k highest scores, best first; ties go
// to the lower index.
func topK(scores []float64, k int) []int {
	top := make([]int, 0, k+1)
	for i, s := range scores {
		if len(top) == k && s <= scores[top[k-1]] {
			continue
		}
		j := len(top)
		for j > 0 && s > scores[top[j-1]] {
			j--
		}
		top = slices.Insert(top, j, i)
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}
