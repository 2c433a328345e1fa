package egress

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// fakeDNS is a tiny authoritative DNS server on loopback UDP. It answers A
// and AAAA questions from a table the test may change at any time, and
// NXDOMAIN for names it does not know.
type fakeDNS struct {
	conn net.PacketConn

	mu      sync.Mutex
	answers map[string][]netip.Addr // lower-case name without trailing dot
	queries int
}

func newFakeDNS(t *testing.T) *fakeDNS {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeDNS{conn: conn, answers: map[string][]netip.Addr{}}
	done := make(chan struct{})
	go func() { defer close(done); s.serve() }()
	t.Cleanup(func() { conn.Close(); <-done })
	return s
}

// set makes name resolve to addrs from now on.
func (s *fakeDNS) set(name string, addrs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[name] = nil
	for _, a := range addrs {
		s.answers[name] = append(s.answers[name], netip.MustParseAddr(a))
	}
}

// resolver returns a pure-Go resolver that asks only this server.
func (s *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", s.conn.LocalAddr().String())
		},
	}
}

func (s *fakeDNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp, ok := s.answer(buf[:n]); ok {
			s.conn.WriteTo(resp, from)
		}
	}
}

// answer builds the response to one query: the header, the question echoed,
// and one answer record per matching address.
func (s *fakeDNS) answer(q []byte) ([]byte, bool) {
	name, end, ok := parseQuestion(q)
	if !ok {
		return nil, false
	}
	qtype := binary.BigEndian.Uint16(q[end-4:])
	s.mu.Lock()
	addrs, known := s.answers[name]
	s.queries++
	s.mu.Unlock()

	var records [][]byte
	for _, a := range addrs {
		if (qtype == 1 && a.Is4()) || (qtype == 28 && a.Is6()) {
			records = append(records, answerRecord(qtype, a.AsSlice()))
		}
	}
	flags := uint16(0x8580) // response, authoritative, recursion desired and available
	if !known {
		flags |= 3 // NXDOMAIN
	}
	resp := binary.BigEndian.AppendUint16(nil, binary.BigEndian.Uint16(q))
	resp = binary.BigEndian.AppendUint16(resp, flags)
	for _, count := range []int{1, len(records), 0, 0} {
		resp = binary.BigEndian.AppendUint16(resp, uint16(count))
	}
	resp = append(resp, q[12:end]...)
	for _, r := range records {
		resp = append(resp, r...)
	}
	return resp, true
}

// parseQuestion reads the single question of a query and returns its name
// and the offset just past its type and class.
func parseQuestion(q []byte) (name string, end int, ok bool) {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return "", 0, false
	}
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return "", 0, false
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return "", 0, false
	}
	return strings.ToLower(strings.Join(labels, ".")), i + 5, true
}

// answerRecord is one resource record naming the question by pointer.
func answerRecord(qtype uint16, rdata []byte) []byte {
	r := []byte{0xc0, 12}
	r = binary.BigEndian.AppendUint16(r, qtype)
	r = binary.BigEndian.AppendUint16(r, 1) // class IN
	r = binary.BigEndian.AppendUint32(r, 0) // TTL: never cache
	r = binary.BigEndian.AppendUint16(r, uint16(len(rdata)))
	return append(r, rdata...)
}

func TestFakeDNS(t *testing.T) {
	dns := newFakeDNS(t)
	dns.set("dual.test", "93.184.216.34", "2606:2800:220:1::1")
	got, err := dns.resolver().LookupNetIP(context.Background(), "ip", "dual.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("LookupNetIP = %v, want two addresses", got)
	}
	_, err = dns.resolver().LookupNetIP(context.Background(), "ip", "missing.test")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("LookupNetIP(missing) err = %v, want not found", err)
	}
}
