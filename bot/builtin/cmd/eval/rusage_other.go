//go:build !unix

package main

import (
	"fmt"
	"runtime"
	"time"
)

// cpuTime is unknown here.
func cpuTime() time.Duration { return 0 }

// peakMemory reports the memory the Go runtime obtained from the system.
func peakMemory() string {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return fmt.Sprintf("%.1f MB obtained from the system", float64(ms.Sys)/(1<<20))
}
