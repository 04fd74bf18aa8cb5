package nsthread

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// errStuck means a thread could not return to its own network namespace.
var errStuck = errors.New("cannot return to this process's network namespace")

// Run runs fn on a goroutine locked to its own OS thread, which fn may
// move to another network namespace (setns, unshare), and then moves the
// thread back to its namespace. Sockets fn opens keep the namespace they
// were made in. When the thread cannot go back, the goroutine ends still
// locked, so that the runtime retires the thread instead of running other
// code there, and Run's error says so.
func Run(fn func() error) error {
	return onLockedThread(func() error { return returning(fn) })
}

// returning runs fn, which may move the thread to another network
// namespace, and moves it back.
func returning(fn func() error) error {
	self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(self)
	ferr := fn()
	if err := unix.Setns(self, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("%w: %v", errStuck, err)
	}
	return ferr
}

// onLockedThread runs fn on a goroutine locked to its thread. When fn
// leaves the thread in another namespace, the goroutine ends still locked,
// and the runtime retires the thread instead of running other code there.
func onLockedThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err := fn()
		if !errors.Is(err, errStuck) {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}
