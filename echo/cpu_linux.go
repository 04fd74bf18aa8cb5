package echo

import (
	"time"

	"golang.org/x/sys/unix"
)

// benchCPUTime is the CPU time this process has used, from getrusage(2).
func benchCPUTime() benchCPU {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return benchCPU{}
	}
	return benchCPU{user: time.Duration(ru.Utime.Nano()), sys: time.Duration(ru.Stime.Nano())}
}
