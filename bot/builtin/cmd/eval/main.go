// Command eval measures the builtin engine's intent classifier on a
// labelled dataset: it trains on the train split, classifies the test
// split one message at a time and reports the accuracy, the out-of-scope
// recall on held-out out-of-scope phrases, the training time, the peak
// memory and the latency of one prediction (p50, p99).
//
//	go run ./bot/builtin/cmd/eval [-data DIR] [-oos FILE] [-oos-train=false] [-folds 3] [-c 1]
//
// DIR holds train.csv and test.csv (columns text,category, with a header
// row). The default is the copy of Banking77 kept in the repository:
// Casanueva, Temčinas, Gerz, Henderson, Vulić, "Efficient Intent Detection
// with Dual Sentence Encoders", NLP4ConvAI 2020 (arXiv:2003.04807),
// licensed CC BY 4.0 (bot/builtin/classify/testdata/banking77/LICENSE).
//
// FILE lists out-of-scope phrases, one a line (lines starting with # are
// comments). The first phrase and every other one after it are given to
// training as out_of_scope_examples, the others are held out to measure
// the out-of-scope recall; -oos-train=false holds them all out (the
// threshold alone must then find them), -oos "" does without them. The
// threshold is fitted by cross-validation on the train split only: the
// test split is never used to tune anything.
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/bot/builtin/classify"
)

func main() {
	data := flag.String("data", "bot/builtin/classify/testdata/banking77", "directory with train.csv and test.csv")
	oosPath := flag.String("oos", "bot/builtin/classify/testdata/out_of_scope.txt", "out-of-scope phrases, one a line (\"\": none)")
	folds := flag.Int("folds", 3, "cross-validation folds (1: none)")
	cost := flag.Float64("c", 1, "the linear model's regularisation cost C")
	lang := flag.String("language", "en", "the language of the dataset")
	oosTrain := flag.Bool("oos-train", true, "give half the out-of-scope phrases to training (false: hold them all out)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "eval:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(os.Stdout, *data, *oosPath, *oosTrain, *lang, *folds, *cost); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type example struct{ text, label string }

func run(w io.Writer, dir, oosPath string, useOOS bool, lang string, folds int, cost float64) error {
	train, err := readCSV(filepath.Join(dir, "train.csv"))
	if err != nil {
		return err
	}
	test, err := readCSV(filepath.Join(dir, "test.csv"))
	if err != nil {
		return err
	}
	var oosTrain, oosTest []string
	if oosPath != "" {
		lines, err := readLines(oosPath)
		if err != nil {
			return err
		}
		for i, l := range lines {
			if i%2 == 0 && useOOS {
				oosTrain = append(oosTrain, l)
			} else {
				oosTest = append(oosTest, l)
			}
		}
	}
	d := classify.Data{Language: lang, OutOfScope: oosTrain}
	byName := map[string]int{}
	for _, e := range train {
		i, ok := byName[e.label]
		if !ok {
			i = len(d.Intents)
			byName[e.label] = i
			d.Intents = append(d.Intents, classify.Intent{Name: e.label})
		}
		d.Intents[i].Examples = append(d.Intents[i].Examples, e.text)
	}

	runtime.GC()
	start, cpu0 := time.Now(), cpuTime()
	m, err := classify.Train(context.Background(), d, classify.Options{Folds: folds, C: cost})
	if err != nil {
		return err
	}
	trainTime, trainCPU := time.Since(start), cpuTime()-cpu0
	blob, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	start = time.Now()
	if m, err = classify.Load(blob); err != nil {
		return err
	}
	loadTime := time.Since(start)

	right, answeredRight, unknown := 0, 0, 0
	var lat, cpuLat []time.Duration
	lockThread()
	defer unlockThread()
	predict := func(text string) classify.Prediction {
		c0, cpuOK := threadCPU()
		t0 := time.Now()
		p := m.Predict(text)
		lat = append(lat, time.Since(t0))
		if c1, ok := threadCPU(); ok && cpuOK {
			cpuLat = append(cpuLat, c1-c0)
		}
		return p
	}
	for _, e := range test {
		if _, ok := byName[e.label]; !ok {
			unknown++
		}
		p := predict(e.text)
		if p.Ranking[0].Intent == e.label {
			right++
		}
		if p.Intent == e.label {
			answeredRight++
		}
	}
	oosFound := 0
	for _, s := range oosTest {
		if predict(s).OutOfScope {
			oosFound++
		}
	}
	slices.Sort(lat)
	slices.Sort(cpuLat)
	met := m.Metrics()
	fmt.Fprintf(w, "dataset            %s: %d intents, %d training and %d test phrases", dir, len(d.Intents), len(train), len(test))
	if unknown > 0 {
		fmt.Fprintf(w, " (%d test phrases of intents absent from training)", unknown)
	}
	fmt.Fprintln(w)
	if oosPath != "" {
		fmt.Fprintf(w, "out of scope       %d phrases to train, %d held out (%s)\n", len(oosTrain), len(oosTest), oosPath)
	}
	fmt.Fprintf(w, "test accuracy      %.2f %% (best intent ranked first)\n", pct(right, len(test)))
	fmt.Fprintf(w, "answered right     %.2f %% (right and not taken for out of scope)\n", pct(answeredRight, len(test)))
	if len(oosTest) > 0 {
		fmt.Fprintf(w, "out-of-scope recall %.2f %% of the held-out phrases\n", pct(oosFound, len(oosTest)))
	}
	fmt.Fprintf(w, "cv accuracy        %.2f %% (%d folds of the train split", 100*met.CVAccuracy, met.Folds)
	if met.OutOfScopeExamples > 0 {
		fmt.Fprintf(w, "; out-of-scope recall %.2f %%", 100*met.CVOutOfScopeRecall)
	}
	fmt.Fprintln(w, ")")
	fmt.Fprintf(w, "threshold          %.2f (fitted by cross-validation)\n", met.Threshold)
	fmt.Fprintf(w, "training           %v wall, %v CPU (cross-validation included; %d cores), %d features\n",
		trainTime.Round(time.Millisecond), trainCPU.Round(time.Millisecond), runtime.GOMAXPROCS(0), met.Features)
	fmt.Fprintf(w, "model              %d bytes, loaded in %v, %.1f MB in memory\n", len(blob), loadTime.Round(time.Microsecond), float64(m.MemoryBytes())/(1<<20))
	fmt.Fprintf(w, "peak memory        %s\n", peakMemory())
	fmt.Fprintf(w, "predict latency    p50 %v, p99 %v, max %v (%d messages, wall clock)\n", quantile(lat, 0.5), quantile(lat, 0.99), lat[len(lat)-1], len(lat))
	if len(cpuLat) > 0 {
		fmt.Fprintf(w, "predict CPU time   p50 %v, p99 %v, max %v (the thread's CPU time: leaves out waiting for a core on a busy machine)\n",
			quantile(cpuLat, 0.5), quantile(cpuLat, 0.99), cpuLat[len(cpuLat)-1])
	}
	return nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

func readCSV(path string) ([]example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ti, ci := slices.Index(head, "text"), slices.Index(head, "category")
	if ti < 0 || ci < 0 {
		return nil, fmt.Errorf("%s: the header names no text and category columns", path)
	}
	var out []example
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, example{text: rec[ti], label: rec[ci]})
	}
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, nil
}
