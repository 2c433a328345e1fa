// Command ceiling serves the benchmarks' trivial reference handler (see
// package bench/ceiling) on a loopback address, in a process of its own so
// that it does not share a Go runtime with the load generator.
//
//	ceiling [-addr 127.0.0.1:8081] [-lifetime 1h]
//
// It prints "ceiling listening on URL" once it accepts connections, and
// stops on SIGINT or SIGTERM, or by itself after -lifetime.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/switchboardhq/switchboard/bench/ceiling"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "loopback `address` to listen on (port 0 picks a free one)")
	lifetime := flag.Duration("lifetime", time.Hour, "stop by itself after this long")
	flag.Parse()
	if err := run(*addr, *lifetime); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

// run serves until a signal, the end of lifetime, or a server error.
func run(addr string, lifetime time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, lifetime)
	defer cancel()
	srv, err := ceiling.Start(addr)
	if err != nil {
		return err
	}
	fmt.Println("ceiling listening on", srv.URL)
	select {
	case err := <-srv.Done():
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShutdown()
	return srv.Shutdown(shutdownCtx)
}
