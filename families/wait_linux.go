package families

import (
	"encoding/binary"
	"math"
	"os"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

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
	// ready is what ppoll reported of the socket in the last wait.
	ready int16
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

// poll waits until fd is ready for events (unix.POLLIN, unix.POLLOUT or
// both; ready then says which), the eventfd rings, or the deadline dl
// passes (0: none), unless stop says the wait is over already (once asleep
// is set, so a ring is not missed). It reports whether the deadline had
// passed; the caller looks again at what it waits for either way.
func (w *waiter) poll(fd int, events int16, dl *atomic.Int64, stop func() bool) (expired bool) {
	w.ready = 0
	w.asleep.Store(true)
	defer w.asleep.Store(false)
	deadline := dl.Load()
	if stop() {
		return false
	}
	w.fds[0] = unix.PollFd{Fd: int32(fd), Events: events}
	w.fds[1] = unix.PollFd{Fd: int32(w.efd), Events: unix.POLLIN}
	if Ppoll(w.fds[:], deadline, &w.ts) {
		return true
	}
	w.ready = w.fds[0].Revents
	if w.fds[1].Revents != 0 {
		unix.Read(w.efd, w.buf[:]) // drain the ring
	}
	return false
}

// A wait sleeps first in raw ppolls of at most rawSlice each, rawWait in
// all, then in one the runtime knows of (see Ppoll).
const (
	rawSlice = int64(250 * time.Microsecond)
	rawWait  = int64(time.Millisecond)
)

// Ppoll waits in ppoll(2) until one of fds is ready (their Revents say
// which) or the deadline (Unix nanoseconds, 0: none), and reports whether
// the deadline had passed before it slept. ts is the caller's, for the
// timeout: nothing is allocated. It is how the batch path and the flood
// ping wait on a socket outside Go's netpoller.
//
// It sleeps first in raw system calls, which keep the goroutine's P: a
// system call made through Syscall hands the P to the runtime, and in a
// process with one P (GOMAXPROCS 1: pinned to one CPU, as the benchmarks
// run) sysmon takes it away after 20 µs, so that every wake-up waits for
// a P. Measured with the UDP server in ping-pong, against a C server: p50
// 1.13-1.20x with the Syscall ppoll, 0.93-1.00x with one raw wait of 1 ms,
// 0.98x with raw waits of 250 µs; a C server that waits in the same ppoll
// is level with its blocking recvmmsg, so the cost was Go's. No other
// goroutine runs on the P during a raw ppoll, so each lasts at most
// rawSlice and a Gosched follows: another goroutine of a process with one
// P (a client in the same process) waits at most that long (go test -cpu 1
// ./echo: 51 s with the Syscall ppoll, 84 s with one raw wait of 1 ms,
// 61 s with slices of 250 µs, as with 50 µs, whose p99 was worse). A wait
// that outlasts rawWait goes on in an ordinary ppoll, so an idle socket
// costs four wake-ups, not a stream of them.
func Ppoll(fds []unix.PollFd, deadline int64, ts *unix.Timespec) (passed bool) {
	for slept := int64(0); slept < rawWait; slept += rawSlice {
		t, more, passed := timeout(ts, deadline, rawSlice)
		if passed {
			return slept == 0
		}
		r, _, e := unix.RawSyscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)),
			uintptr(unsafe.Pointer(t)), 0, 0, 0)
		if r != 0 || e != 0 || !more {
			return false
		}
		runtime.Gosched()
	}
	if t, _, passed := timeout(ts, deadline, 0); !passed {
		unix.Ppoll(fds, t, nil)
	}
	return false
}

// timeout is ppoll's timeout until the deadline (Unix nanoseconds, 0:
// none; a nil timeout waits for ever), at most limit when limit is not 0,
// written in ts; more reports that the deadline lies beyond the limit,
// passed that it has passed.
func timeout(ts *unix.Timespec, deadline, limit int64) (t *unix.Timespec, more, passed bool) {
	d := int64(math.MaxInt64)
	if deadline != 0 {
		if d = deadline - time.Now().UnixNano(); d <= 0 {
			return nil, false, true
		}
	}
	if more = limit != 0 && d > limit; more {
		d = limit
	}
	if d == math.MaxInt64 {
		return nil, false, false
	}
	*ts = unix.NsecToTimespec(d)
	return ts, more, false
}
