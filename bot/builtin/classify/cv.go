package classify

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// thresholdCost is the share of right answers the fitted threshold may
// turn away; maxThreshold caps it.
const (
	thresholdCost = 0.02
	maxThreshold  = 0.9
)

// outOfFold holds every example's decision values from the fold model
// that did not see it.
type outOfFold struct {
	intents int
	hasOOS  bool
	scores  [][]float64
	y       []int
	// warm holds each example's dual variables by class, averaged over
	// the folds that trained on it (the "nothing" example last).
	warm [][]float64
}

// CrossValidate estimates a model's accuracy on data with stratified
// k-fold cross-validation: the share of in-scope examples whose intent
// ranks first when the model is trained on the other folds.
func CrossValidate(ctx context.Context, d Data, k int) (float64, error) {
	if k < 2 {
		return 0, fmt.Errorf("%w: cross-validation needs at least 2 folds", ErrData)
	}
	ds, err := prepare(&d)
	if err != nil {
		return 0, err
	}
	oof, err := ds.crossValidate(ctx, k, Options{}.withDefaults())
	if err != nil {
		return 0, err
	}
	return oof.accuracy(), nil
}

// folds assigns each example to one of k folds, each class spread evenly
// over them in a seeded random order.
func (ds *dataset) folds(k int) []int {
	byClass := make([][]int, len(ds.names))
	for i, y := range ds.y {
		byClass[y] = append(byClass[y], i)
	}
	fold := make([]int, len(ds.y))
	next := 0
	for c, rows := range byClass {
		rng := rand.New(rand.NewPCG(seed, uint64(c)))
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		for _, r := range rows {
			fold[r] = next % k
			next++
		}
	}
	return fold
}

func (ds *dataset) crossValidate(ctx context.Context, k int, o Options) (*outOfFold, error) {
	fold := ds.folds(k)
	oof := &outOfFold{intents: ds.intents, hasOOS: len(ds.names) > ds.intents, scores: make([][]float64, len(ds.y)), y: ds.y}
	n := len(ds.y)
	oof.warm = make([][]float64, len(ds.names))
	for c := range oof.warm {
		oof.warm[c] = make([]float64, n+1)
	}
	seen := make([]int, n+1)
	for f := range k {
		var train, test []int
		for i, g := range fold {
			if g == f {
				test = append(test, i)
			} else {
				train = append(train, i)
			}
		}
		if len(test) == 0 || len(train) == 0 {
			continue
		}
		voc, lin, alphas, err := ds.fit(ctx, train, o, nil)
		if err != nil {
			return nil, err
		}
		for c, a := range alphas {
			for k, r := range train {
				oof.warm[c][r] += a[k]
			}
			oof.warm[c][n] += a[len(train)]
		}
		for _, r := range train {
			seen[r]++
		}
		seen[n]++
		for _, i := range test {
			s := make([]float64, len(ds.names))
			lin.scores(voc.vectorize(ds.docs[i]), s)
			oof.scores[i] = s
		}
	}
	for _, a := range oof.warm {
		for i, k := range seen {
			if k > 0 {
				a[i] /= float64(k)
			}
		}
	}
	return oof, nil
}

// best returns the best intent of row i and whether the out-of-scope
// class beats it.
func (o *outOfFold) best(i int) (int, bool) {
	s := o.scores[i]
	c := 0
	for j := 1; j < o.intents; j++ {
		if s[j] > s[c] {
			c = j
		}
	}
	return c, o.hasOOS && s[o.intents] > s[c]
}

func (o *outOfFold) accuracy() float64 {
	right, n := 0, 0
	for i, y := range o.y {
		if y >= o.intents || o.scores[i] == nil {
			continue
		}
		n++
		if c, _ := o.best(i); c == y {
			right++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(right) / float64(n)
}

func (o *outOfFold) oosRecall(cal [3]float64, t float64) float64 {
	found, n := 0, 0
	for i, y := range o.y {
		if y < o.intents || o.scores[i] == nil {
			continue
		}
		n++
		c, oos := o.best(i)
		if oos || conf(cal, o.scores[i], c) < t {
			found++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(found) / float64(n)
}

func conf(cal [3]float64, scores []float64, c int) float64 {
	s, m := features(scores, c)
	return sigmoid(cal[0]*s + cal[1]*m + cal[2])
}

// threshold picks the confidence threshold from the out-of-fold
// predictions: the highest that turns away at most thresholdCost of the
// in-scope examples answered right without one (defaultThreshold when
// there are too few of them to measure that share). Out-of-scope examples
// are not needed to pick it; wrong answers turned away are its gain.
func (o *outOfFold) threshold(cal [3]float64) float64 {
	var right []float64 // confidence of the in-scope examples answered right
	for i, y := range o.y {
		if o.scores[i] == nil || y >= o.intents {
			continue
		}
		if c, oos := o.best(i); c == y && !oos {
			right = append(right, conf(cal, o.scores[i], c))
		}
	}
	if len(right) == 0 || (o.intents == 1 && !o.hasOOS) {
		return defaultThreshold
	}
	slices.Sort(right)
	// Turning away the k least confident right answers costs k. With too
	// few answers for that share to be one (fewer than 50), the threshold
	// is the default: answer what is more likely right than wrong.
	k := int(thresholdCost * float64(len(right)))
	if k == 0 {
		return defaultThreshold
	}
	t := right[k]
	// Below the k+1-th confidence, the threshold turns away k at most.
	return min(max(math.Floor(t*100)/100, 0.01), maxThreshold)
}

// calibrate fits confidence = σ(a·score + b·margin + c) to whether the
// best intent was right in cross-validation (out-of-scope examples are
// never right), by Newton's method with a light L2 penalty. Two anchor
// points state the scale of the decision values (a score of -1 with no
// margin is wrong, a score of 1 with a margin of 2 is right); they decide
// when there are few examples, or none (o nil).
func calibrate(o *outOfFold) [3]float64 {
	type point struct{ s, m, y, w float64 }
	const anchorWeight = 2
	pts := []point{{-1, 0, 0, anchorWeight}, {-0.5, 0, 0, anchorWeight}, {1, 2, 1, anchorWeight}, {0.5, 1, 1, anchorWeight}}
	// With a single class every answer is right: only the anchors say
	// anything.
	if o != nil && len(o.scores) > 0 && (o.intents > 1 || o.hasOOS) {
		for i, y := range o.y {
			if o.scores[i] == nil {
				continue
			}
			c, _ := o.best(i)
			s, m := features(o.scores[i], c)
			label := 0.0
			if c == y {
				label = 1
			}
			pts = append(pts, point{s, m, label, 1})
		}
	}
	const lambda = 0.01
	w := [3]float64{1, 1, 0}
	for range 50 {
		var g [3]float64
		var h [3][3]float64
		for _, p := range pts {
			x := [3]float64{p.s, p.m, 1}
			q := sigmoid(w[0]*x[0] + w[1]*x[1] + w[2])
			for a := range 3 {
				g[a] += p.w * (q - p.y) * x[a]
				for b := range 3 {
					h[a][b] += p.w * q * (1 - q) * x[a] * x[b]
				}
			}
		}
		for a := range 2 {
			g[a] += lambda * w[a]
			h[a][a] += lambda
		}
		h[2][2] += 1e-9
		d, ok := solve3(h, g)
		if !ok {
			break
		}
		step := 0.0
		for a := range 3 {
			w[a] -= d[a]
			step = max(step, math.Abs(d[a]))
		}
		if step < 1e-8 {
			break
		}
	}
	return w
}

// solve3 solves h·d = g by Gaussian elimination with partial pivoting.
func solve3(h [3][3]float64, g [3]float64) ([3]float64, bool) {
	for col := range 3 {
		p := col
		for r := col + 1; r < 3; r++ {
			if math.Abs(h[r][col]) > math.Abs(h[p][col]) {
				p = r
			}
		}
		if math.Abs(h[p][col]) < 1e-12 {
			return g, false
		}
		h[col], h[p] = h[p], h[col]
		g[col], g[p] = g[p], g[col]
		for r := col + 1; r < 3; r++ {
			f := h[r][col] / h[col][col]
			for c := col; c < 3; c++ {
				h[r][c] -= f * h[col][c]
			}
			g[r] -= f * g[col]
		}
	}
	var d [3]float64
	for r := 2; r >= 0; r-- {
		s := g[r]
		for c := r + 1; c < 3; c++ {
			s -= h[r][c] * d[c]
		}
		d[r] = s / h[r][r]
	}
	return d, true
}
