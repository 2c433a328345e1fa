package store

import (
	"sync/atomic"
	"time"
)

// fullFor is how long a write refused for want of room keeps the database
// reported full (Ready) unless a write commits meanwhile.
const fullFor = 10 * time.Second

// fullness remembers when a write was last refused because the database had
// no room left, so that readiness says so; any commit proves there is room
// again.
type fullness struct {
	at atomic.Int64 // UnixNano of the last refusal; 0 when writes commit
}

func (f *fullness) noteFull(now time.Time) { f.at.Store(now.UnixNano()) }

func (f *fullness) noteRoom() {
	if f.at.Load() != 0 {
		f.at.Store(0)
	}
}

// isFull reports a refusal within fullFor of now.
func (f *fullness) isFull(now time.Time) bool {
	at := f.at.Load()
	return at != 0 && now.Sub(time.Unix(0, at)) < fullFor
}
