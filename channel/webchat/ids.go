package webchat

import (
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// idTime returns the creation time encoded in a switchboard id (the first
// ten base32 digits of its ULID are milliseconds since the epoch), and
// whether id is one.
func idTime(id, prefix string) (time.Time, bool) {
	if !switchboard.HasPrefix(id, prefix) {
		return time.Time{}, false
	}
	var ms uint64
	for _, c := range id[len(prefix)+1 : len(prefix)+11] {
		v := strings.IndexRune(crockford, c)
		if v < 0 {
			return time.Time{}, false
		}
		ms = ms<<5 | uint64(v)
	}
	for _, c := range id[len(prefix)+11:] {
		if !strings.ContainsRune(crockford, c) {
			return time.Time{}, false
		}
	}
	if ms >= 1<<48 {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(ms)), true
}

// idFloor returns the smallest id of the given kind created at t: every id
// created at or after t sorts after it (or equal).
func idFloor(prefix string, t time.Time) string {
	ms := uint64(max(t.UnixMilli(), 0))
	var b [10]byte
	for i := 9; i >= 0; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	return prefix + "_" + string(b[:]) + "0000000000000000"
}
