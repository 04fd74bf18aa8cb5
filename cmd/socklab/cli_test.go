package main

// The command line never guesses (issue 8), end to end with the binary:
// strict addresses, flags anywhere, wildcard peers, send going on after a
// lost reply, numbers in socklab's words, hints in the right words, help
// and first contact. Each case failed before its fix.

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStrictAddressRefused: an argument that looks like an address and is
// not a valid one fails with the reason and exit 2; it used to be sent as
// a message to the default server.
func TestStrictAddressRefused(t *testing.T) {
	t.Parallel()
	p := strconv.Itoa(freeUDPPort(t, "udp4", "127.0.0.1"))
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"udp4", "send", "127.0.0.1:abc", "hi"}, []string{`"127.0.0.1:abc"`, `port "abc" is not a number`, "socklab udp4 send -- 127.0.0.1:abc"}},
		{[]string{"udp4", "send", "127.1:" + p, "hi"}, []string{"127.1 is not an IPv4 address"}},
		{[]string{"udp4", "send", "999.1.1.1:" + p, "hi"}, []string{"999.1.1.1 is not an IPv4 address"}},
		{[]string{"udp4", "send", "::1:" + p, "hi"}, []string{"an IPv6 address goes in brackets"}},
		{[]string{"udp4", "send", "127.0.0.1", "hi"}, []string{`"127.0.0.1": no port`}},
		{[]string{"udp4", "send", "127.0.0.1:99999999999999999999", "hi"}, []string{"1 to 65535"}},
		{[]string{"udp6", "send", "[::1]", "hi"}, []string{`"[::1]": no port after the brackets`}},
		{[]string{"udp4", "send", "--to", "127.0.0.1:abc", "hi"}, []string{`port "abc"`}},
		{[]string{"udp4", "bench", "127.0.0.1:abc"}, []string{`port "abc"`}},
		{[]string{"socket", "--family", "inet", "--type", "dgram", "send", "127.0.0.1", "hi"}, []string{"no port"}},
	} {
		r := socklab(t, c.args...)
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			checkOneLineError(t, r, c.want...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d (usage)", r.code, exitUsage)
			}
		})
	}
}

// TestStrictAddressTaken: what looks like an address is the address, for
// every family and form, and the messages after it reach that server.
func TestStrictAddressTaken(t *testing.T) {
	t.Parallel()
	u4 := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo")
	_, port, _ := net.SplitHostPort(u4.addr)
	abstract := fmt.Sprintf("@socklab-cli-%d", os.Getpid())
	ua := startServer(t, "unix", "serve", "--bind", abstract, "--reply", "echo")
	path := filepath.Join(shortTempDir(t), "s.sock")
	up := startServer(t, "unix", "serve", "--path", path, "--reply", "echo")
	cases := [][]string{
		{"udp4", "send", u4.addr, "hi"},
		{"udp4", "send", "localhost:" + port, "hi"},
		{"socket", "--family", "inet", "--type", "dgram", "send", u4.addr, "hi"},
		{"unix", "send", abstract, "hi"},
		{"unix", "send", path, "hi"},
		{"unix", "send", "--path", path, "hi"},
		{"socket", "--family", "unix", "--type", "dgram", "send", abstract, "hi"},
	}
	if haveIPv6() {
		u6 := startServer(t, "udp6", "serve", "--bind", "[::1]:0", "--reply", "echo")
		cases = append(cases, []string{"udp6", "send", u6.addr, "hi"},
			[]string{"socket", "--family", "inet6", "--type", "dgram", "send", u6.addr, "hi"})
	}
	for _, args := range cases {
		r := socklab(t, args...)
		if r.code != 0 || r.stdout != "Response: hi\n" {
			t.Errorf("socklab %s: want the echo of hi from the server named\n%s", strings.Join(args, " "), r)
		}
	}
	// A host name resolves, and send says to what.
	r := socklab(t, "udp4", "send", "localhost:"+port, "hi")
	if !strings.Contains(r.stderr, "localhost:"+port+" is 127.0.0.1:"+port) {
		t.Errorf("localhost: want a note of the address taken\n%s", r)
	}
	for _, s := range []*server{u4, ua, up} {
		s.stopServer(os.Interrupt)
	}
}

// TestWildcardPeer: 0.0.0.0:P and :P mean this host, as for connect(2);
// the reply comes from 127.0.0.1 and is accepted (it was dropped, and send
// said no reply).
func TestWildcardPeer(t *testing.T) {
	t.Parallel()
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo")
	_, port, _ := net.SplitHostPort(s.addr)
	for _, to := range []string{"0.0.0.0:" + port, ":" + port} {
		r := socklab(t, "udp4", "send", "--timeout", "5s", to, "wild")
		if r.code != 0 || r.stdout != "Response: wild\n" || !strings.Contains(r.stderr, "means this host") {
			t.Errorf("send to %s: want the reply, and a note that it means this host\n%s", to, r)
		}
	}
	r := socklab(t, "udp4", "bench", "-c", "10", ":"+port, "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"received":10`) {
		t.Errorf("bench :%s: want every reply\n%s", port, r)
	}
	s.stopServer(os.Interrupt)
}

// TestFlagsAnywhere: flags go after the address and among the messages;
// -- ends them, and what follows is sent however it looks.
func TestFlagsAnywhere(t *testing.T) {
	t.Parallel()
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo")
	r := socklab(t, "udp4", "send", s.addr, "--timeout", "1s", "hi", "-x")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Response: \n00000000  68 69") {
		t.Errorf("flags after the address and the message: want hi, in hex\n%s", r)
	}
	r = socklab(t, "udp4", "send", s.addr, "--", "-hello", "127.0.0.1:9", "--json")
	if r.code != 0 || r.stdout != "Response: -hello\nResponse: 127.0.0.1:9\nResponse: --json\n" {
		t.Errorf("after --: want every argument sent as a message\n%s", r)
	}
	// A message alone after --, to the default address: never an address.
	r = socklab(t, "udp4", "send", "--to", s.addr, "--", "127.0.0.1:abc")
	if r.code != 0 || r.stdout != "Response: 127.0.0.1:abc\n" {
		t.Errorf("--to and a message that looks like an address after --\n%s", r)
	}
	for _, args := range [][]string{{"familes"}, {"upd4", "send"}, {"udp4", "send", "--nope"}} {
		r := socklab(t, args...)
		if r.code != exitUsage || strings.Contains(r.stderr, "flags go before") {
			t.Errorf("socklab %s: want exit 2 without the old hint about flags\n%s", strings.Join(args, " "), r)
		}
	}
	s.stopServer(os.Interrupt)
}

// TestSendGoesOn: send A B C to a peer that never answers sends all three,
// reports each, and exits 1 saying how many failed; --stop-on-error stops
// at the first.
func TestSendGoesOn(t *testing.T) {
	t.Parallel()
	silent := silentUDP(t)
	to := silent.LocalAddr().String()
	r := socklab(t, "udp4", "send", "--timeout", "100ms", to, "A", "B", "C")
	if got := drain(silent, 200*time.Millisecond); strings.Join(got, ",") != "A,B,C" {
		t.Errorf("the peer got %q, want A, B and C", got)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != exitFailure || len(lines) != 4 || !strings.HasPrefix(lines[1], "socklab: message 2: read ") ||
		lines[3] != "socklab: 3 of 3 messages failed" {
		t.Errorf("want one line per lost reply, then the count, and exit 1\n%s", r)
	}
	r = socklab(t, "udp4", "send", "--timeout", "100ms", "--stop-on-error", to, "A", "B", "C")
	if got := drain(silent, 200*time.Millisecond); strings.Join(got, ",") != "A" || r.code != exitFailure {
		t.Errorf("--stop-on-error: the peer got %q (want A alone), exit %d\n%s", got, r.code, r)
	}
}

// TestNumbersInOwnWords: numbers are checked by socklab, with its words
// and exit 2, never kong's "expected int value". So are IP header flags
// and a --bind not in its family's form, before any socket opens: with
// --trace, a socket call would add a line to the one error line.
func TestNumbersInOwnWords(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"udp4", "send", "--bufsize", "0", "127.0.0.1:9", "x"}, "--bufsize 0: want 1 or more"},
		{[]string{"udp4", "send", "--bufsize", "abc", "127.0.0.1:9", "x"}, `--bufsize: "abc" is not a whole number`},
		{[]string{"udp4", "send", "--retries", "-1", "127.0.0.1:9", "x"}, "--retries -1: want 0 or more"},
		{[]string{"udp4", "send", "--timeout", "0", "127.0.0.1:9", "x"}, "--timeout 0s: want a positive duration"},
		{[]string{"udp4", "bench", "-c", "0", "127.0.0.1:9"}, "--count 0: want 1 or more"},
		{[]string{"udp4", "bench", "-c", "-1", "127.0.0.1:9"}, `--count: "-1" is not a count`},
		{[]string{"udp4", "bench", "-d", "-1s", "127.0.0.1:9"}, "--duration -1s: want a positive duration"},
		{[]string{"udp4", "bench", "-d", "NaN", "127.0.0.1:9"}, `"NaN" is not a number of seconds`},
		{[]string{"udp4", "serve", "--batch", "0"}, "--batch 0: want 1 or more"},
		{[]string{"udp4", "serve", "--workers", "0"}, "--workers 0: want 1 or more"},
		{[]string{"udp4", "serve", "--rate-limit", "fast"}, "--rate-limit fast: want N/s"},
		{[]string{"udp4", "serve", "--allow", "10.0.0.0/33"}, "--allow 10.0.0.0/33: want an address or a prefix"},
		{[]string{"--trace", "udp4", "send", "--ttl", "300", "127.0.0.1:9", "x"}, "--ttl 300: want a number from 1 to 255"},
		{[]string{"--trace", "udp4", "bench", "--ttl", "0", "127.0.0.1:9"}, "--ttl 0: want a number from 1 to 255"},
		{[]string{"--trace", "udp4", "serve", "--tos", "999"}, "--tos 999: want a number 0-255"},
		{[]string{"--trace", "udp4", "send", "--bind", "nonsense", "127.0.0.1:9", "x"}, `udp4 address "nonsense": want HOST:PORT`},
		{[]string{"--trace", "udp6", "serve", "--bind", "[::1]:99999"}, `udp6 address "[::1]:99999": port "99999" is not a number`},
	} {
		r := socklab(t, c.args...)
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			checkOneLineError(t, r, c.want)
			if r.code != exitUsage || strings.Contains(r.stderr, "expected") {
				t.Errorf("want exit 2 and socklab's words\n%s", r)
			}
		})
	}
}

// TestHintsNameTheRightThing: the hints that named the wrong flag, the
// wrong cause or UDP's ways for unix.
func TestHintsNameTheRightThing(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	file := filepath.Join(dir, "notes.txt")
	os.WriteFile(file, []byte("keep\n"), 0o644)
	silent, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "silent.sock"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	bcast := "127.255.255.255:" + strconv.Itoa(freeUDPPort(t, "udp4", "127.0.0.1"))
	for _, c := range []struct {
		args    []string
		want    []string
		notWant string
	}{
		{[]string{"unix", "send", "--bind", file, "@nowhere", "x"}, []string{"not a socket", "choose another local address (--bind)"}, "--path"},
		{[]string{"unix", "send", file, "x"}, []string{file + " is not a socket (a regular file)", "choose another peer address (--to)"}, "connection refused"},
		{[]string{"unix", "send", dir, "x"}, []string{"is not a socket (a directory)"}, "connection refused"},
		{[]string{"unix", "send", "--timeout", "100ms", silent.LocalAddr().String(), "x"}, []string{"a unix datagram is never lost", "a longer timeout (--timeout)"}, "lost silently"},
		{[]string{"udp4", "send", bcast, "x"}, []string{"SO_BROADCAST"}, "below 1024"},
		{[]string{"unix", "serve", "--bind", file}, []string{"not a socket", "(--bind)"}, "--path"},
	} {
		r := socklab(t, c.args...)
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			checkOneLineError(t, r, c.want...)
			if strings.Contains(r.stderr, c.notWant) || strings.Contains(r.stderr, "socket socket(") {
				t.Errorf("stderr says %q\n%s", c.notWant, r)
			}
		})
	}
	if b, _ := os.ReadFile(file); string(b) != "keep\n" {
		t.Errorf("the regular file was touched: %q", b)
	}
}

// TestRawHintAsNobody: a raw socket refused to an unprivileged user names
// the capability and this binary, without "socket socket(".
func TestRawHintAsNobody(t *testing.T) {
	t.Parallel()
	needRoot(t, "run socklab as an unprivileged user")
	r := socklabWith(t, runOpts{nobody: true}, "ip4", "send", "127.0.0.1", "x")
	checkOneLineError(t, r, "socklab: socket(AF_INET, SOCK_RAW, IPPROTO_RAW): operation not permitted", "setcap cap_net_raw+ep "+bin)
}

// TestFirstContact: socklab alone prints the usage and exits 2; unix serve
// has no --workers; serve -q prints nothing but its summary; the summary
// says 1 datagram and 1 peer.
func TestFirstContact(t *testing.T) {
	t.Parallel()
	r := socklab(t)
	if r.code != exitUsage || !strings.HasPrefix(r.stderr, "Usage: socklab <command>") || !strings.Contains(r.stderr, "udp4 send") || r.stdout != "" {
		t.Errorf("socklab alone: want the usage on stderr and exit 2\n%s", r)
	}
	if h := socklab(t, "unix", "serve", "--help"); strings.Contains(h.stdout, "--workers") {
		t.Errorf("unix serve --help lists --workers:\n%s", h.stdout)
	}
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "-q")
	mustSucceed(t, socklab(t, "udp4", "send", s.addr, "one"), "send to a -q server")
	n := s.stopServer(os.Interrupt)
	out, _ := s.stdout.snapshot()
	if len(out) != 1 || !strings.HasPrefix(out[0], "summary: 1 datagram, 3 bytes, 1 peer, ") || n[0] != "1" {
		t.Errorf("serve -q: want its summary alone, singular\n%s", s)
	}
}

// TestBenchNoServer: bench at a closed UDP port stops at the kernel's port
// unreachable, as send does, instead of running its duration; a bench with
// no replies prints - for its latencies, not 0.0.
func TestBenchNoServer(t *testing.T) {
	t.Parallel()
	closed := "127.0.0.1:" + strconv.Itoa(freeUDPPort(t, "udp4", "127.0.0.1"))
	r := socklab(t, "udp4", "bench", "-d", "30", closed)
	if r.code != exitFailure || r.elapsed > 10*time.Second || !strings.Contains(r.stderr, "connection refused") ||
		!strings.Contains(r.stderr, "socklab udp4 serve --bind "+closed) {
		t.Errorf("bench at a closed port: want it to stop at once, saying nothing listens\n%s", r)
	}
	silent := silentUDP(t)
	r = socklab(t, "udp4", "bench", "-c", "3", "--timeout", "0.1", silent.LocalAddr().String())
	if r.code != exitFailure || !strings.Contains(r.stdout, "latency µs  -") || !strings.Contains(r.stdout, "jitter      -") || strings.Contains(r.stdout, "p50 0.0") {
		t.Errorf("bench with no replies: want - for latency and jitter\n%s", r)
	}
}

// jsonFailures are command lines that fail, each with --json.
func jsonFailures(t *testing.T) [][]string {
	silent := silentUDP(t).LocalAddr().String()
	closed := "127.0.0.1:" + strconv.Itoa(freeUDPPort(t, "udp4", "127.0.0.1"))
	return [][]string{
		{"udp4", "send", "--json", "--timeout", "100ms", silent, "a", "b"},
		{"udp4", "send", "--json", closed, "a"},
		{"udp4", "send", "--json", "127.0.0.1:abc", "a"},
		{"udp4", "send", "--json", "--bufsize", "0", silent, "a"},
		{"udp4", "send", "--json", silent, strings.Repeat("x", 65508)},
		{"udp4", "send", "--json", "--nope", silent},
		{"unix", "send", "--json", "@socklab-nobody-here-" + strconv.Itoa(os.Getpid()), "a"},
		{"udp4", "bench", "--json", "-c", "3", "--timeout", "0.1", silent},
		{"udp4", "bench", "--json", closed},
		{"udp4", "bench", "--json", "-c", "0", silent},
		{"udp4", "serve", "--json", "--bind", "192.0.2.1:9"},
		{"udp4", "serve", "--json", "--bind", silent},
		{"udp4", "serve", "--json", "--allow", "nonsense"},
		{"unix", "serve", "--json", "--bind", "/nonexistent-dir/s.sock"},
		{"families", "--json", "--nope"},
		{"icmp4", "ping", "--json", "-c", "abc", "127.0.0.1"},
		{"ip4", "send", "--json", "::1"},
	}
}

// TestJSONFailuresAreEvents: with --json, every line of every failure is
// one JSON object with an event and a time, and the failure is an error
// event.
func TestJSONFailuresAreEvents(t *testing.T) {
	t.Parallel()
	for _, args := range jsonFailures(t) {
		r := socklab(t, args...)
		t.Run(strings.Join(args, " ")[:min(60, len(strings.Join(args, " ")))], func(t *testing.T) {
			if r.code == 0 {
				t.Fatalf("want a failure\n%s", r)
			}
			errors := 0
			for _, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
				var ev map[string]any
				if err := json.Unmarshal([]byte(l), &ev); err != nil {
					t.Fatalf("line %q is not one JSON object: %v", l, err)
				}
				tm, _ := ev["time"].(string)
				if _, err := time.Parse(time.RFC3339Nano, tm); err != nil || ev["event"] == nil {
					t.Errorf("line %q lacks an event or an RFC 3339 time", l)
				}
				if ev["event"] == "error" {
					errors++
					if ev["exit"] != float64(r.code) && !strings.Contains(strings.Join(args, " "), " a b") {
						t.Errorf("error event says exit %v, the command exited %d", ev["exit"], r.code)
					}
				}
			}
			if errors == 0 {
				t.Errorf("no error event\n%s", r)
			}
		})
	}
}

// TestSendReplyMatching: with --retries and a slow server, the second
// reply to message one is told as a duplicate and skipped; message two gets
// its own answer (it was printed as two's answer).
func TestSendReplyMatching(t *testing.T) {
	t.Parallel()
	py := needPython(t)
	// A server that answers its first datagram late, after the retry
	// came, then answers everything at once.
	script := `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
first, addr = s.recvfrom(100)
again, addr = s.recvfrom(100)
s.sendto(first, addr)
s.sendto(again, addr)
while True:
    d, a = s.recvfrom(100)
    s.sendto(d, a)
`
	p := startCmd(t, exec.Command(py, "-c", script), []string{"slow server"})
	port := p.waitLine(&p.stdout, regexp.MustCompile(`^(\d+)$`))[1]
	r := socklab(t, "udp4", "send", "--timeout", "300ms", "--retries", "2", "127.0.0.1:"+port, "one", "two")
	if r.code != 0 || r.stdout != "Response: one\nResponse: two\n" || !strings.Contains(r.stderr, `skipped a duplicate reply to the earlier message "one"`) {
		t.Errorf("want one, two, and the duplicate of one told\n%s", r)
	}
}

// TestUnixSendFullQueue: unix send to a server whose queue is full returns
// within its --timeout (it blocked for ever), and SIGTERM ends it at once.
func TestUnixSendFullQueue(t *testing.T) {
	t.Parallel()
	path := filepath.Join(shortTempDir(t), "full.sock")
	full, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	// Fill the queue (net.unix.max_dgram_qlen, 10 by default, or the
	// buffer) from a socket of ours.
	filler, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer filler.Close()
	filler.SetWriteDeadline(time.Now().Add(time.Second))
	for i := 0; i < 100000; i++ {
		if _, err := filler.Write([]byte("fill")); err != nil {
			break
		}
	}
	r := socklab(t, "unix", "send", "--timeout", "1s", path, "hello?")
	checkOneLineError(t, r, "the server's receive queue stayed full", "(--timeout)")
	if r.elapsed > 2*time.Second {
		t.Errorf("send took %v with --timeout 1s, want at most 2s", r.elapsed)
	}
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		p := start(t, runOpts{}, "unix", "send", "--timeout", "1h", path, "blocked")
		// It blocks in its send and prints nothing: wait until it has
		// its socket, which it opens after its signal handlers.
		waitForSocket(t, p)
		if code := p.stop(sig); code != exitInterrupted {
			t.Errorf("after %v: exit %d, want 130\n%s", sig, code, p)
		}
	}
}

// waitForSocket waits until process p holds a socket descriptor, looking
// in /proc on each change of its output or every few milliseconds.
func waitForSocket(t *testing.T, p *proc) {
	t.Helper()
	deadline := time.Now().Add(cmdTimeout)
	for time.Now().Before(deadline) {
		fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", p.cmd.Process.Pid))
		for _, fd := range fds {
			if l, _ := os.Readlink(fd); strings.HasPrefix(l, "socket:") {
				return
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("exited before it opened a socket\n%s", p)
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatalf("no socket after %v\n%s", cmdTimeout, p)
}
