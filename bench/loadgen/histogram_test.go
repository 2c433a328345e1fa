package loadgen

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// TestQuantileExactSmallValues checks nearest-rank percentiles on samples
// small enough for the histogram to hold exactly (1 to 100 ns).
func TestQuantileExactSmallValues(t *testing.T) {
	h := NewHistogram()
	for _, v := range rand.Perm(100) {
		h.Record(time.Duration(v + 1))
	}
	cases := []struct {
		q    float64
		want time.Duration
	}{
		{0.01, 1}, {0.5, 50}, {0.9, 90}, {0.99, 99}, {0.999, 100}, {1, 100},
	}
	for _, c := range cases {
		if got := h.Quantile(c.q); got != c.want {
			t.Errorf("Quantile(%g) = %d, want %d", c.q, got, c.want)
		}
	}
	if h.Count() != 100 || h.Min() != 1 || h.Max() != 100 {
		t.Errorf("count, min, max = %d, %d, %d; want 100, 1, 100", h.Count(), h.Min(), h.Max())
	}
	if got := h.Mean(); got != 50 { // 5050/100 in integer nanoseconds
		t.Errorf("Mean = %d, want 50", got)
	}
}

// TestQuantileKnownMilliseconds checks percentiles of 1 ms … 1000 ms, one
// sample each, to within the histogram's stated precision.
func TestQuantileKnownMilliseconds(t *testing.T) {
	h := NewHistogram()
	for _, v := range rand.Perm(1000) {
		h.Record(time.Duration(v+1) * time.Millisecond)
	}
	want := map[float64]time.Duration{
		0.5: 500 * time.Millisecond, 0.9: 900 * time.Millisecond,
		0.99: 990 * time.Millisecond, 0.999: 999 * time.Millisecond,
	}
	for q, w := range want {
		assertClose(t, q, h.Quantile(q), w)
	}
	if h.Max() != time.Second || h.Min() != time.Millisecond {
		t.Errorf("min, max = %s, %s; want exact 1ms, 1s", h.Min(), h.Max())
	}
}

// TestQuantileMatchesSortedSamples compares the histogram with an exact
// nearest-rank computation on random samples spanning six decades.
func TestQuantileMatchesSortedSamples(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	h := NewHistogram()
	samples := make([]time.Duration, 20000)
	for i := range samples {
		samples[i] = time.Duration(r.ExpFloat64() * float64(r.IntN(1_000_000)+1) * 1000)
		h.Record(samples[i])
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		assertClose(t, q, h.Quantile(q), exactQuantile(samples, q))
	}
}

// exactQuantile is the nearest-rank q-quantile of sorted samples.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(q*float64(len(sorted)) + 0.999999999)
	return sorted[max(rank, 1)-1]
}

// assertClose fails unless got is within the histogram's precision of want.
func assertClose(t *testing.T, q float64, got, want time.Duration) {
	t.Helper()
	tol := float64(want)/subCount + 1
	if d := float64(got - want); d > tol || d < -tol {
		t.Errorf("Quantile(%g) = %s, want %s ± %.0fns", q, got, want, tol)
	}
}

// TestHistogramEmptyAndExtremes checks the empty histogram and values at
// the edges of the range.
func TestHistogramEmptyAndExtremes(t *testing.T) {
	h := NewHistogram()
	if h.Quantile(0.5) != 0 || h.Min() != 0 || h.Max() != 0 || h.Mean() != 0 {
		t.Fatal("empty histogram should report zeros")
	}
	h.Record(-5)
	h.Record(time.Duration(1<<63 - 1))
	if h.Min() != 0 || h.Quantile(1) != time.Duration(1<<63-1) {
		t.Errorf("min, p100 = %d, %d", h.Min(), h.Quantile(1))
	}
}

// TestBucketsAreOrderedAndContiguous checks that bucket midpoints grow
// with the index and that each value falls in the bucket whose range
// holds it.
func TestBucketsAreOrderedAndContiguous(t *testing.T) {
	for i := 1; i < numBuckets; i++ {
		if bucketMid(i) <= bucketMid(i-1) {
			t.Fatalf("bucketMid(%d) = %d not above bucketMid(%d) = %d", i, bucketMid(i), i-1, bucketMid(i-1))
		}
	}
	for _, v := range []int64{0, 127, 128, 129, 255, 256, 1000, 1 << 20, 1<<40 + 12345, 1<<63 - 1} {
		if got := bucketOf(bucketMid(bucketOf(v))); got != bucketOf(v) {
			t.Errorf("value %d: bucket %d, its midpoint falls in %d", v, bucketOf(v), got)
		}
	}
}

// BenchmarkHistogramRecord measures the cost of recording one sample.
func BenchmarkHistogramRecord(b *testing.B) {
	h := NewHistogram()
	b.RunParallel(func(pb *testing.PB) {
		d := time.Duration(0)
		for pb.Next() {
			d += 997
			h.Record(d % (50 * time.Millisecond))
		}
	})
}
