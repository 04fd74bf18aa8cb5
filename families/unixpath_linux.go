package families

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// bindPath binds fd to the file path o.Addr. It removes a stale socket file
// left by a dead server, refuses a live one, and never touches a file that
// is not a socket. The socket file is made with its final permissions
// (o.Mode) by the bind itself, never changed by path afterwards, so no
// window shows other permissions and no symbolic link swapped in can
// redirect a chmod. The check, the removal and the bind happen under a lock
// on the directory, so two servers starting on one stale socket cannot
// remove each other's live one. The cleanup it returns removes the socket
// file if it is still the one this bind made.
func bindPath(fd int, spec Spec, o Options) (func(), error) {
	name := o.Addr
	unlock := lockDir(filepath.Dir(name), o.Notify)
	defer unlock()
	err := bindMode(fd, name, o.Mode)
	if err == unix.EADDRINUSE {
		if err := removeStale(spec, name); err != nil {
			return nil, err
		}
		if o.Notify != nil {
			o.Notify(fmt.Sprintf("removed stale socket %s (no server was listening on it)", name))
		}
		err = bindMode(fd, name, o.Mode)
	}
	if err != nil {
		return nil, bindUnixError(spec, name, err)
	}
	fi, err := os.Lstat(name)
	if err != nil {
		return nil, &Error{Op: "bind", Spec: spec, Addr: name, Err: err}
	}
	return func() {
		// Remove the path only while it is the socket this bind made: a
		// later server may have replaced it, or someone else's file may be
		// there now.
		if now, err := os.Lstat(name); err == nil && os.SameFile(fi, now) {
			os.Remove(name)
		}
	}, nil
}

// testHookStale, when set by a test, runs after a socket file was found
// stale and checked unchanged, just before it is removed: the last window
// where two servers racing on it would interleave, which the lock closes.
var testHookStale func()

// removeStale removes the socket file at name if nobody serves it, and only
// while it is still the file that was probed.
func removeStale(spec Spec, name string) error {
	fi, err := staleSocket(spec, name)
	if err != nil {
		return err
	}
	if now, err := os.Lstat(name); err != nil || !os.SameFile(fi, now) {
		return &Error{Op: "bind", Spec: spec, Addr: name, Err: fmt.Errorf("the stale socket file changed while it was checked"), Hint: "try again"}
	}
	if testHookStale != nil {
		testHookStale()
	}
	if err := os.Remove(name); err != nil {
		return &Error{Op: "bind", Spec: spec, Addr: name, Err: fmt.Errorf("stale socket file: %w", err), Hint: "remove it by hand"}
	}
	return nil
}

// lockWait is how long a bind waits for another socklab process to finish
// binding in the same directory; past it the bind goes on unlocked (a
// process that holds the lock for good must not stop a server).
const lockWait = 2 * time.Second

// lockDir takes an exclusive flock(2) on directory dir, which socklab
// processes take around the check and bind of a socket file in it, and
// returns the unlock. A directory it cannot open or lock is left unlocked.
func lockDir(dir string, notify func(string)) func() {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return func() {}
	}
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EWOULDBLOCK || time.Since(start) > lockWait {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		if notify != nil {
			notify(fmt.Sprintf("%s stayed locked for %v: binding without the lock that orders the servers in it", dir, lockWait))
		}
		return func() {}
	}
	return func() { unix.Close(fd) } // closing releases the lock
}

// bindMode binds fd to the socket file name, made with permission bits mode
// (0: as the umask makes them). The kernel gives a new socket file the
// socket's own mode (0777) less the umask; a thread of its own, with its
// own umask (unshare CLONE_FS), makes that exactly mode, without touching
// the umask of the rest of the process.
func bindMode(fd int, name string, mode os.FileMode) error {
	addr := &net.UnixAddr{Name: name, Net: "unixgram"}
	if mode == 0 {
		return Bind(fd, AF_UNIX, addr)
	}
	done := make(chan error, 1)
	go func() {
		// Never unlocked: the thread's umask is its own now, and the
		// runtime ends the thread when this goroutine returns.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			done <- os.NewSyscallError("unshare", err)
			return
		}
		unix.Umask(int(0o777 &^ mode.Perm()))
		done <- Bind(fd, AF_UNIX, addr)
	}()
	return <-done
}
