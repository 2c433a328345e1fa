package classify

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Training of the linear model: one L2-regularised, L2-loss support
// vector machine per class against all the others (one-vs-rest), solved
// in the dual by coordinate descent with shrinking (Hsieh, Chang, Lin,
// Keerthi, Sundararajan, "A Dual Coordinate Descent Method for Large-scale
// Linear SVM", ICML 2008). Each class is trained on its own, in parallel,
// and visits the examples in an order drawn from a generator seeded by
// the class number: the same data gives the same weights bit for bit
// whatever the number of workers.

const (
	biasValue = 1.0 // the constant feature that carries the bias
	// The stopping tolerance on the projected gradient: svmEpsilon, or
	// svmEpsilonSmall for problems of fewer than smallProblem examples,
	// which costs next to nothing there and makes their solution depend
	// less on where the solver started.
	svmEpsilon      = 0.1
	svmEpsilonSmall = 0.001
	smallProblem    = 2000
	svmMaxEpoch     = 300  // passes over the data at most
	seed            = 0x5b // the seed of every generator
)

// problem is a training set: vectors over dim features and their labels,
// a class number, or -1 for an example that is negative for every class.
type problem struct {
	x      []sparse
	y      []int
	dim    int
	labels int // number of classes
}

// linear is a trained one-vs-rest model: w[f*classes+c] is the weight of
// feature f for class c.
type linear struct {
	classes int
	w       []float32
	bias    []float32
	// The weights as stored: one scale per feature and one signed byte
	// per weight (w = scale × q); nil until quantized.
	scales []float32
	quant  []int8
}

// quantize stores each feature's weights as signed bytes scaled by the
// largest of them: a quarter of the size, and the same predictions but
// for ties closer than the rounding.
func quantize(w []float32, classes int) ([]float32, []int8) {
	scales := make([]float32, len(w)/classes)
	q := make([]int8, len(w))
	for f := range scales {
		row := w[f*classes : (f+1)*classes]
		var top float32
		for _, v := range row {
			top = max(top, v, -v)
		}
		if top == 0 {
			continue
		}
		scales[f] = top / 127
		for c, v := range row {
			q[f*classes+c] = int8(math.Round(float64(v / scales[f])))
		}
	}
	return scales, q
}

// dequantize gives back the weights of quantize.
func dequantize(scales []float32, q []int8, classes int) []float32 {
	w := make([]float32, len(q))
	for i, v := range q {
		w[i] = scales[i/classes] * float32(v)
	}
	return w
}

// trainLinear trains one machine per class with regularisation cost c,
// starting from the dual variables init (by class, then example; nil: all
// zero), and returns them as they end.
func trainLinear(ctx context.Context, p *problem, cost float64, workers int, init [][]float64) (*linear, [][]float64, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	m := &linear{classes: p.labels, w: make([]float32, p.dim*p.labels), bias: make([]float32, p.labels)}
	qd := make([]float64, len(p.x))
	diag := 0.5 / cost
	for i, x := range p.x {
		q := diag + biasValue*biasValue
		for _, e := range x {
			q += float64(e.v) * float64(e.v)
		}
		qd[i] = q
	}
	alphas := make([][]float64, p.labels)
	classes := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range min(workers, p.labels) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := make([]float64, p.dim+1)
			for c := range classes {
				clear(w)
				alpha := make([]float64, len(p.x))
				if init != nil {
					copy(alpha, init[c])
				}
				alphas[c] = alpha
				if err := solveClass(ctx, p, c, qd, diag, w, alpha); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				for f := 0; f < p.dim; f++ {
					m.w[f*p.labels+c] = float32(w[f])
				}
				m.bias[c] = float32(w[p.dim] * biasValue)
			}
		}()
	}
	for c := range p.labels {
		classes <- c
	}
	close(classes)
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	return m, alphas, nil
}

// solveClass fits w (dim weights and the bias last, zero) for class c
// against the rest, from the dual variables alpha (one per example,
// updated in place).
func solveClass(ctx context.Context, p *problem, c int, qd []float64, diag float64, w, alpha []float64) error {
	l := len(p.x)
	y := make([]float64, l)
	index := make([]int, l)
	bias := len(w) - 1
	for i := range l {
		index[i] = i
		y[i] = -1
		if p.y[i] == c {
			y[i] = 1
		}
		if alpha[i] != 0 {
			d := alpha[i] * y[i]
			for _, e := range p.x[i] {
				w[e.f] += d * float64(e.v)
			}
			w[bias] += d * biasValue
		}
	}
	eps := svmEpsilon
	if l < smallProblem {
		eps = svmEpsilonSmall
	}
	rng := rand.New(rand.NewPCG(seed, uint64(c)))
	active := l
	pgMaxOld := math.Inf(1)
	for epoch := 0; epoch < svmMaxEpoch; epoch++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		for i := 0; i < active; i++ {
			j := i + rng.IntN(active-i)
			index[i], index[j] = index[j], index[i]
		}
		pgMax, pgMin := math.Inf(-1), math.Inf(1)
		for s := 0; s < active; s++ {
			i := index[s]
			x := p.x[i]
			dot := w[bias] * biasValue
			for _, e := range x {
				dot += w[e.f] * float64(e.v)
			}
			g := y[i]*dot - 1 + diag*alpha[i]
			pg := g
			if alpha[i] == 0 {
				if g > pgMaxOld {
					active--
					index[s], index[active] = index[active], index[s]
					s--
					continue
				}
				pg = min(g, 0)
			}
			pgMax, pgMin = max(pgMax, pg), min(pgMin, pg)
			if math.Abs(pg) > 1e-12 {
				old := alpha[i]
				alpha[i] = max(old-g/qd[i], 0)
				d := (alpha[i] - old) * y[i]
				for _, e := range x {
					w[e.f] += d * float64(e.v)
				}
				w[bias] += d * biasValue
			}
		}
		if pgMax-pgMin <= eps {
			if active == l {
				return nil
			}
			active = l
			pgMaxOld = math.Inf(1)
			continue
		}
		pgMaxOld = pgMax
		if pgMaxOld <= 0 {
			pgMaxOld = math.Inf(1)
		}
	}
	return nil
}

// scores writes the decision value of every class for x into out.
func (m *linear) scores(x sparse, out []float64) {
	for c := range out {
		out[c] = float64(m.bias[c])
	}
	for _, e := range x {
		v := float64(e.v)
		row := m.w[int(e.f)*m.classes : int(e.f+1)*m.classes]
		for c, wc := range row {
			out[c] += v * float64(wc)
		}
	}
}
