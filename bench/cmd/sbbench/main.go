// Command sbbench runs a named load scenario against a server on this
// machine and prints what it measured as one aligned line (or JSON).
//
//	sbbench -scenario ceiling|api-write|api-read [-url URL[,URL…]] [-key KEY]
//	        [-c N] [-rate R] [-d DURATION] [-n COUNT] [-json]
//
// Several -url (repeated or comma-separated) are servers sharing one
// database: the setup goes to the first, the load is spread over all of
// them in turn.
//
// Without -rate the load is closed loop (-c workers back to back); with
// -rate it is open loop at R requests per second, -c bounding the requests
// in flight, and latency counts from each request's scheduled send time.
// Every run stops by itself after -d (or -n requests), and only loopback
// URLs are accepted. See bench/README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchboardhq/switchboard/bench/loadgen"
)

// defaultURL is where Switchboard listens by default.
const defaultURL = "http://127.0.0.1:8080"

// options are the command-line settings shared by all scenarios.
type options struct {
	scenario    string
	url         string   // the first of urls: where the setup goes
	urls        []string // every server of the run, sharing one database
	urlSet      bool     // -url was given explicitly
	key         string
	concurrency int
	rate        float64
	duration    time.Duration
	requests    int
	timeout     time.Duration
	warmup      time.Duration
	json        bool
	out         string
	convs       int
	messages    int
	users       int
	noBot       bool
	botIntents  string
	endpoints   int           // delivery: webhook endpoints
	drain       time.Duration // delivery: how long to wait for deliveries after the load
	pids        []int         // delivery: the servers' process ids, for their peak RSS
	linger      time.Duration // delivery, inbound-ack, end-to-end: how long to keep counting arrivals once all are in
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sbbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sbbench:", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line into options.
func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("sbbench", flag.ContinueOnError)
	fs.StringVar(&o.scenario, "scenario", "", "scenario to run: "+strings.Join(scenarioNames(), ", "))
	fs.Var((*urlList)(&o.urls), "url", "base `URL` of the server under test (loopback only); repeated or comma-separated: servers sharing one database, loaded in turn (default "+defaultURL+")")
	fs.StringVar(&o.key, "key", os.Getenv("SWITCHBOARD_API_KEY"), "API `key` (default $SWITCHBOARD_API_KEY)")
	fs.IntVar(&o.concurrency, "c", 16, "concurrency: workers (closed loop) or max in flight (open loop)")
	fs.Float64Var(&o.rate, "rate", 0, "open loop at this many requests per second (0: closed loop)")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "stop after this long (at most 10m)")
	fs.IntVar(&o.requests, "n", 0, "stop after this many requests (0: no count limit)")
	fs.DurationVar(&o.timeout, "timeout", loadgen.DefaultTimeout, "timeout of each request")
	fs.DurationVar(&o.warmup, "warmup", 0, "load this long first, unmeasured (fills connection pools and caches)")
	fs.BoolVar(&o.json, "json", false, "print the result as JSON instead of a text line")
	fs.StringVar(&o.out, "out", "", "also append the result as a JSON line to this `file`")
	fs.IntVar(&o.convs, "convs", 8, "api-write: conversations the messages are spread over")
	fs.IntVar(&o.messages, "messages", 100, "api-read: messages written to the conversation before the run")
	fs.IntVar(&o.users, "users", 1000, "inbound-ack, end-to-end: Telegram users the updates come from, in turn")
	fs.BoolVar(&o.noBot, "no-bot", false, "inbound-ack: no bot on the channel (measures storing the updates alone)")
	fs.StringVar(&o.botIntents, "bot-intents", "", "inbound-ack, end-to-end: the bot's intents from a CSV `file` of text,category rows (Banking77's form), its held-out phrases sent by the load; default: one intent, \"hello\"")
	fs.IntVar(&o.endpoints, "endpoints", 10, "delivery: webhook endpoints, each on its own local sink")
	fs.DurationVar(&o.drain, "drain", time.Minute, "delivery, inbound-ack, end-to-end: how long to wait for the deliveries or replies still on their way after the load")
	fs.DurationVar(&o.linger, "linger", time.Second, "delivery, inbound-ack, end-to-end: once every delivery or reply is in, keep counting arrivals this long (duplicates)")
	fs.Var((*pidList)(&o.pids), "pid", "delivery: the server's process `id`, to report its peak RSS (VmHWM); repeated or comma-separated for several servers (the largest is reported)")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	return o, o.settle(fs)
}

// settle applies the rules between flags once they are parsed.
func (o *options) settle(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o.urlSet = set["url"]
	if len(o.urls) == 0 {
		o.urls = []string{defaultURL}
	}
	o.url = o.urls[0]
	if o.requests > 0 && !set["d"] {
		o.duration = 0 // the count ends the run, bounded by loadgen.MaxDuration
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if _, ok := scenarios[o.scenario]; !ok {
		return fmt.Errorf("unknown scenario %q (want one of %s)", o.scenario, strings.Join(scenarioNames(), ", "))
	}
	for _, u := range o.urls {
		if err := loadgen.CheckURL(u); err != nil {
			return err
		}
	}
	return nil
}

// urlList is the value of -url: base URLs, from repeated or
// comma-separated flags, without a trailing slash.
type urlList []string

func (l *urlList) String() string { return strings.Join(*l, ",") }

func (l *urlList) Set(v string) error {
	for _, u := range strings.Split(v, ",") {
		u = strings.TrimRight(strings.TrimSpace(u), "/")
		if u == "" {
			return errors.New("empty URL")
		}
		*l = append(*l, u)
	}
	return nil
}

// pidList is the value of -pid: process ids, from repeated or
// comma-separated flags.
type pidList []int

func (l *pidList) String() string {
	s := make([]string, len(*l))
	for i, p := range *l {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ",")
}

func (l *pidList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		p, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || p <= 0 {
			return fmt.Errorf("bad process id %q", s)
		}
		*l = append(*l, p)
	}
	return nil
}

// spread chooses, for request k, one of n targets (conversations, paths)
// and one of m servers: target k mod n as with a single server, and the
// servers in turn, each target moving on to the next server at each round,
// so that every server sees every target and the load is spread evenly.
func spread(k, n, m int) (target, server int) {
	target = k % n
	return target, (target + k/n) % m
}

// usage prints the command's help.
func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintln(w, "usage: sbbench -scenario NAME [flags]")
	fmt.Fprintln(w, "\nscenarios:")
	for _, name := range scenarioNames() {
		fmt.Fprintf(w, "  %-10s %s\n", name, scenarios[name].about)
	}
	fmt.Fprintln(w, "\nflags:")
	fs.PrintDefaults()
}

// run prepares the scenario, loads the server and prints the result.
func run(ctx context.Context, o options, out, log io.Writer) error {
	sc := scenarios[o.scenario]
	if sc.run != nil {
		return sc.run(ctx, o, out, log)
	}
	cfg, cleanup, err := sc.prepare(ctx, o, log)
	if err != nil {
		return fmt.Errorf("%s: setup: %w", o.scenario, err)
	}
	defer cleanup()
	cfg.Name = o.scenario
	cfg.Concurrency = o.concurrency
	cfg.Rate = o.rate
	cfg.Timeout = o.timeout
	if err := warmUp(ctx, cfg, o.warmup); err != nil {
		return fmt.Errorf("%s: warm-up: %w", o.scenario, err)
	}
	cfg.Duration = o.duration
	cfg.Requests = o.requests
	res, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", o.scenario, err)
	}
	return emit(o, res, res.ErrorSamples, out, log)
}

// emit appends res as a JSON line to -out, if set, and prints it.
func emit(o options, res fmt.Stringer, samples []string, out, log io.Writer) error {
	if err := appendJSON(o.out, res); err != nil {
		return err
	}
	return report(res, samples, o.json, out, log)
}

// appendJSON appends res as one JSON line to the file at path, if any.
func appendJSON(path string, res any) error {
	if path == "" {
		return nil
	}
	js, err := json.Marshal(res)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(js, '\n'))
	return errors.Join(err, f.Close())
}

// warmUp runs cfg for d, if d is positive, and forgets the result.
func warmUp(ctx context.Context, cfg loadgen.Config, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	cfg.Duration = d
	_, err := loadgen.Run(ctx, cfg)
	return err
}

// report prints res as a text line (error samples to log) or as JSON.
func report(res fmt.Stringer, samples []string, asJSON bool, out, log io.Writer) error {
	if asJSON {
		js, err := json.Marshal(res)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", js)
		return err
	}
	line := res.String()
	if _, err := fmt.Fprintln(out, line); err != nil {
		return err
	}
	name, _, _ := strings.Cut(line, " ")
	for _, s := range samples {
		fmt.Fprintf(log, "  %s error: %s\n", name, s)
	}
	return nil
}

// checkedResult is a load's result with the scenario's own count of what
// went wrong across the servers: effects (replies) that did not arrive,
// and effects that arrived more than once.
type checkedResult struct {
	*loadgen.Result
	Missing    int64 `json:"missing"`
	Duplicates int64 `json:"duplicates"`
}

func (r checkedResult) String() string {
	return fmt.Sprintf("%s missing=%d duplicates=%d", r.Result, r.Missing, r.Duplicates)
}

// scenario is one named load.
type scenario struct {
	about string
	// prepare sets the scenario up and returns the load to run (without
	// the shared settings) and a function that tears the setup down.
	prepare func(ctx context.Context, o options, log io.Writer) (loadgen.Config, func(), error)
	// run, if set, replaces prepare for scenarios that measure more than
	// the requests (delivery, end-to-end).
	run func(ctx context.Context, o options, out, log io.Writer) error
}

// scenarios is the registry of scenarios, by name.
var scenarios = map[string]scenario{
	"ceiling": {
		about:   "GET / on a trivial Go handler (in-process unless -url is given)",
		prepare: prepareCeiling,
	},
	"api-write": {
		about:   "POST /api/v1/conversations/{id}/messages over -convs conversations (expects 202)",
		prepare: prepareAPIWrite,
	},
	"api-read": {
		about:   "GET a conversation's messages and the conversation list, alternately (expects 200)",
		prepare: prepareAPIRead,
	},
	"delivery": {
		about: "PUT conversation metadata (one event each) to -endpoints webhook endpoints on local sinks; deliveries/s and publish-to-receipt latency",
		run:   runDelivery,
	},
	"inbound-ack": {
		about: "signed Telegram updates POSTed to a channel's hook (expects 200); the bot answers to a fake Bot API, which counts missing and duplicate replies",
		run:   runInboundAck,
	},
	"end-to-end": {
		about: "inbound-ack, also timing each update until the bot's reply reaches the fake Bot API (use -rate)",
		run:   runEndToEnd,
	},
}

// scenarioNames lists the scenarios in order.
func scenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for name := range scenarios {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// errNoKey is returned by API scenarios run without a key.
var errNoKey = errors.New("an API key is required: -key or SWITCHBOARD_API_KEY")
