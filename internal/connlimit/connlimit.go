// Package connlimit bounds the connections a single client address may hold
// open on a listener, so that one address cannot tie up the memory and file
// descriptors of the whole server (slow or unfinished requests held open by
// the hundred).
package connlimit

import (
	"net"
	"sync"
)

// DefaultPerIP is the default number of connections one IP address may
// hold open at once.
const DefaultPerIP = 256

// Listener accepts at most PerIP connections from one remote IP address at
// a time; a connection beyond that is closed as soon as it is accepted
// (the client sees the connection reset or closed, before any byte is
// read), and Accept goes on to the next one. A connection counts until it
// is closed, hijacked ones (WebSockets) included.
type Listener struct {
	net.Listener
	perIP int
	// Refused, if set, is called (without locks held) with the address of
	// each connection closed for being over the limit.
	Refused func(ip string)

	mu   sync.Mutex
	open map[string]int
}

// PerIP wraps l so that one remote IP holds at most n connections at
// once; n < 1 means DefaultPerIP.
func PerIP(l net.Listener, n int) *Listener {
	if n < 1 {
		n = DefaultPerIP
	}
	return &Listener{Listener: l, perIP: n, open: map[string]int{}}
}

// Accept returns the next connection whose address is under the limit.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		l.mu.Lock()
		ok := l.open[ip] < l.perIP
		if ok {
			l.open[ip]++
		}
		l.mu.Unlock()
		if ok {
			return &conn{Conn: c, l: l, ip: ip}, nil
		}
		_ = c.Close()
		if l.Refused != nil {
			l.Refused(ip)
		}
	}
}

// Open returns how many connections ip holds open.
func (l *Listener) Open(ip string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[ip]
}

func (l *Listener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip] <= 1 {
		delete(l.open, ip)
	} else {
		l.open[ip]--
	}
}

// remoteIP is the IP of a connection's remote address (the whole address
// if it has no port: a Unix socket).
func remoteIP(c net.Conn) string {
	addr := c.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// conn gives its slot back once, on the first Close.
type conn struct {
	net.Conn
	l    *Listener
	ip   string
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}
