package loadgen

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// subBits sets the histogram's precision: every power of two is split into
// 2^subBits buckets, so a recorded value is known to within 1/2^subBits of
// itself (0.8 %), and values below 2^subBits nanoseconds exactly.
const subBits = 7

const (
	subCount   = 1 << subBits
	maxShift   = 63 - subBits
	numBuckets = (maxShift + 1) * subCount
)

// Histogram records durations in log-linear buckets with a relative error
// below 1 %, in a fixed 58 KiB whatever the number of samples. It is safe
// for concurrent use: Record takes no lock. The minimum, maximum and mean
// are exact.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	total  atomic.Uint64
	sum    atomic.Int64
	min    atomic.Int64
	max    atomic.Int64
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	h := &Histogram{}
	h.min.Store(math.MaxInt64)
	return h
}

// Record adds one sample. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[bucketOf(v)].Add(1)
	h.total.Add(1)
	h.sum.Add(v)
	storeMin(&h.min, v)
	storeMax(&h.max, v)
}

// Count returns the number of samples recorded.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Min returns the smallest sample, or zero if there is none.
func (h *Histogram) Min() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.min.Load())
}

// Max returns the largest sample, or zero if there is none.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Mean returns the arithmetic mean of the samples, or zero if there is none.
func (h *Histogram) Mean() time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / int64(n))
}

// Quantile returns the nearest-rank q-quantile (0 < q ≤ 1): the smallest
// recorded value v such that at least q of the samples are ≤ v, to within
// the histogram's precision and clamped to the exact minimum and maximum;
// the last rank is the exact maximum.
// It returns zero for an empty histogram.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(n))), 1)
	if rank >= n {
		return h.Max()
	}
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return h.clamp(bucketMid(i))
		}
	}
	return h.Max()
}

// clamp bounds v by the exact minimum and maximum.
func (h *Histogram) clamp(v int64) time.Duration {
	return time.Duration(min(max(v, int64(h.Min())), int64(h.Max())))
}

// bucketOf returns the index of the bucket that holds v ≥ 0.
func bucketOf(v int64) int {
	u := uint64(v)
	if u < subCount {
		return int(u)
	}
	shift := bits.Len64(u) - 1 - subBits
	return (shift+1)*subCount + int(u>>shift) - subCount
}

// bucketMid returns the middle of bucket i's range of values.
func bucketMid(i int) int64 {
	if i < subCount {
		return int64(i)
	}
	shift := i/subCount - 1
	low := int64(subCount+i%subCount) << shift
	return low + (int64(1)<<shift)/2
}

// storeMin lowers a to v if v is smaller.
func storeMin(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v >= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// storeMax raises a to v if v is larger.
func storeMax(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}
