//go:build linux

package classify

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time of the calling thread, which leaves out
// the time it waited for a core on a busy machine.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_THREAD, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
