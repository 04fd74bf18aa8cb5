package echo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// TestServeAllPinsWorkers: with CPUs, each worker's thread is pinned to
// its CPU while it serves, and the pinned threads are gone once ServeAll
// returns, so no other goroutine runs on a pinned thread afterwards.
func TestServeAllPinsWorkers(t *testing.T) {
	b, _ := os.ReadFile("/proc/self/status")
	if strings.Contains(string(b), "Cpus_allowed_list:\t0\n") {
		t.Skip("this process already runs on CPU 0 alone: pinning cannot be seen")
	}
	before := pinnedThreads(t, "0")
	conns, err := families.OpenReusePort(families.UDP4(), families.Options{Addr: "127.0.0.1:0"}, 2)
	if err != nil {
		t.Skipf("no SO_REUSEPORT sockets here: %v", err)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := ServeAll(ctx, conns, ServerConfig{Reply: ReplyEcho, Quiet: true, CPUs: []int{0}})
		done <- err
	}()
	waitFor(t, func() bool { return pinnedThreads(t, "0") >= before+2 }, "two threads pinned to CPU 0")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return pinnedThreads(t, "0") <= before }, "the pinned threads to end")
}

// pinnedThreads counts this process's threads allowed on cpus alone.
func pinnedThreads(t *testing.T, cpus string) int {
	t.Helper()
	paths, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok && strings.TrimSpace(v) == cpus {
				n++
			}
		}
	}
	return n
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
