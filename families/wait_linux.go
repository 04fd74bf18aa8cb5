package families

import (
	"encoding/binary"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// waiter is how the batch path waits for a descriptor that is not in Go's
// netpoller: ppoll(2) on the socket and on an eventfd, which Close, the
// deadline setters and registration write to, so that a wait ends at once
// when what it waits for changes. The poll set and timeout are allocated
// once. Its methods do nothing on a nil waiter.
type waiter struct {
	efd int
	fds [2]unix.PollFd
	ts  unix.Timespec
	buf [8]byte
}

func newWaiter() (*waiter, error) {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	return &waiter{efd: efd}, nil
}

// ring wakes the wait in progress, or makes the next one return at once.
func (w *waiter) ring() {
	if w == nil {
		return
	}
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	unix.Write(w.efd, one[:])
}

func (w *waiter) close() {
	if w != nil {
		unix.Close(w.efd)
	}
}

// poll waits until fd is ready for events (unix.POLLIN or unix.POLLOUT),
// the eventfd rings, or the deadline passes (0: none). It reports whether
// the deadline passed; the caller looks again at what it waits for either
// way.
func (w *waiter) poll(fd int, events int16, deadline int64) (expired bool) {
	var ts *unix.Timespec
	if deadline != 0 {
		d := deadline - time.Now().UnixNano()
		if d <= 0 {
			return true
		}
		w.ts = unix.NsecToTimespec(d)
		ts = &w.ts
	}
	w.fds[0] = unix.PollFd{Fd: int32(fd), Events: events}
	w.fds[1] = unix.PollFd{Fd: int32(w.efd), Events: unix.POLLIN}
	n, err := unix.Ppoll(w.fds[:], ts, nil)
	if err == nil && n > 0 && w.fds[1].Revents != 0 {
		unix.Read(w.efd, w.buf[:]) // drain the ring
	}
	return false
}
