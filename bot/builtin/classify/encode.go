package classify

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// The binary form of a model, little-endian:
//
//	"SBIC", format version (1 byte), flags (bit 0: English), min and max
//	character n-gram length (1 byte each)
//	language, the intents' names (uvarint count, then each as a uvarint
//	length and UTF-8), 1 byte: whether an out-of-scope class follows
//	calibration (3 float64), threshold (float64)
//	metrics: examples, out-of-scope examples, folds (uvarint),
//	cross-validated accuracy and out-of-scope recall (float64)
//	features D (uvarint), the idf of an unseen term (float32), D keys
//	(uint64, ascending), D idf (float32), D weight scales (float32),
//	D×classes weights (int8, feature-major: weight = scale × byte),
//	classes biases (float32)
const (
	magic         = "SBIC"
	formatVersion = 1
)

// ErrFormat is wrapped by the errors Load returns for bytes that are not
// a model of a known version.
var ErrFormat = errors.New("classify: not a model")

// MarshalBinary encodes the model.
func (m *Model) MarshalBinary() ([]byte, error) {
	classes := len(m.names)
	b := make([]byte, 0, 64+len(m.voc.keys)*(16+classes)+4*classes)
	b = append(b, magic...)
	flags := byte(0)
	if m.an.english {
		flags |= 1
	}
	b = append(b, formatVersion, flags, byte(m.an.minN), byte(m.an.maxN))
	b = appendString(b, m.language)
	b = binary.AppendUvarint(b, uint64(m.intents))
	for _, n := range m.names[:m.intents] {
		b = appendString(b, n)
	}
	b = append(b, boolByte(classes > m.intents))
	for _, f := range []float64{m.cal[0], m.cal[1], m.cal[2], m.thresh} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	for _, n := range []int{m.metrics.Examples, m.metrics.OutOfScopeExamples, m.metrics.Folds} {
		b = binary.AppendUvarint(b, uint64(n))
	}
	for _, f := range []float64{m.metrics.CVAccuracy, m.metrics.CVOutOfScopeRecall} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	b = binary.AppendUvarint(b, uint64(len(m.voc.keys)))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.voc.unseen))
	for _, k := range m.voc.keys {
		b = binary.LittleEndian.AppendUint64(b, k)
	}
	for _, f := range m.voc.idf {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	for _, f := range m.lin.scales {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	for _, q := range m.lin.quant {
		b = append(b, byte(q))
	}
	for _, f := range m.lin.bias {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// reader decodes the binary form; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated or corrupt at %s", ErrFormat, what)
	}
}

func (r *reader) bytes(n int, what string) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.fail(what)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) uvarint(what string, limit uint64) int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > limit {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

func (r *reader) string(what string) string {
	return string(r.bytes(r.uvarint(what, uint64(len(r.b))), what))
}

func (r *reader) float64(what string) float64 {
	b := r.bytes(8, what)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

func (r *reader) float32s(n int, what string) []float32 {
	b := r.bytes(4*n, what)
	if b == nil {
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// Load decodes a model that MarshalBinary encoded.
func Load(b []byte) (*Model, error) {
	if len(b) < len(magic)+4 || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: no model header", ErrFormat)
	}
	if v := b[len(magic)]; v != formatVersion {
		return nil, fmt.Errorf("%w: format version %d is not known", ErrFormat, v)
	}
	flags, lo, hi := b[len(magic)+1], int(b[len(magic)+2]), int(b[len(magic)+3])
	if lo < 1 || hi < lo || hi > 16 {
		return nil, fmt.Errorf("%w: bad n-gram lengths", ErrFormat)
	}
	r := &reader{b: b[len(magic)+4:]}
	m := &Model{an: analyzer{english: flags&1 != 0, minN: lo, maxN: hi}}
	m.language = r.string("language")
	m.intents = r.uvarint("intents", uint64(len(r.b)))
	if r.err == nil && m.intents == 0 {
		r.fail("intents")
	}
	for range m.intents {
		m.names = append(m.names, r.string("intent name"))
	}
	if oos := r.bytes(1, "out-of-scope class"); oos != nil && oos[0] == 1 {
		m.names = append(m.names, "")
	}
	for i := range m.cal {
		m.cal[i] = r.float64("calibration")
	}
	m.thresh = r.float64("threshold")
	m.metrics.Intents = m.intents
	m.metrics.Examples = r.uvarint("examples", math.MaxInt32)
	m.metrics.OutOfScopeExamples = r.uvarint("examples", math.MaxInt32)
	m.metrics.Folds = r.uvarint("folds", math.MaxInt32)
	m.metrics.CVAccuracy = r.float64("accuracy")
	m.metrics.CVOutOfScopeRecall = r.float64("recall")
	m.metrics.Threshold = m.thresh
	classes := len(m.names)
	d := r.uvarint("features", uint64(len(r.b)/8))
	if u := r.float32s(1, "unseen idf"); u != nil {
		m.voc.unseen = u[0]
	}
	if kb := r.bytes(8*d, "keys"); kb != nil {
		m.voc.keys = make([]uint64, d)
		for i := range m.voc.keys {
			m.voc.keys[i] = binary.LittleEndian.Uint64(kb[8*i:])
		}
	}
	m.voc.idf = r.float32s(d, "idf")
	scales := r.float32s(d, "scales")
	if r.err == nil && d > len(r.b)/max(classes, 1) {
		r.fail("weights")
	}
	var quant []int8
	if qb := r.bytes(d*classes, "weights"); qb != nil {
		quant = make([]int8, len(qb))
		for i, v := range qb {
			quant[i] = int8(v)
		}
	}
	bias := r.float32s(classes, "biases")
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the model", ErrFormat, len(r.b))
	}
	if !slices.IsSorted(m.voc.keys) {
		return nil, fmt.Errorf("%w: keys out of order", ErrFormat)
	}
	m.lin = &linear{classes: classes, w: dequantize(scales, quant, classes), bias: bias, scales: scales, quant: quant}
	m.metrics.Features = d
	return m, nil
}
