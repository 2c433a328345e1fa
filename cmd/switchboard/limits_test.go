package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawConn opens a TCP connection to the process from the local address ip
// (any 127.x address is the loopback on Linux).
func (p *process) rawConn(t *testing.T, ip string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// closedByPeer says whether the server closed c (EOF or reset) within a
// second, without sending anything more.
func closedByPeer(t *testing.T, r io.Reader, c net.Conn) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	n, err := r.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return n == 0 && err != nil
}

func TestHeaderLimit(t *testing.T) {
	p := serve(t, "SWITCHBOARD_DATA_DIR="+t.TempDir())
	req, _ := http.NewRequest("GET", p.base+"/healthz", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 100<<10))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a 100 KiB header: %d, want 431", res.StatusCode)
	}
	req.Header.Set("X-Padding", strings.Repeat("a", 16<<10))
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("a 16 KiB header: %d, want 200", res.StatusCode)
	}
}

func TestConnectionsPerIP(t *testing.T) {
	p := serve(t, "SWITCHBOARD_DATA_DIR="+t.TempDir(), "SWITCHBOARD_MAX_CONNS_PER_IP=3")
	// Three connections from one address, each in the middle of a header.
	for range 3 {
		c := p.rawConn(t, "127.0.0.1")
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
			t.Fatal(err)
		}
	}
	// The fourth from that address is closed unanswered.
	c := p.rawConn(t, "127.0.0.1")
	_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if !closedByPeer(t, c, c) {
		t.Fatal("a fourth connection from one address was served")
	}
	// Another address is served meanwhile.
	other := p.rawConn(t, "127.0.0.2")
	if _, err := io.WriteString(other, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(other), nil)
	if err != nil {
		t.Fatalf("another address: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("another address: %d", res.StatusCode)
	}
}

// TestContentLengthWithTransferEncoding: a request with both framings is
// answered and its connection closed after (RFC 9112 §6.3), so nothing
// that follows on it is read as a request.
func TestContentLengthWithTransferEncoding(t *testing.T) {
	p := serve(t, "SWITCHBOARD_DATA_DIR="+t.TempDir())
	c := p.rawConn(t, "127.0.0.1")
	_, err := io.WriteString(c, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 48\r\nTransfer-Encoding: chunked\r\n\r\n"+
		"0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nX-Smuggled: 1\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if !res.Close {
		t.Errorf("the response does not say Connection: close (%v)", res.Header)
	}
	if !closedByPeer(t, r, c) {
		t.Fatal("the connection stayed open after a request with Content-Length and Transfer-Encoding")
	}
}
