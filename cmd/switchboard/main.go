// Command switchboard runs Switchboard: `serve` runs the whole system in one
// process, `migrate` applies database migrations, `apikey create` prints a new
// API key, and `version` prints the version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// Version returns the version of this build.
func Version() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "switchboard:", err)
		}
		os.Exit(2)
	}
}

const usage = `Usage: switchboard <command> [flags]

Commands:
  serve           run the API, inbound hooks and workers in one process
  migrate         apply database migrations and exit
  apikey create   print a new API key once (--name N --scopes S1,S2 [--workspace W])
  user create     create a dashboard user (--email E --role admin|agent [--workspace W]); password on stdin
  keys rotate     add a JWT signing key and make it current
  version         print the version

Run 'switchboard <command> -h' for the flags of a command. Every flag can
also be set by an environment variable: --database-url = SWITCHBOARD_DATABASE_URL.
`

// run dispatches a command line. ctx is cancelled on SIGINT or SIGTERM.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		m, err := newMain(args[1:], getenv, stdout, stderr)
		if err != nil {
			return err
		}
		return m.Serve(ctx)
	case "migrate":
		m, err := newMain(args[1:], getenv, stdout, stderr)
		if err != nil {
			return err
		}
		return m.Migrate(ctx)
	case "apikey":
		if len(args) < 2 || args[1] != "create" {
			return errors.New("usage: switchboard apikey create --name N --scopes S1,S2 [--workspace W]")
		}
		return createAPIKey(ctx, args[2:], getenv, stdout, stderr)
	case "user":
		if len(args) < 2 || args[1] != "create" {
			return errors.New("usage: switchboard user create --email E --role admin|agent [--workspace W] < password")
		}
		return createUser(ctx, args[2:], getenv, os.Stdin, stdout, stderr)
	case "keys":
		if len(args) < 2 || args[1] != "rotate" {
			return errors.New("usage: switchboard keys rotate")
		}
		return rotateKeys(ctx, args[2:], getenv, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "switchboard", Version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// newMain parses the flags of serve and migrate into a Main.
func newMain(args []string, getenv func(string) string, stdout, stderr io.Writer) (*Main, error) {
	cfg, _, err := parseConfig("serve", args, getenv, stderr, nil)
	if err != nil {
		return nil, err
	}
	return &Main{Config: cfg, Stdout: stdout, Logger: newLogger(cfg, stderr)}, nil
}

// parseConfig builds a validated Config from defaults, env and flags.
// extra, if not nil, registers command-specific flags.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer, extra func(*flag.FlagSet)) (Config, *flag.FlagSet, error) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("switchboard "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := cfg.register(fs, getenv); err != nil {
		return cfg, nil, err
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	if fs.NArg() > 0 {
		return cfg, nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return cfg, fs, cfg.Finish()
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log-level %q must be debug, info, warn or error", s)
	}
	return l, nil
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	level, _ := parseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
