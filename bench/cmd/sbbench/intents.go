package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// benchBot is the builtin bot of the pipeline scenarios and the texts the
// load sends it.
type benchBot struct {
	config map[string]any
	texts  []string // sent in turn
}

// greeterBot is the default: one intent, and every update says "hello".
func greeterBot() *benchBot {
	return &benchBot{
		config: map[string]any{
			"intents":  []any{map[string]any{"name": "greet", "examples": []string{"hello", "hi"}, "responses": []string{"Hello! How can I help?"}}},
			"fallback": "Sorry, I did not get that.",
		},
		texts: []string{"hello"},
	}
}

// intentsBot reads a CSV of labelled phrases in Banking77's form (a header,
// then text,category rows): one intent per category with its phrases as
// examples, each answering with its name. Every fifth phrase of a category
// is held out of the examples and sent by the load instead, so the bot
// classifies phrasings it was not shown.
func intentsBot(path string) (*benchBot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	if _, err := r.Read(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	examples := map[string][]string{}
	seen := map[string]int{} // phrases of each category so far
	b := &benchBot{}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil || len(row) != 2 {
			return nil, fmt.Errorf("%s: want text,category rows: %v", path, err)
		}
		text, cat := strings.TrimSpace(row[0]), strings.TrimSpace(row[1])
		if seen[cat]++; seen[cat]%5 == 0 {
			b.texts = append(b.texts, text)
			continue
		}
		examples[cat] = append(examples[cat], text)
	}
	var intents []any
	for _, cat := range slices.Sorted(maps.Keys(examples)) {
		intents = append(intents, map[string]any{"name": cat, "examples": examples[cat], "responses": []string{"About " + strings.ReplaceAll(cat, "_", " ") + "."}})
	}
	if len(intents) == 0 || len(b.texts) == 0 {
		return nil, fmt.Errorf("%s: no phrases", path)
	}
	b.config = map[string]any{"intents": intents, "fallback": "Sorry, I did not get that."}
	return b, nil
}
