package main

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
	"golang.org/x/sys/unix"
)

// openPty returns the two ends of a new pseudo-terminal.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// On a terminal, bench prints a progress line to stderr once a second; not
// on a pipe (TestBenchJSON checks that stderr stays empty there).
func TestBenchProgressOnTerminal(t *testing.T) {
	master, slave := openPty(t)
	addr := benchServer(t, families.UDP4(), "127.0.0.1:0", echo.ReplyEcho)
	var out bytes.Buffer
	code := run(context.Background(), []string{"udp4", "bench", addr, "-d", "1.3", "--rate", "1000", "--json"}, strings.NewReader(""), &out, slave)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	slave.Close()
	master.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 4096)
	n, _ := master.Read(buf)
	lines := strings.Split(strings.TrimSpace(string(buf[:n])), "\n")
	if len(lines) != 1 || !strings.HasPrefix(strings.TrimSpace(lines[0]), "1s  sent ") ||
		!strings.Contains(lines[0], "echoes/s") || !strings.Contains(lines[0], "p99") {
		t.Errorf("stderr on a terminal for a 1.3s bench: %q, want one progress line, at 1s", lines)
	}
}
