// Package ceiling is the trivial HTTP server the benchmarks compare
// Switchboard with: a net/http handler that answers every request with a
// small JSON body and does nothing else. Its throughput and latency under
// the same load are the most any Go HTTP service can reach on this machine.
package ceiling

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/bench/loadgen"
)

// body is the answer to every request, about the size of a small API object.
var body = []byte(`{"id":"ceiling","object":"ping","status":"ok"}` + "\n")

var bodyLen = strconv.Itoa(len(body))

// Handler answers every request with 200 and a small JSON body.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", bodyLen)
		w.Write(body)
	})
}

// Server is a running ceiling server.
type Server struct {
	// URL is the server's base URL, such as http://127.0.0.1:41234.
	URL  string
	srv  *http.Server
	errc chan error
}

// Start serves Handler on addr, which must be a loopback address
// ("127.0.0.1:0" picks a free port), until Shutdown.
func Start(addr string) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("ceiling: address %q: %w", addr, err)
	}
	if !loadgen.IsLoopbackHost(host) {
		return nil, fmt.Errorf("ceiling: address %q: %w", addr, loadgen.ErrNotLoopback)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ceiling: %w", err)
	}
	s := &Server{
		URL:  "http://" + ln.Addr().String(),
		srv:  &http.Server{Handler: Handler(), ReadHeaderTimeout: 10 * time.Second},
		errc: make(chan error, 1),
	}
	go func() { s.errc <- s.srv.Serve(ln) }()
	return s, nil
}

// Done returns a channel that receives the error that stopped the server
// on its own, if it ever does.
func (s *Server) Done() <-chan error { return s.errc }

// Shutdown stops the server, letting requests in flight finish until ctx
// ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
