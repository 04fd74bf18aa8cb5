//go:build !linux

package echo

import (
	"fmt"
	"runtime"
)

// pinThread is not supported here: threads are pinned with Linux's
// sched_setaffinity.
func pinThread(cpu int) error {
	return fmt.Errorf("pinning a thread to a CPU is not supported on %s", runtime.GOOS)
}
