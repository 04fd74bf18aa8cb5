package families

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestStaleRaceWithDelay widens the window between finding a socket file
// stale and removing it, where two servers starting at once interleave:
// without the directory lock the second removes the first's live socket
// and binds in its place, leaving the first unreachable at its path.
func TestStaleRaceWithDelay(t *testing.T) {
	testHookStale = func() { time.Sleep(20 * time.Millisecond) }
	defer func() { testHookStale = nil }()
	path := filepath.Join(t.TempDir(), "s.sock")
	fd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd) // a stale socket file
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []Conn
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := Unix().Open(Options{Addr: path}); err == nil {
				mu.Lock()
				won = append(won, c)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range won {
			c.Close()
		}
	}()
	if len(won) != 1 {
		t.Fatalf("%d servers bound one stale path, want exactly 1 (the other's live socket was removed)", len(won))
	}
}
