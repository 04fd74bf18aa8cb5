package main

// --trace against strace: for the same run, socklab's trace and strace's
// list the same socket calls, in the same order, on the same descriptors,
// with the same results. The comparison is strict: every call of
// strace's network class (socket, bind, connect, getsockname,
// getpeername, setsockopt, getsockopt, sendmsg, recvmsg, sendmmsg,
// recvmmsg, sendto, recvfrom ...) must be in the trace, and so must every
// close of a socket the process opened; only closes of other descriptors
// (files, the epoll and event descriptors of Go's runtime) are left out.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// sysCall is one system call as both traces name it.
type sysCall struct {
	name string
	fd   int
	ret  string // the result: "5", or "-1 EAGAIN"
}

func (c sysCall) String() string { return fmt.Sprintf("%s(%d) = %s", c.name, c.fd, c.ret) }

func needStrace(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("strace is not installed: cannot compare --trace with it (apt-get install strace)")
	}
	if err := exec.Command("strace", "-o", "/dev/null", "true").Run(); err != nil {
		t.Skipf("strace cannot trace here (ptrace refused?): %v", err)
	}
}

// straced returns runOpts that run socklab under strace, writing strace's
// trace to dir/strace and socklab's to dir/trace, and the arguments that
// ask socklab for its trace.
func straced(dir string) (runOpts, string) {
	wrap := []string{"strace", "-f", "-qq", "-e", "trace=%network,close", "-e", "signal=none", "-o", filepath.Join(dir, "strace")}
	return runOpts{wrap: wrap}, "--trace=" + filepath.Join(dir, "trace")
}

var (
	// A finished call: `123 recvmsg(9, {...}, MSG_TRUNC) = 5`, maybe after
	// a pid, maybe resumed: `123 <... recvmsg resumed>...) = 5`.
	straceDone = regexp.MustCompile(`^(?:\d+ +)?(?:(\w+)\((-?\d+)?.*|<\.\.\. (\w+) resumed>.*)\) += (-?\d+|\?)(?: (E\w+))?`)
	// An unfinished one: `123 recvmsg(9,  <unfinished ...>`.
	straceOpen = regexp.MustCompile(`^(\d+) +(\w+)\((-?\d+)?.*<unfinished \.\.\.>$`)
	// A line of socklab's trace: `recvmsg(9, 65536, MSG_TRUNC) = 5 from ...`.
	ourLine = regexp.MustCompile(`^(\w+)\(([^,)]*)[,)].* = (-?\d+)(?: (E\w+))?`)
)

// readStrace reads strace's file: the calls of its network class, and the
// closes of the sockets those made.
func readStrace(t *testing.T, path string) []sysCall {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pending := map[string]sysCall{} // pid → unfinished call
	sockets := map[int]bool{}
	var calls []sysCall
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := straceOpen.FindStringSubmatch(line); m != nil {
			fd, _ := strconv.Atoi(m[3])
			pending[m[1]] = sysCall{name: m[2], fd: fd}
			continue
		}
		m := straceDone.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		c := sysCall{name: m[1], ret: strings.TrimSpace(m[4] + " " + m[5])}
		c.fd, _ = strconv.Atoi(m[2])
		if m[3] != "" { // resumed
			pid, _, _ := strings.Cut(line, " ")
			c.name, c.fd = m[3], pending[pid].fd
		}
		switch {
		case c.name == "socket":
			c.fd, _ = strconv.Atoi(m[4])
			sockets[c.fd] = c.ret != "-1"
		case c.name == "accept4" && c.ret != "-1":
			fd, _ := strconv.Atoi(m[4])
			sockets[fd] = true
		case c.name == "close" && !sockets[c.fd]:
			continue
		case c.name == "close":
			delete(sockets, c.fd)
		}
		calls = append(calls, c)
	}
	return calls
}

// readTrace reads socklab's --trace file.
func readTrace(t *testing.T, path string) (calls []sysCall, lines []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		m := ourLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("trace line %q is not in strace's form", line)
		}
		c := sysCall{name: m[1], ret: strings.TrimSpace(m[3] + " " + m[4])}
		c.fd, _ = strconv.Atoi(m[2])
		if c.name == "socket" {
			c.fd, _ = strconv.Atoi(m[3])
		}
		calls = append(calls, c)
		lines = append(lines, line)
	}
	return calls, lines
}

// compareTraces checks that socklab's trace in dir lists strace's calls,
// and returns its lines.
func compareTraces(t *testing.T, dir string) []string {
	t.Helper()
	want := readStrace(t, filepath.Join(dir, "strace"))
	got, lines := readTrace(t, filepath.Join(dir, "trace"))
	if len(want) == 0 {
		t.Fatal("strace saw no socket call")
	}
	n := max(len(got), len(want))
	for i := range n {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			t.Errorf("the traces part at call %d:\n%s", i+1, sideBySide(got, want))
			break
		}
	}
	return lines
}

func sideBySide(got, want []sysCall) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-40s %s\n", "--trace", "strace")
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i].String()
		}
		if i < len(want) {
			w = want[i].String()
		}
		mark := " "
		if g != w {
			mark = "*"
		}
		fmt.Fprintf(&b, "%s %-40s %s\n", mark, g, w)
	}
	return b.String()
}

// mustTrace checks that the trace has a line matching each of res, in
// order.
func mustTrace(t *testing.T, lines []string, res ...string) {
	t.Helper()
	i := 0
	for _, line := range lines {
		if i < len(res) && regexp.MustCompile(res[i]).MatchString(line) {
			i++
		}
	}
	if i < len(res) {
		t.Errorf("trace lacks a line matching %q (after the ones before it):\n%s", res[i], strings.Join(lines, "\n"))
	}
}

// stopStraced stops a socklab server started under strace: strace keeps
// SIGINT from itself, so the signal goes to socklab, its child.
func stopStraced(t *testing.T, s *server) {
	t.Helper()
	pid := s.cmd.Process.Pid
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	child, _ := strconv.Atoi(strings.Fields(string(b) + " 0")[0])
	if err != nil || child == 0 {
		t.Fatalf("cannot find socklab under strace (pid %d): %v", pid, err)
	}
	syscall.Kill(child, syscall.SIGINT)
	if code := s.wait(); code != 0 {
		t.Fatalf("server exited %d\n%s", code, s)
	}
}

// TestTraceUDPSend: the client's calls, socket to close.
func TestTraceUDPSend(t *testing.T) {
	needStrace(t)
	srv := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0")
	dir := t.TempDir()
	o, flag := straced(dir)
	r := socklabWith(t, o, flag, "udp4", "send", srv.addr, "hello", "seed")
	mustSucceed(t, r, "udp4 send under strace")
	lines := compareTraces(t, dir)
	mustTrace(t, lines, `^socket\(AF_INET, SOCK_DGRAM, IPPROTO_UDP\) = (\d+)$`, `^bind\(\d+, 0\.0\.0\.0:0\) = 0$`,
		`^sendmsg\(\d+, 5 bytes, `+regexp.QuoteMeta(srv.addr)+`\) = 5$`, `^recvmsg\(\d+, 65536, MSG_TRUNC\) = 32 from `+regexp.QuoteMeta(srv.addr)+`$`,
		`^sendmsg\(\d+, 4 bytes, `, `^recvmsg\(\d+, 65536, MSG_TRUNC\) = 31 from `, `^close\(\d+\) = 0$`)
}

// TestTraceUDPServe: the plain server's calls, a recvmsg and a sendmsg
// per datagram, and its batch path's, one recvmmsg and one sendmmsg per
// batch.
func TestTraceUDPServe(t *testing.T) {
	needStrace(t)
	for _, c := range []struct {
		name      string
		args      []string
		recv, snd string
	}{
		{"plain", nil, `^recvmsg\(\d+, 65536, MSG_TRUNC\) = 3 from 127\.0\.0\.1:\d+$`, `^sendmsg\(\d+, 30 bytes, 127\.0\.0\.1:\d+\) = 30$`},
		{"batch", []string{"-q"}, `^recvmmsg\(\d+, 64, MSG_DONTWAIT\|MSG_TRUNC\) = 1$`, `^sendmmsg\(\d+, 1, MSG_DONTWAIT\) = 1$`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			o, flag := straced(dir)
			srv := startServerWith(t, o, append([]string{flag, "udp4", "serve", "--bind", "127.0.0.1:0"}, c.args...)...)
			for _, m := range []string{"one", "two", "six"} {
				mustSucceed(t, socklab(t, "udp4", "send", srv.addr, m), "send "+m)
			}
			stopStraced(t, srv)
			lines := compareTraces(t, dir)
			mustTrace(t, lines, `^socket\(AF_INET, SOCK_DGRAM, IPPROTO_UDP\) = \d+$`, `^bind\(\d+, 127\.0\.0\.1:0\) = 0$`,
				c.recv, c.snd, c.recv, c.snd, c.recv, c.snd, `^close\(\d+\) = 0$`)
		})
	}
}

// TestTraceUnix: a unix server on a path and its client, autobound.
func TestTraceUnix(t *testing.T) {
	needStrace(t)
	path := filepath.Join(shortTempDir(t), "s.sock")
	sdir, cdir := t.TempDir(), t.TempDir()
	so, sflag := straced(sdir)
	srv := startServerWith(t, so, sflag, "unix", "serve", "--path", path)
	co, cflag := straced(cdir)
	mustSucceed(t, socklabWith(t, co, cflag, "unix", "send", "--path", path, "hi"), "unix send under strace")
	stopStraced(t, srv)
	lines := compareTraces(t, sdir)
	mustTrace(t, lines, `^socket\(AF_UNIX, SOCK_DGRAM, 0\) = \d+$`, `^bind\(\d+, `+regexp.QuoteMeta(path)+`\) = 0$`,
		`^recvmsg\(\d+, 65536, MSG_TRUNC\) = 2 from @\w+$`, `^sendmsg\(\d+, 29 bytes, @\w+\) = 29$`, `^close\(\d+\) = 0$`)
	lines = compareTraces(t, cdir)
	mustTrace(t, lines, `^socket\(AF_UNIX, SOCK_DGRAM, 0\) = \d+$`, `^bind\(\d+, \(autobind\)\) = 0$`, `^connect\(\d+, `+regexp.QuoteMeta(path)+`\) = 0$`,
		`^sendmsg\(\d+, 2 bytes, `+regexp.QuoteMeta(path)+`\) = 2$`, `^recvmsg\(\d+, 65536, MSG_TRUNC\) = 29 from `+regexp.QuoteMeta(path)+`$`, `^close\(\d+\) = 0$`)
}

// TestTracePingRaw: ping on a raw ICMP socket (root): the echo requests
// and the replies, read with the IPv4 header. It runs in a namespace of
// its own, where no other ICMP reaches its raw socket.
func TestTracePingRaw(t *testing.T) {
	needStrace(t)
	needRoot(t, "open a raw ICMP socket")
	ns := rawNetns(t, "trace")
	dir := t.TempDir()
	o, flag := straced(dir)
	o.netns = ns
	r := socklabWith(t, o, flag, "icmp4", "ping", "-c", "3", "-i", "0.2", "--mode", "raw", "127.0.0.1")
	mustSucceed(t, r, "ping under strace")
	lines := compareTraces(t, dir)
	send, recv := `^sendmsg\(\d+, 64 bytes, 127\.0\.0\.1\) = 64$`, `^recvmsg\(\d+, 65556, MSG_TRUNC\) = 84 from 127\.0\.0\.1$`
	mustTrace(t, lines, `^socket\(AF_INET, SOCK_RAW, IPPROTO_ICMP\) = \d+$`, `^setsockopt\(\d+, SOL_RAW, ICMP_FILTER, 0x[0-9a-f]+\) = 0$`,
		send, recv, send, recv, send, recv, `^close\(\d+\) = 0$`)
}

// TestTraceTCP: a stream family's calls, traced as the datagram ones are:
// the server's socket, listen, accept4 of the client's connection,
// recvfrom and sendmsg on it, both closes; the client's connect and its
// exchange.
func TestTraceTCP(t *testing.T) {
	needStrace(t)
	sdir, cdir := t.TempDir(), t.TempDir()
	so, sflag := straced(sdir)
	p := start(t, so, sflag, "tcp4", "serve", "--bind", "127.0.0.1:0")
	m := p.waitLine(&p.stderr, listeningRE)
	p.waitLine(&p.stdout, regexp.MustCompile(`^waiting for connection\.\.\.$`))
	srv := &server{proc: p, addr: m[3]}
	co, cflag := straced(cdir)
	mustSucceed(t, socklabWith(t, co, cflag, "tcp4", "send", srv.addr, "hello"), "tcp4 send under strace")
	stopStraced(t, srv)
	lines := compareTraces(t, sdir)
	mustTrace(t, lines, `^socket\(AF_INET, SOCK_STREAM, IPPROTO_TCP\) = \d+$`, `^listen\(\d+, \d+\) = 0$`,
		`^accept4\(\d+, 127\.0\.0\.1:\d+, SOCK_NONBLOCK\|SOCK_CLOEXEC\) = \d+$`, `^recvfrom\(\d+, \d+, 0\) = 5$`,
		`^sendmsg\(\d+, 32 bytes, MSG_NOSIGNAL\) = 32$`, `^close\(\d+\) = 0$`, `^close\(\d+\) = 0$`)
	lines = compareTraces(t, cdir)
	mustTrace(t, lines, `^socket\(AF_INET, SOCK_STREAM, IPPROTO_TCP\) = \d+$`, `^connect\(\d+, `+regexp.QuoteMeta(srv.addr)+`\) = `,
		`^sendmsg\(\d+, 5 bytes, MSG_NOSIGNAL\) = 5$`, `^recvfrom\(\d+, \d+, 0\) = 32$`, `^close\(\d+\) = 0$`)
}
