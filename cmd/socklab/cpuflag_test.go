package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string][]int{"0": {0}, "0,2": {0, 2}, "0-3,6": {0, 1, 2, 3, 6}, "1023": {1023}} {
		if got, err := parseCPUList(in); err != nil || !slices.Equal(got, want) {
			t.Errorf("parseCPUList(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1", "3-1", "1024", "0,,1", "0-"} {
		if got, err := parseCPUList(in); err == nil {
			t.Errorf("parseCPUList(%q) = %v, want an error", in, got)
		}
	}
}

// TestServeWorkersPinned: serve --workers 2 --cpu 0 runs both serving
// threads on CPU 0 alone, and still echoes.
func TestServeWorkersPinned(t *testing.T) {
	port := freeUDPPort(t, "udp4", "127.0.0.1")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s := startServer(t, "udp4", "serve", "--bind", addr, "--reply", "echo", "-q", "--workers", "2", "--cpu", "0")
	pid := s.cmd.Process.Pid
	for deadline := time.Now().Add(5 * time.Second); threadsOn(pid, "0") < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no two threads of the server on CPU 0 alone after 5 s\n%s", s)
		}
	}
	r := socklab(t, "udp4", "send", addr, "pinned")
	mustSucceed(t, r, "send to the pinned server")
	if !strings.Contains(r.stdout, "pinned") {
		t.Errorf("no echo from the pinned server:\n%s", r)
	}
	s.stopServer(syscall.SIGTERM)
}

func TestServeCPUListRefused(t *testing.T) {
	r := socklab(t, "udp4", "serve", "--cpu", "3-1")
	if r.code != 2 || !strings.Contains(r.stderr, `--cpu: "3-1": want CPU numbers and ranges such as 0,2 or 0-3`) {
		t.Errorf("serve --cpu 3-1: want a usage error\n%s", r)
	}
}

// threadsOn counts the threads of process pid allowed on cpus alone.
func threadsOn(pid int, cpus string) int {
	paths, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	n := 0
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), "\nCpus_allowed_list:\t"+cpus+"\n") {
			n++
		}
	}
	return n
}
