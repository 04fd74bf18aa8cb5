package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vmRSS is the resident memory of process pid, in bytes.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.Fields(rest)[0])
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS for pid %d", pid)
	return 0
}

// TestStreamIdleConns holds 10,000 TCP connections open to one server,
// each after one exchange, and measures what they cost it: the growth of
// its resident memory per connection, flat and small however large
// --bufsize is (256 KiB here), since a waiting connection holds no read
// buffer. The server still answers another client meanwhile. go test -v
// prints the figure.
func TestStreamIdleConns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: opening 10,000 connections takes a few seconds")
	}
	const base, n = 100, 10000
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); rl.Max < base+n+200 {
		t.Skipf("needs %d descriptors in this process and in the server, and ulimit -Hn is %d", base+n+200, rl.Max)
	}
	s := startStreamServer(t, runOpts{}, "tcp4", "serve", "--bind", "127.0.0.1:0", "-q", "--max-conns", "20000", "--bufsize", "262144")
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	open := func(k int) {
		buf := make([]byte, 64)
		for range k {
			c, err := net.DialTimeout("tcp4", s.addr, cmdTimeout)
			if err != nil {
				t.Fatalf("connection %d: %v", len(conns), err)
			}
			conns = append(conns, c)
			c.SetDeadline(time.Now().Add(cmdTimeout))
			if _, err := c.Write([]byte("hi")); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Read(buf); err != nil {
				t.Fatalf("connection %d: no reply: %v", len(conns), err)
			}
		}
	}
	open(base)
	before := vmRSS(t, s.cmd.Process.Pid)
	open(n)
	after := vmRSS(t, s.cmd.Process.Pid)
	per := (after - before) / n
	t.Logf("%d idle connections: server RSS %.1f MiB -> %.1f MiB, %d bytes per connection (--bufsize 262144)",
		n, float64(before)/(1<<20), float64(after)/(1<<20), per)
	if per > 16<<10 {
		t.Errorf("%d bytes of server memory per idle connection: want a few KiB, whatever --bufsize", per)
	}
	r := socklab(t, "tcp4", "send", s.addr, "one more")
	mustSucceed(t, r, "send while 10,100 connections are open")
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	if sum, _ := s.stopStreamServer(); !strings.Contains(sum, fmt.Sprintf("(peak %d open)", base+n+1)) {
		t.Errorf("summary %q, want a peak of %d open", sum, base+n+1)
	}
}
