package classify

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
)

// shop is a small customer-service bot.
var shop = Data{
	Language: "en",
	Intents: []Intent{
		{Name: "refund", Examples: []string{"I want a refund", "can I get my money back", "I'd like to return this item and be refunded", "how do I return something"}},
		{Name: "order_status", Examples: []string{"where is my order", "has my parcel been shipped", "track my delivery", "when will my package arrive"}},
		{Name: "greet", Examples: []string{"hello", "hi there", "good morning", "hey"}},
		{Name: "hours", Examples: []string{"when are you open", "what are your opening hours", "are you open on sunday", "what time do you close"}},
		{Name: "cancel", Examples: []string{"cancel my order", "I don't want the order anymore", "please stop my purchase", "can I cancel what I bought"}},
		{Name: "human", Examples: []string{"talk to a human", "I want to speak to a person", "get me an agent", "can I talk to someone real"}},
	},
}

var shopOOS = []string{
	"what's the weather like today", "tell me a joke", "who won the football match",
	"I want a pizza", "book me a flight to Rome", "what is the capital of France",
	"play some music", "how do I cook pasta", "my dog is sick", "what time is it in Tokyo",
	"recommend a good film", "how tall is mount everest",
}

func train(t testing.TB, d Data, o Options) *Model {
	t.Helper()
	m, err := Train(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGeneralisesToUnseenPhrasings(t *testing.T) {
	m := train(t, shop, Options{})
	for _, tc := range []struct{ text, want string }{
		{"refund please", "refund"},
		{"I want my money back!", "refund"},
		{"refunds", "refund"},
		{"where's my parcel?", "order_status"},
		{"Track my order please", "order_status"},
		{"my package hasn't arrived", "order_status"},
		{"hello there", "greet"},
		{"Good morning!", "greet"},
		{"are you open tomorrow", "hours"},
		{"what time do you open", "hours"},
		{"please cancel the order", "cancel"},
		{"I'd like to speak with a human", "human"},
		{"wher is my ordr", "order_status"}, // typos
	} {
		p := m.Predict(tc.text)
		if p.Intent != tc.want || p.OutOfScope {
			t.Errorf("Predict(%q) = %q (confidence %.2f, out of scope %v, ranking %v), want %q",
				tc.text, p.Intent, p.Confidence, p.OutOfScope, p.Ranking, tc.want)
		}
	}
}

func TestOutOfScope(t *testing.T) {
	d := shop
	d.OutOfScope = shopOOS
	m := train(t, d, Options{})
	for _, s := range []string{"where is my cat", "I want a pizza", "what's the weather in Paris", "tell me about volcanoes", "banana", "xq zzv"} {
		if p := m.Predict(s); !p.OutOfScope || p.Intent != "" {
			t.Errorf("Predict(%q) = %q (confidence %.2f, threshold %.2f), want out of scope", s, p.Intent, p.Confidence, m.Metrics().Threshold)
		}
	}
	for _, tc := range []struct{ text, want string }{
		{"refund please", "refund"},
		{"where is my order", "order_status"},
		{"when do you open", "hours"},
		{"hi", "greet"},
	} {
		if p := m.Predict(tc.text); p.Intent != tc.want {
			t.Errorf("Predict(%q) = %q (confidence %.2f, out of scope %v), want %q", tc.text, p.Intent, p.Confidence, p.OutOfScope, tc.want)
		}
	}
	met := m.Metrics()
	if met.OutOfScopeExamples != len(shopOOS) || met.Examples != 24 || met.Intents != 6 || met.Folds != 3 {
		t.Fatalf("metrics %+v", met)
	}
}

func TestPredictionShape(t *testing.T) {
	m := train(t, shop, Options{})
	p := m.Predict("track my delivery")
	if len(p.Ranking) != len(shop.Intents) || p.Ranking[0].Intent != p.Intent || p.Ranking[0].Confidence != p.Confidence {
		t.Fatalf("ranking %+v for %+v", p.Ranking, p)
	}
	for i := 1; i < len(p.Ranking); i++ {
		if p.Ranking[i].Confidence > p.Ranking[i-1].Confidence {
			t.Fatalf("ranking not best first: %+v", p.Ranking)
		}
	}
	for _, r := range p.Ranking {
		if r.Confidence < 0 || r.Confidence > 1 || math.IsNaN(r.Confidence) {
			t.Fatalf("confidence out of [0,1]: %+v", r)
		}
	}
	if p.Confidence < 0.5 {
		t.Fatalf("an example itself is not recognised confidently: %+v", p)
	}
}

func TestRankingIsCapped(t *testing.T) {
	var d Data
	for i := range 15 {
		name := string(rune('a'+i)) + "intent"
		d.Intents = append(d.Intents, Intent{Name: name, Examples: []string{"word" + name + " thing", name}})
	}
	m := train(t, d, Options{})
	if p := m.Predict("worddintent"); len(p.Ranking) != RankingSize || p.Ranking[0].Intent != "dintent" {
		t.Fatalf("%+v", p)
	}
}

func TestDeterministic(t *testing.T) {
	d := shop
	d.OutOfScope = shopOOS
	a, err := train(t, d, Options{Workers: 1}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b, err := train(t, d, Options{Workers: 4}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("the same data trained two different models")
	}
	// Another seed of the data (one example less) gives another model.
	d.Intents = append([]Intent(nil), d.Intents...)
	d.Intents[0].Examples = d.Intents[0].Examples[1:]
	c, _ := train(t, d, Options{}).MarshalBinary()
	if bytes.Equal(a, c) {
		t.Fatal("different data trained the same model")
	}
}

func TestRoundTrip(t *testing.T) {
	d := shop
	d.OutOfScope = shopOOS
	m := train(t, d, Options{})
	blob, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	l, err := Load(blob)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append([]string{"refund please", "where is my cat", "", "hello"}, shopOOS...) {
		if a, b := m.Predict(s), l.Predict(s); a.Intent != b.Intent || a.Confidence != b.Confidence || a.OutOfScope != b.OutOfScope || len(a.Ranking) != len(b.Ranking) {
			t.Fatalf("%q: trained %+v, loaded %+v", s, a, b)
		}
	}
	if l.Language() != "en" || strings.Join(l.Intents(), ",") != "refund,order_status,greet,hours,cancel,human" {
		t.Fatalf("loaded %q %v", l.Language(), l.Intents())
	}
	if lm, mm := l.Metrics(), m.Metrics(); lm.Threshold != mm.Threshold || lm.Examples != mm.Examples || lm.CVAccuracy != mm.CVAccuracy || lm.Features != mm.Features {
		t.Fatalf("metrics: loaded %+v, trained %+v", lm, mm)
	}
	again, _ := l.MarshalBinary()
	if !bytes.Equal(again, blob) {
		t.Fatal("a loaded model encodes differently")
	}

	bad := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XXXX"), blob[4:]...),
		"version":   append(append([]byte("SBIC"), 99), blob[5:]...),
		"truncated": blob[:len(blob)-3],
		"trailing":  append(append([]byte(nil), blob...), 0),
	}
	for name, b := range bad {
		if _, err := Load(b); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: Load = %v, want ErrFormat", name, err)
		}
	}
	for n := 0; n < len(blob); n += 1 + n/3 {
		if _, err := Load(blob[:n]); err == nil {
			t.Fatalf("a model cut at %d bytes loads", n)
		}
	}
}

func TestOtherLanguages(t *testing.T) {
	for _, tc := range []struct {
		data  Data
		texts map[string]string // text: intent
	}{
		{Data{Language: "de", Intents: []Intent{
			{Name: "rueckerstattung", Examples: []string{"Ich möchte mein Geld zurück", "Bitte erstatten Sie den Betrag", "Rückerstattung beantragen"}},
			{Name: "bestellung", Examples: []string{"Wo ist meine Bestellung", "Wann kommt mein Paket an", "Sendungsverfolgung"}},
			{Name: "gruss", Examples: []string{"Hallo", "Guten Morgen", "Grüß Gott"}},
		}}, map[string]string{
			"Rückerstattung bitte":        "rueckerstattung",
			"wo bleibt meine Bestellung?": "bestellung",
			"GUTEN MORGEN!":               "gruss",
		}},
		{Data{Language: "ja", Intents: []Intent{
			{Name: "refund", Examples: []string{"返金してください", "返金をお願いします", "お金を返してほしい"}},
			{Name: "order", Examples: []string{"注文はどこですか", "荷物はいつ届きますか", "配送状況を確認したい"}},
			{Name: "greet", Examples: []string{"こんにちは", "おはようございます", "こんばんは"}},
		}}, map[string]string{
			"返金できますか": "refund",
			"私の注文はどこ": "order",
			"こんにちは！":  "greet",
		}},
	} {
		m := train(t, tc.data, Options{})
		for text, want := range tc.texts {
			if p := m.Predict(text); p.Intent != want {
				t.Errorf("%s: Predict(%q) = %+v, want %q", tc.data.Language, text, p, want)
			}
		}
	}
}

func TestEdgeInputs(t *testing.T) {
	m := train(t, shop, Options{})
	for _, s := range []string{"", "   ", "?!...", "\x00\xff\xfe", "🙂🙂"} {
		if p := m.Predict(s); !p.OutOfScope || p.Intent != "" || len(p.Ranking) == 0 {
			t.Errorf("Predict(%q) = %+v, want out of scope with a ranking", s, p)
		}
	}
	huge := strings.Repeat("where is my order ", 200_000) // 3.6 MB
	if p := m.Predict(huge); p.Intent != "order_status" {
		t.Errorf("huge input: %+v", p)
	}
	if p := m.Predict(strings.Repeat("x", 1<<20)); p.Intent != "" && p.Confidence > 0.9 {
		t.Errorf("a megabyte of one letter is taken confidently for %+v", p)
	}
}

func TestTrainRefusesBadData(t *testing.T) {
	for name, d := range map[string]Data{
		"no intents":       {},
		"empty name":       {Intents: []Intent{{Name: "", Examples: []string{"hi"}}}},
		"repeated name":    {Intents: []Intent{{Name: "a", Examples: []string{"hi"}}, {Name: "a", Examples: []string{"yo"}}}},
		"no usable phrase": {Intents: []Intent{{Name: "a", Examples: []string{"hi"}}, {Name: "b", Examples: []string{"", "?!"}}}},
	} {
		if _, err := Train(context.Background(), d, Options{}); !errors.Is(err, ErrData) {
			t.Errorf("%s: %v, want ErrData", name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, shop, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled training: %v", err)
	}
}

func TestOneIntent(t *testing.T) {
	m := train(t, Data{Language: "en", Intents: []Intent{{Name: "hello", Examples: []string{"hello", "hi"}}}}, Options{})
	if p := m.Predict("hello!"); p.Intent != "hello" {
		t.Fatalf("%+v", p)
	}
	if p := m.Predict("the weather in Paris"); !p.OutOfScope {
		t.Fatalf("an unrelated message is taken for the only intent: %+v", p)
	}
}

func TestCrossValidate(t *testing.T) {
	acc, err := CrossValidate(context.Background(), shop, 4)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.5 || acc > 1 {
		t.Fatalf("accuracy %v", acc)
	}
	if _, err := CrossValidate(context.Background(), shop, 1); !errors.Is(err, ErrData) {
		t.Fatalf("one fold: %v", err)
	}
}

func TestStem(t *testing.T) {
	for in, want := range map[string]string{
		"caresses": "caress", "ponies": "poni", "cats": "cat", "feed": "feed", "agreed": "agre",
		"plastered": "plaster", "motoring": "motor", "hopping": "hop", "filing": "file",
		"happy": "happi", "relational": "relat", "conditional": "condit", "generalization": "gener",
		"refunded": "refund", "refunding": "refund", "refunds": "refund", "electrical": "electr",
		"adjustable": "adjust", "controlling": "control", "rate": "rate", "a": "a", "café": "café",
	} {
		if got := stem(in); got != want {
			t.Errorf("stem(%q) = %q, want %q", in, got, want)
		}
	}
}

// banking77 reads a split of the Banking77 copy in testdata (Casanueva et
// al., 2020, CC BY 4.0).
func banking77(t testing.TB, split string) (texts, labels []string) {
	t.Helper()
	f, err := os.Open("testdata/banking77/" + split + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		texts, labels = append(texts, r[0]), append(labels, r[1])
	}
	return texts, labels
}

func banking77Data(t testing.TB, keep func(label string) bool) Data {
	texts, labels := banking77(t, "train")
	d := Data{Language: "en"}
	at := map[string]int{}
	for i, l := range labels {
		if !keep(l) {
			continue
		}
		j, ok := at[l]
		if !ok {
			j = len(d.Intents)
			at[l] = j
			d.Intents = append(d.Intents, Intent{Name: l})
		}
		d.Intents[j].Examples = append(d.Intents[j].Examples, texts[i])
	}
	return d
}

// TestBanking77Subset trains on the train split of 20 Banking77 intents
// and classifies their test split.
func TestBanking77Subset(t *testing.T) {
	picked := map[string]bool{}
	d := banking77Data(t, func(l string) bool {
		if len(picked) < 20 {
			picked[l] = true
		}
		return picked[l]
	})
	m := train(t, d, Options{Folds: 1})
	texts, labels := banking77(t, "test")
	right, n := 0, 0
	for i, s := range texts {
		if picked[labels[i]] {
			n++
			if m.Predict(s).Ranking[0].Intent == labels[i] {
				right++
			}
		}
	}
	if acc := float64(right) / float64(n); acc < 0.9 {
		t.Fatalf("accuracy on %d test phrases of 20 intents: %.3f", n, acc)
	}
}

var sink Prediction

func BenchmarkPredict(b *testing.B) {
	m := train(b, banking77Data(b, func(string) bool { return true }), Options{Folds: 1})
	texts, _ := banking77(b, "test")
	// On a shared machine the wall-clock time per prediction includes the
	// waits for a core; cpu-ns/op is the thread's CPU time alone.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0, ok := threadCPU()
	i := 0
	for b.Loop() {
		sink = m.Predict(texts[i%len(texts)])
		i++
	}
	if c1, ok1 := threadCPU(); ok && ok1 {
		b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkTrain trains on the whole Banking77 train split (10,003
// phrases, 77 intents), cross-validation included.
func BenchmarkTrain(b *testing.B) {
	d := banking77Data(b, func(string) bool { return true })
	for b.Loop() {
		train(b, d, Options{})
	}
}

func BenchmarkLoad(b *testing.B) {
	blob, _ := train(b, banking77Data(b, func(string) bool { return true }), Options{Folds: 1}).MarshalBinary()
	b.SetBytes(int64(len(blob)))
	for b.Loop() {
		if _, err := Load(blob); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTinyData(t *testing.T) {
	for _, d := range []Data{
		{Intents: []Intent{{Name: "a", Examples: []string{"open the door"}}}},
		{Intents: []Intent{{Name: "a", Examples: []string{"open the door"}}, {Name: "b", Examples: []string{"close the window"}}}},
		{Intents: []Intent{{Name: "a", Examples: []string{"open the door"}}}, OutOfScope: []string{"sing a song"}},
	} {
		for _, folds := range []int{1, 2, 10} {
			m := train(t, d, Options{Folds: folds})
			if p := m.Predict("open the door"); p.Intent != "a" {
				t.Errorf("%d intents, %d folds: an example itself gives %+v", len(d.Intents), folds, p)
			}
		}
	}
}
