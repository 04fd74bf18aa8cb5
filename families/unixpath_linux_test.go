package families_test

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/socklab/socklab/families"
	"golang.org/x/sys/unix"
)

// TestUnixModeFromTheStart: with a mode asked for, the socket file has it
// from the moment it exists, whatever the umask: another user polling the
// path never sees other permissions (the umask's, before a chmod).
func TestUnixModeFromTheStart(t *testing.T) {
	for _, tc := range []struct {
		umask int
		mode  os.FileMode
	}{{0o000, 0o600}, {0o077, 0o666}, {0o022, 0o660}} {
		old := syscall.Umask(tc.umask)
		dir := t.TempDir()
		path := filepath.Join(dir, "s.sock")
		var seen sync.Map
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if fi, err := os.Lstat(path); err == nil {
					seen.Store(fi.Mode().Perm(), true)
				}
			}
		}()
		c, err := families.Unix().Open(families.Options{Addr: path, Mode: tc.mode})
		syscall.Umask(old)
		if err != nil {
			close(stop)
			t.Fatal(err)
		}
		fi, err := os.Lstat(path)
		close(stop)
		wg.Wait()
		c.Close()
		if err != nil || fi.Mode().Perm() != tc.mode {
			t.Errorf("umask %03o, mode %v: the file has %v (%v)", tc.umask, tc.mode, fi.Mode().Perm(), err)
		}
		seen.Range(func(k, _ any) bool {
			if k.(os.FileMode) != tc.mode {
				t.Errorf("umask %03o, mode %v: the file was seen with %v", tc.umask, tc.mode, k)
			}
			return true
		})
	}
}

// TestUnixModeNeverFollowsASymlink: while a server starts with --mode, a
// symbolic link to another file is swapped in and out at its path in a
// loop; the other file's permissions never change.
func TestUnixModeNeverFollowsASymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.sock")
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			os.Symlink(victim, path)
			if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
				os.Remove(path)
			}
		}
	}()
	opened := 0
	for i := 0; i < 200; i++ {
		c, err := families.Unix().Open(families.Options{Addr: path, Mode: 0o666})
		if err == nil {
			opened++
			c.Close()
		}
	}
	stop.Store(true)
	<-done
	fi, err := os.Stat(victim)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the symlink's target has mode %v after %d servers started (%v), want 0600 untouched", fi.Mode().Perm(), opened, err)
	}
	t.Logf("%d of 200 servers bound while the link was swapped", opened)
}

// TestUnixStaleSocketRace: eight servers start at once on one stale
// socket file. Exactly one binds, the others are refused, and the one that
// bound still has its socket file: nobody removed a live socket.
func TestUnixStaleSocketRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd) // the file stays: a stale socket
	for round := 0; round < 20; round++ {
		var wg sync.WaitGroup
		conns := make(chan families.Conn, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if c, err := families.Unix().Open(families.Options{Addr: path}); err == nil {
					conns <- c
				}
			}()
		}
		wg.Wait()
		close(conns)
		var won []families.Conn
		for c := range conns {
			won = append(won, c)
		}
		if len(won) != 1 {
			t.Fatalf("round %d: %d servers bound one path, want 1", round, len(won))
		}
		probe, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		err := unix.Connect(probe, &unix.SockaddrUnix{Name: path})
		unix.Close(probe)
		if err != nil {
			t.Fatalf("round %d: the server that bound is unreachable at its path: %v", round, err)
		}
		// Close leaves the file for the next round to find... no: Close
		// removes it. Make it stale again for the next round.
		won[0].Close()
		fd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		unix.Bind(fd, &unix.SockaddrUnix{Name: path})
		unix.Close(fd)
	}
}
