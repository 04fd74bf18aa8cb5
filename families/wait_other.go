//go:build unix && !linux

package families

import (
	"time"

	"golang.org/x/sys/unix"
)

// Ppoll waits in poll(2) until one of fds is ready or the deadline (Unix
// nanoseconds, 0: none), and reports whether the deadline had passed
// before it slept; ts is unused. Linux's waits in ppoll, in raw calls at
// first that keep the goroutine's P.
func Ppoll(fds []unix.PollFd, deadline int64, ts *unix.Timespec) (passed bool) {
	ms := -1
	if deadline != 0 {
		d := time.Until(time.Unix(0, deadline))
		if d <= 0 {
			return true
		}
		ms = int((d + time.Millisecond - 1) / time.Millisecond)
	}
	unix.Poll(fds, ms)
	return false
}
