package families

import (
	"encoding/binary"
	"os"
	"sync/atomic"
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
	// asleep is set while a wait is in ppoll: only then does ring write
	// to the eventfd (a system call), so that a deadline set between two
	// waits, by the waiter itself most often, costs nothing.
	asleep atomic.Bool
}

func newWaiter() (*waiter, error) {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	return &waiter{efd: efd}, nil
}

// ring wakes the wait in progress. A caller changes what the waiter looks
// at (a deadline, the closed flag) before it rings; a waiter marks itself
// asleep before it looks. Whichever comes second sees the other's write,
// so no change is missed.
func (w *waiter) ring() {
	if w == nil || !w.asleep.Load() {
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
// the eventfd rings, or the deadline dl passes (0: none), unless stop says
// the wait is over already (once asleep is set, so a ring is not missed).
// It reports whether the deadline passed; the caller looks again at what
// it waits for either way.
func (w *waiter) poll(fd int, events int16, dl *atomic.Int64, stop func() bool) (expired bool) {
	w.asleep.Store(true)
	defer w.asleep.Store(false)
	deadline := dl.Load()
	if stop() {
		return false
	}
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
