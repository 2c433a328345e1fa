package switchboard

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// ID prefixes, one per kind of resource.
const (
	PrefixWorkspace    = "ws"
	PrefixAPIKey       = "key"
	PrefixBot          = "bot"
	PrefixChannel      = "ch"
	PrefixContact      = "ct"
	PrefixConversation = "conv"
	PrefixMessage      = "msg"
	PrefixEndpoint     = "ep"
	PrefixEvent        = "evt"
	PrefixDelivery     = "dlv"
	PrefixIntegration  = "int"
	PrefixJob          = "job"
	PrefixFact         = "kn"
)

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ids generates ULIDs that are strictly increasing within this process, so
// that ordering by id orders by creation even inside one millisecond.
var ids struct {
	sync.Mutex
	ms uint64
	hi uint16 // high 16 bits of the 80-bit random part
	lo uint64 // low 64 bits
}

// NewID returns a new identifier "prefix_" followed by a 26-character ULID:
// 48 bits of milliseconds since the epoch and 80 random bits, in Crockford
// base32. IDs are opaque to clients but sort by creation time.
func NewID(prefix string) string { return prefix + "_" + newULID(time.Now()) }

func newULID(now time.Time) string {
	ms := uint64(now.UnixMilli())
	ids.Lock()
	if ms <= ids.ms {
		// Same (or earlier, if the clock stepped back) millisecond: increment.
		ms = ids.ms
		ids.lo++
		if ids.lo == 0 {
			ids.hi++
		}
	} else {
		var b [10]byte
		_, _ = rand.Read(b[:])
		ids.ms = ms
		ids.hi = binary.BigEndian.Uint16(b[:2]) & 0x7fff // headroom for increments
		ids.lo = binary.BigEndian.Uint64(b[2:])
	}
	hi, lo := ids.hi, ids.lo
	ids.Unlock()

	// 128 bits: 48 time | 16 hi | 64 lo, encoded as 26 base32 digits (130 bits).
	var bits [16]byte
	bits[0], bits[1], bits[2] = byte(ms>>40), byte(ms>>32), byte(ms>>24)
	bits[3], bits[4], bits[5] = byte(ms>>16), byte(ms>>8), byte(ms)
	binary.BigEndian.PutUint16(bits[6:8], hi)
	binary.BigEndian.PutUint64(bits[8:], lo)
	var out [26]byte
	// Read 5 bits at a time from a 130-bit number whose top 2 bits are zero.
	for i := 25; i >= 0; i-- {
		bit := (25 - i) * 5 // position from the least significant end
		var v byte
		for j := 0; j < 5; j++ {
			p := bit + j
			if p < 128 && bits[15-p/8]&(1<<(p%8)) != 0 {
				v |= 1 << j
			}
		}
		out[i] = crockford[v]
	}
	return string(out[:])
}

// HasPrefix reports whether id looks like an id of the given kind.
func HasPrefix(id, prefix string) bool {
	return strings.HasPrefix(id, prefix+"_") && len(id) == len(prefix)+27
}
