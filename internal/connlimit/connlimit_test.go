package connlimit_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/connlimit"
)

// dialFrom connects to addr from the local address ip (any 127.x address
// is the loopback on Linux).
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer says whether the server closed c without answering.
func closedByServer(t *testing.T, c net.Conn) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	var b [1]byte
	_, err := c.Read(b[:])
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil // EOF or reset
}

// get makes one request on c and returns the status.
func get(t *testing.T, c net.Conn) int {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestPerIP(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := make(chan string, 10)
	l := connlimit.PerIP(inner, 2)
	l.Refused = func(ip string) { refused <- ip }
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), ReadHeaderTimeout: time.Minute}
	go srv.Serve(l)
	defer srv.Close()
	addr := inner.Addr().String()

	// Two connections from one address hold unfinished requests.
	a1, a2 := dialFrom(t, "127.0.0.1", addr), dialFrom(t, "127.0.0.1", addr)
	for _, c := range []net.Conn{a1, a2} {
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	// The third from the same address is closed at once.
	a3 := dialFrom(t, "127.0.0.1", addr)
	if !closedByServer(t, a3) {
		t.Fatal("a third connection from one address was kept open")
	}
	if ip := <-refused; ip != "127.0.0.1" {
		t.Fatalf("refused %q", ip)
	}
	// Another address is served.
	if code := get(t, dialFrom(t, "127.0.0.2", addr)); code != 200 {
		t.Fatalf("another address: %d", code)
	}
	if closedByServer(t, a1) {
		t.Fatal("a connection under the limit was closed")
	}
	// Once one closes, the address may connect again.
	a1.Close()
	deadline := time.Now().Add(5 * time.Second)
	for l.Open("127.0.0.1") > 1 {
		if time.Now().After(deadline) {
			t.Fatal("a closed connection still counts")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code := get(t, dialFrom(t, "127.0.0.1", addr)); code != 200 {
		t.Fatalf("after a close: %d", code)
	}
}
