//go:build !linux

package echo

import (
	"fmt"
	"runtime"
)

// pinThread is not supported here: threads are pinned with Linux's
// sched_setaffinity.
func pinThread(cpu int) (restore func(), err error) {
	return nil, fmt.Errorf("pinning a thread to a CPU is not supported on %s", runtime.GOOS)
}
