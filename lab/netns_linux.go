package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"

	"github.com/socklab/socklab/internal/nsthread"
	"golang.org/x/sys/unix"
)

// Do runs fn on an OS thread inside h's namespace, which then returns to
// this process's namespace. Sockets fn opens belong to h's namespace for
// their whole life, whatever thread uses them later: that is how a test
// puts a server in one host and a client in another within one process.
func (h *Host) Do(fn func() error) error { return inNetns(h.Netns, fn) }

// Command returns a command that runs argv inside h's namespace, through
// ip netns exec (which execs argv: the process is argv's).
func (h *Host) Command(ctx context.Context, argv ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.Netns}, argv...)...)
}

// Exec replaces this process with path run with argv inside namespace
// netns, as ip netns exec does, without ip's other changes (it remounts
// /sys): the program's sockets are in the namespace. It returns only on
// failure.
func Exec(netns, path string, argv []string) error {
	// The thread that calls execve is the one the new program starts
	// on, with that thread's namespaces: it must stay this one.
	runtime.LockOSThread()
	fd, err := openNetns(netns)
	if err != nil {
		return err
	}
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		unix.Close(fd)
		return fmt.Errorf("enter network namespace %s: %w", netns, err)
	}
	unix.Close(fd)
	if err := syscall.Exec(path, argv, os.Environ()); err != nil {
		return fmt.Errorf("run %s in network namespace %s: %w", path, netns, err)
	}
	return nil
}

// openNetns opens the file of named namespace ns.
func openNetns(ns string) (int, error) {
	fd, err := unix.Open(filepath.Join(NetnsDir, ns), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("network namespace %s: %w", ns, err)
	}
	return fd, nil
}

// inNetns runs fn on a thread inside named namespace ns.
func inNetns(ns string, fn func() error) error {
	fd, err := openNetns(ns)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return nsthread.Run(func() error {
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("enter network namespace %s: %w", ns, err)
		}
		return fn()
	})
}

// listNetns returns the names of the named network namespaces.
func listNetns() ([]string, error) {
	ents, err := os.ReadDir(NetnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, err
}

// PIDsIn returns the processes whose network namespace is named
// namespace ns (as ip netns pids does): the ones that keep it alive after
// its name is gone.
func PIDsIn(ns string) ([]int, error) {
	var want unix.Stat_t
	if err := unix.Stat(filepath.Join(NetnsDir, ns), &want); err != nil {
		return nil, fmt.Errorf("network namespace %s: %w", ns, err)
	}
	return pidsInInode(want.Dev, want.Ino), nil
}

// pidsInInode returns the processes whose network namespace is the nsfs
// inode dev:ino.
func pidsInInode(dev, ino uint64) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Stat("/proc/"+e.Name()+"/ns/net", &st) == nil && st.Dev == dev && st.Ino == ino {
			pids = append(pids, pid)
		}
	}
	return pids
}

// writeSysctl writes a sysctl (a path under /proc/sys/net) inside ns:
// /proc/sys/net shows the namespace of the thread that opens it.
func writeSysctl(ns, key, value string) error {
	return inNetns(ns, func() error {
		return os.WriteFile("/proc/sys/"+key, []byte(value), 0)
	})
}
