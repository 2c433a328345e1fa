package classify

import (
	"math"
	"slices"
	"unicode"
	"unicode/utf8"
)

// maxRunes bounds the work one text costs: only its first maxRunes
// letters, digits and separators count.
const maxRunes = 4096

// Feature blocks. A term's key is a 64-bit FNV-1a hash of its text whose
// lowest bit says its block; each block of a vector is L2-normalised on
// its own, so that words and character n-grams weigh the same.
const (
	blockWord = 0 // word unigrams and bigrams
	blockChar = 1 // character n-grams within words
)

// analyzer turns a text into the keys of its terms.
type analyzer struct {
	english    bool // stem words with Porter's algorithm
	minN, maxN int  // character n-gram lengths
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = hashByte(h, s[i])
	}
	return h
}

func hashRunes(h uint64, rs []rune) uint64 {
	var buf [utf8.UTFMax]byte
	for _, r := range rs {
		n := utf8.EncodeRune(buf[:], r)
		for _, b := range buf[:n] {
			h = hashByte(h, b)
		}
	}
	return h
}

func key(h uint64, block uint64) uint64 { return h&^1 | block }

// Term kinds, hashed first so that a word and an n-gram with the same
// letters are different terms.
const (
	kindWord   = 'w'
	kindBigram = 'b'
	kindChar   = 'c'
	kindSingle = 's'
)

// words splits a text into lower-case words: runs of letters, digits and
// combining marks, in any script. Apostrophes inside a word are dropped
// ("don't" is "dont"); every digit becomes 0, so that amounts and dates
// generalise. Only the first maxRunes runes are read.
func words(s string) [][]rune {
	var out [][]rune
	var cur []rune
	n := 0
	for i, r := range s {
		if n++; n > maxRunes {
			break
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsMark(r):
			cur = append(cur, unicode.ToLower(r))
		case unicode.IsDigit(r):
			cur = append(cur, '0')
		case isApostrophe(r) && len(cur) > 0 && isLetterAfter(s, i+utf8.RuneLen(r)):
			// inside a word: skipped
		default:
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func isApostrophe(r rune) bool { return r == '\'' || r == '\u2019' || r == '\u02bc' }

func isLetterAfter(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}

// unspaced reports whether r belongs to a script written without spaces
// between words, whose single characters are terms of their own.
func unspaced(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar)
}

// terms appends the keys of a text's terms to dst, with repeats: word
// unigrams and bigrams (stemmed in English) and the character n-grams of
// each word padded with a space at both ends.
func (a *analyzer) terms(s string, dst []uint64) []uint64 {
	ws := words(s)
	var prev string
	var pad []rune
	for i, w := range ws {
		t := string(w)
		if a.english {
			t = stem(t)
		}
		dst = append(dst, key(hashString(hashByte(fnvOffset, kindWord), t), blockWord))
		if i > 0 {
			h := hashByte(hashString(hashByte(fnvOffset, kindBigram), prev), ' ')
			dst = append(dst, key(hashString(h, t), blockWord))
		}
		prev = t

		pad = append(append(append(pad[:0], ' '), w...), ' ')
		for n := a.minN; n <= a.maxN; n++ {
			for j := 0; j+n <= len(pad); j++ {
				dst = append(dst, key(hashRunes(hashByte(fnvOffset, kindChar), pad[j:j+n]), blockChar))
			}
		}
		for _, r := range w {
			if unspaced(r) {
				dst = append(dst, key(hashRunes(hashByte(fnvOffset, kindSingle), []rune{r}), blockChar))
			}
		}
	}
	return dst
}

// vocab is the terms a model knows, sorted by key, with their inverse
// document frequencies.
type vocab struct {
	keys []uint64
	idf  []float32
}

// index returns the position of k in the vocabulary, or -1.
func (v *vocab) index(k uint64) int {
	i, ok := slices.BinarySearch(v.keys, k)
	if !ok {
		return -1
	}
	return i
}

// buildVocab collects the terms of the documents (each given as its sorted
// keys with repeats) that occur in at least minDF of them.
func buildVocab(docs [][]uint64, minDF int) vocab {
	df := map[uint64]int32{}
	for _, d := range docs {
		for i, k := range d {
			if i == 0 || d[i-1] != k {
				df[k]++
			}
		}
	}
	var v vocab
	for k, n := range df {
		if int(n) >= minDF {
			v.keys = append(v.keys, k)
		}
	}
	slices.Sort(v.keys)
	v.idf = make([]float32, len(v.keys))
	n := float64(len(docs))
	for i, k := range v.keys {
		v.idf[i] = float32(math.Log((1+n)/(1+float64(df[k]))) + 1)
	}
	return v
}

// sparse is a vector of term weights.
type sparse struct {
	idx []int32
	val []float32
}

// vectorize weighs a document's sorted keys: sublinear term frequency
// (1 + ln tf) times the idf, each block L2-normalised. Unknown terms are
// left out.
func (v *vocab) vectorize(keys []uint64) sparse {
	var x sparse
	var norm [2]float64
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j] == keys[i] {
			j++
		}
		if f := v.index(keys[i]); f >= 0 {
			w := (1 + math.Log(float64(j-i))) * float64(v.idf[f])
			x.idx = append(x.idx, int32(f))
			x.val = append(x.val, float32(w))
			norm[keys[i]&1] += w * w
		}
		i = j
	}
	for b := range norm {
		if norm[b] > 0 {
			norm[b] = 1 / math.Sqrt(norm[b])
		}
	}
	for i, f := range x.idx {
		x.val[i] *= float32(norm[v.keys[f]&1])
	}
	return x
}
