package classify

import (
	"math"
	"slices"
	"strings"
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

// key makes a term's key from its hash: bit 0 is its block, bit 1 set for
// a weak term (an English function word, or a bigram of two), weighed
// weakWeight.
func key(h uint64, block uint64, weak bool) uint64 {
	k := h&^3 | block
	if weak {
		k |= 2
	}
	return k
}

// weakWeight scales the weight of weak terms: "where is my" says less
// about an intent than "cat" does.
const weakWeight = 0.5

// stopWords are the English function words that are weak terms; their
// character n-grams are left out.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the and or but if then so than to of in on at by for with from
		about into over under up down out off as is am are was were be been being do does did done have has had
		having i me my mine myself you your yours we us our ours he him his she her hers it its they them their
		theirs this that these those there here what which who whom whose when where why how can could will
		would shall should may might must just also too very not no yes please s t d ll m re ve`) {
		stopWords[w] = true
	}
}

// Term kinds, hashed first so that a word and an n-gram with the same
// letters are different terms.
const (
	kindWord   = 'w'
	kindBigram = 'b'
	kindChar   = 'c'
	kindSingle = 's'
)

// words splits a text into lower-case words: runs of letters, digits and
// combining marks, in any script, also split where the script changes
// between Han, Hiragana and Katakana (Japanese is written without spaces;
// "返金できますか" is "返金" and "できますか"). Apostrophes inside a word are dropped
// ("don't" is "dont"); every digit becomes 0, so that amounts and dates
// generalise. Only the first maxRunes runes are read.
func words(s string) [][]rune {
	var out [][]rune
	var cur []rune
	n := 0
	script := 0
	for i, r := range s {
		if n++; n > maxRunes {
			break
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsMark(r):
			if sc := japaneseScript(r); sc != script && len(cur) > 0 && !unicode.IsMark(r) {
				out = append(out, cur)
				cur = nil
			}
			if !unicode.IsMark(r) {
				script = japaneseScript(r)
			}
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

// japaneseScript tells Han (1), Hiragana (2) and Katakana (3) apart; 0
// for any other script.
func japaneseScript(r rune) int {
	switch {
	case r < 0x2e80:
		return 0
	case unicode.Is(unicode.Han, r):
		return 1
	case unicode.Is(unicode.Hiragana, r):
		return 2
	case unicode.Is(unicode.Katakana, r) || r == 'ー':
		return 3
	}
	return 0
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
	return unicode.In(r, unicode.Han, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar)
}

// terms appends the keys of a text's terms to dst, with repeats: word
// unigrams and bigrams (stemmed in English) and the character n-grams of
// each word padded with a space at both ends.
func (a *analyzer) terms(s string, dst []uint64) []uint64 {
	ws := words(s)
	var prev string
	var prevWeak bool
	var pad []rune
	for i, w := range ws {
		t := string(w)
		weak := false
		if a.english {
			weak = stopWords[t]
			t = stem(t)
		}
		dst = append(dst, key(hashString(hashByte(fnvOffset, kindWord), t), blockWord, weak))
		if i > 0 {
			h := hashByte(hashString(hashByte(fnvOffset, kindBigram), prev), ' ')
			dst = append(dst, key(hashString(h, t), blockWord, weak && prevWeak))
		}
		prev, prevWeak = t, weak
		if weak {
			continue
		}

		pad = append(append(append(pad[:0], ' '), w...), ' ')
		for n := a.minN; n <= a.maxN; n++ {
			for j := 0; j+n <= len(pad); j++ {
				dst = append(dst, key(hashRunes(hashByte(fnvOffset, kindChar), pad[j:j+n]), blockChar, false))
			}
		}
		for _, r := range w {
			if unspaced(r) {
				dst = append(dst, key(hashRunes(hashByte(fnvOffset, kindSingle), []rune{r}), blockChar, false))
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
	// unseen is the idf of a term no document had. Unknown terms count
	// in a vector's norm: a text made mostly of words the model never saw
	// gets a short vector, hence low scores.
	unseen float32
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
	v.unseen = float32(math.Log(1+n) + 1)
	return v
}

// sparse is a vector of feature weights.
type sparse []entry

// entry is one feature's weight.
type entry struct {
	f int32
	v float32
}

// vectorize weighs a document's sorted keys: sublinear term frequency
// (1 + ln tf) times the idf, each block L2-normalised. Unknown terms are
// left out of the vector but not of the norms.
func (v *vocab) vectorize(keys []uint64) sparse {
	var x sparse
	var norm [2]float64
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j] == keys[i] {
			j++
		}
		tf := 1 + math.Log(float64(j-i))
		if keys[i]&2 != 0 {
			tf *= weakWeight
		}
		if f := v.index(keys[i]); f >= 0 {
			w := tf * float64(v.idf[f])
			x = append(x, entry{int32(f), float32(w)})
			norm[keys[i]&1] += w * w
		} else {
			w := tf * float64(v.unseen)
			norm[keys[i]&1] += w * w
		}
		i = j
	}
	for b := range norm {
		if norm[b] > 0 {
			norm[b] = 1 / math.Sqrt(norm[b])
		}
	}
	for i, e := range x {
		x[i].v *= float32(norm[v.keys[e.f]&1])
	}
	return x
}
