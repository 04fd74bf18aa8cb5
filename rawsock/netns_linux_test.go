package rawsock

import (
	"fmt"
	"os"
	"testing"

	"github.com/socklab/socklab/internal/nsthread"
	"golang.org/x/sys/unix"
)

// netns is a network namespace a test made. Only the thread that opens
// sockets enters it; a socket keeps the namespace it was made in, and the
// namespace lives as long as its sockets (and fd).
type netns struct{ fd int }

// newNetns makes a network namespace with loopback up and sysctls (a path
// under /proc/sys, a value) written in it, and closes it when t ends. It
// skips t when this process may not make one (it needs CAP_SYS_ADMIN).
func newNetns(t *testing.T, sysctls map[string]string) *netns {
	t.Helper()
	ns := &netns{fd: -1}
	var skip error
	err := nsthread.Run(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			skip = err
			return nil
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		ns.fd = fd
		return setUp(sysctls)
	})
	if ns.fd >= 0 {
		t.Cleanup(func() { unix.Close(ns.fd) })
	}
	if skip != nil {
		t.Skipf("needs a network namespace of its own, and making one needs CAP_SYS_ADMIN (run as root, as CI does): unshare: %v", skip)
	}
	if err != nil {
		t.Fatalf("network namespace: %v", err)
	}
	return ns
}

// do runs fn on a thread inside ns, which then returns to this process's
// namespace.
func (ns *netns) do(fn func() error) error {
	return nsthread.Run(func() error {
		if err := unix.Setns(ns.fd, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("setns: %w", err)
		}
		return fn()
	})
}

// setUp brings loopback up and writes sysctls, in the thread's namespace.
func setUp(sysctls map[string]string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	for path, v := range sysctls {
		// /proc/sys/net shows the namespace of the thread that opens it.
		if err := os.WriteFile("/proc/sys/"+path, []byte(v), 0); err != nil {
			return err
		}
	}
	return nil
}
