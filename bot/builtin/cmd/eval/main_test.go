package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("train.csv", `text,category
where is my card,card_arrival
my card has not arrived yet,card_arrival
when will my new card come,card_arrival
"I lost my card, help",lost_card
someone stole my card,lost_card
my card is missing,lost_card
what is the exchange rate,exchange_rate
how much is a euro in dollars,exchange_rate
which rate do you use to convert currency,exchange_rate
`)
	write("test.csv", `text,category
my card still hasn't arrived,card_arrival
my card was stolen,lost_card
what rate do you use for euros,exchange_rate
`)
	write("oos.txt", "# comment\nwhat's the weather\ntell me a joke\nI want a pizza\nwho won the match\n")

	var out strings.Builder
	if err := run(&out, dir, filepath.Join(dir, "oos.txt"), true, "en", 3, 1); err != nil {
		t.Fatal(err)
	}
	report := out.String()
	for _, want := range []string{
		"3 intents, 9 training and 3 test phrases",
		"2 phrases to train, 2 held out",
		"test accuracy      100.00 %",
		"out-of-scope recall",
		"cv accuracy",
		"predict latency    p50",
		"peak memory",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}

	out.Reset()
	if err := run(&out, dir, filepath.Join(dir, "oos.txt"), false, "en", 3, 1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0 phrases to train, 4 held out") {
		t.Errorf("-oos-train=false:\n%s", out.String())
	}
	if err := run(&out, filepath.Join(dir, "missing"), "", true, "en", 3, 1); err == nil {
		t.Fatal("a missing dataset is reported")
	}
}
