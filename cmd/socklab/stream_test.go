package main

// End-to-end tests of the connection-oriented families: tcp4, tcp6,
// unixstream and seqpacket serve, send and bench, the generic form, --fd,
// what a user meets when things go wrong, and the server under load.

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var streamListeningRE = regexp.MustCompile(`^socklab: (\S+) (socket\(.*\)(?: fd \d+)?) (?:listening on|serving the connection from) (.+), reply (\w+)$`)

// streamServer is a running socklab stream serve.
type streamServer struct {
	*proc
	family, socket, addr string
}

// startStreamServer starts a stream serve command and waits until it has
// said where it listens and "waiting for connection...".
func startStreamServer(t *testing.T, o runOpts, args ...string) *streamServer {
	t.Helper()
	p := start(t, o, args...)
	m := p.waitLine(&p.stderr, streamListeningRE)
	p.waitLine(&p.stdout, regexp.MustCompile(`^waiting for connection\.\.\.$`))
	return &streamServer{proc: p, family: m[1], socket: m[2], addr: m[3]}
}

var (
	streamSummaryRE = regexp.MustCompile(`^summary: (\d+) connections \(peak (\d+) open\), (\d+) refused, (\d+) reads, (\d+) bytes, (\d+) truncated in [\d.]+s$`)
	streamClosedRE  = regexp.MustCompile(`^closed: (\d+) eof, (\d+) reset, (\d+) broken-pipe, (\d+) idle, (\d+) write-timeout, (\d+) evicted, (\d+) shutdown, (\d+) error$`)
)

// stopStreamServer stops s with SIGINT, checks that it exits 0 with its two
// summary lines last, and returns them as text.
func (s *streamServer) stopStreamServer() (summary, closed string) {
	s.t.Helper()
	if code := s.stop(os.Interrupt); code != 0 {
		s.t.Fatalf("server stopped by SIGINT: exit %d\n%s", code, s)
	}
	all, _ := s.stdout.snapshot()
	if len(all) < 2 || !streamSummaryRE.MatchString(all[len(all)-2]) || !streamClosedRE.MatchString(all[len(all)-1]) {
		s.t.Fatalf("the server's last lines are not its summary\n%s", s)
	}
	return all[len(all)-2], all[len(all)-1]
}

// streamCases are the stream families, each served on a fresh address.
func streamCases(t *testing.T) []struct{ family, flag, addr, socket string } {
	dir := shortTempDir(t)
	return []struct{ family, flag, addr, socket string }{
		{"tcp4", "--bind", "127.0.0.1:0", "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)"},
		{"tcp6", "--bind", "[::1]:0", "socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP)"},
		{"unixstream", "--path", filepath.Join(dir, "s.sock"), "socket(AF_UNIX, SOCK_STREAM, 0)"},
		{"unixstream", "--path", "@socklab-e2e-" + strconv.Itoa(os.Getpid()), "socket(AF_UNIX, SOCK_STREAM, 0)"},
		{"seqpacket", "--path", filepath.Join(dir, "p.sock"), "socket(AF_UNIX, SOCK_SEQPACKET, 0)"},
	}
}

// sendArgs is the send (or bench) command that reaches a server of family
// at addr.
func sendArgs(family, action, addr string, rest ...string) []string {
	if strings.HasPrefix(family, "tcp") {
		return append([]string{family, action, addr}, rest...)
	}
	return append([]string{family, action, "--path", addr}, rest...)
}

func TestStreamServeSend(t *testing.T) {
	t.Parallel()
	for _, c := range streamCases(t) {
		t.Run(c.family+c.addr[:1], func(t *testing.T) {
			if c.family == "tcp6" {
				needIPv6(t)
			}
			s := startStreamServer(t, runOpts{}, c.family, "serve", c.flag, c.addr)
			if s.family != c.family || s.socket != c.socket {
				t.Errorf("listening line names %s %s, want %s %s", s.family, s.socket, c.family, c.socket)
			}
			r := socklab(t, sendArgs(c.family, "send", s.addr, "hello", "wörld")...)
			mustSucceed(t, r, c.family+" send")
			if got := responses(t, r); len(got) != 2 || !seedReply("hello").MatchString(got[0]) || !seedReply("wörld").MatchString(got[1]) {
				t.Errorf("responses %q, want [ctime] hello, [ctime] wörld", got)
			}
			closed := s.waitLine(&s.stdout, regexp.MustCompile(`^Closed (.+) after 2 reads, 11 bytes: the peer closed it \(EOF\)$`))
			all, _ := s.stdout.snapshot()
			want := []string{"waiting for connection...", "Connection from " + closed[1], "Got message from " + closed[1], "Received message: hello",
				"Got message from " + closed[1], "Received message: wörld", closed[0]}
			if strings.HasPrefix(c.family, "unix") || c.family == "seqpacket" {
				// An unnamed unix client is named by its connection and
				// process, from SO_PEERCRED.
				want[1] = "Connection from #1 (pid " + strings.TrimSuffix(strings.TrimPrefix(closed[1], "#1 (pid "), ")") +
					", uid " + strconv.Itoa(os.Getuid()) + ", gid " + strconv.Itoa(os.Getgid()) + ")"
			}
			if strings.Join(all, "\n") != strings.Join(want, "\n") {
				t.Errorf("server printed\n%s\nwant\n%s", strings.Join(all, "\n"), strings.Join(want, "\n"))
			}
			if sum, cl := s.stopStreamServer(); !strings.HasPrefix(sum, "summary: 1 connections (peak 1 open), 0 refused, 2 reads, 11 bytes") || !strings.HasPrefix(cl, "closed: 1 eof") {
				t.Errorf("summary %q %q", sum, cl)
			}
		})
	}
}

// TestStreamNoBoundaries: a 40-byte message read with a 16-byte buffer is
// three reads on a stream, each answered, and one truncated message on
// seqpacket, the rest lost as for a datagram.
func TestStreamNoBoundaries(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	msg := strings.Repeat("0123456789", 4)
	s := startStreamServer(t, runOpts{}, "unixstream", "serve", "--path", filepath.Join(dir, "s"), "--bufsize", "16")
	r := socklab(t, "unixstream", "send", "--path", s.addr, msg)
	mustSucceed(t, r, "unixstream send")
	got := responses(t, r)
	if len(got) != 1 || strings.Count(got[0], "] ") != 3 || strings.ReplaceAll(regexp.MustCompile(`\[[^]]*\] `).ReplaceAllString(got[0], ""), "", "") != msg {
		t.Errorf("response %q: want the message in three parts, each with its [ctime] prefix", got)
	}
	reads := s.countLines(&s.stdout, regexp.MustCompile(`^Received message: `), 3)
	if reads[0] != "Received message: 0123456789012345" || reads[2] != "Received message: 23456789" {
		t.Errorf("server reads %q: want 16, 16 and 8 bytes", reads)
	}
	s.stopStreamServer()

	p := startStreamServer(t, runOpts{}, "seqpacket", "serve", "--path", filepath.Join(dir, "p"), "--bufsize", "16")
	r = socklab(t, "seqpacket", "send", "--path", p.addr, msg)
	mustSucceed(t, r, "seqpacket send")
	if got := responses(t, r); len(got) != 1 || !seedReply(msg[:16]).MatchString(got[0]) {
		t.Errorf("response %q: want [ctime] and the 16 bytes read", got)
	}
	p.waitLine(&p.stdout, regexp.MustCompile(`^truncated: message was 40 bytes, read 16, 24 lost \(raise --bufsize\)$`))
	if sum, _ := p.stopStreamServer(); !strings.Contains(sum, "1 truncated") {
		t.Errorf("summary %q, want 1 truncated", sum)
	}
}

// TestStreamGenericForm: socklab socket names the triple and runs the
// stream family's code.
func TestStreamGenericForm(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	cases := []struct {
		triple       []string
		bind, family string
	}{
		{[]string{"--family", "inet", "--type", "stream"}, "127.0.0.1:0", "tcp4"},
		{[]string{"--family", "AF_INET", "--type", "SOCK_STREAM", "--proto", "tcp"}, "127.0.0.1:0", "tcp4"},
		{[]string{"--family", "unix", "--type", "stream"}, filepath.Join(dir, "g.sock"), "unixstream"},
		{[]string{"--family", "unix", "--type", "seqpacket"}, filepath.Join(dir, "q.sock"), "seqpacket"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.triple, " "), func(t *testing.T) {
			s := startStreamServer(t, runOpts{}, append(append([]string{"socket"}, c.triple...), "serve", "--bind", c.bind)...)
			if s.family != c.family {
				t.Errorf("serves as %s, want %s", s.family, c.family)
			}
			r := socklab(t, append(append([]string{"socket"}, c.triple...), "send", "-v", "--to", s.addr, "generic")...)
			mustSucceed(t, r, "generic send")
			if got := responses(t, r); len(got) != 1 || !seedReply("generic").MatchString(got[0]) {
				t.Errorf("responses %q", got)
			}
			if !strings.Contains(r.stderr, ") connected to "+s.addr+" ") {
				t.Errorf("generic send -v does not say it connected, as %s send -v does:\n%s", c.family, r)
			}
			r = socklab(t, sendArgs(c.family, "send", s.addr, "dedicated")...)
			mustSucceed(t, r, "dedicated send")
			s.stopStreamServer()
		})
	}
	// SCTP: socklab probes it, and says why it cannot open here.
	r := socklab(t, "socket", "--family", "inet", "--type", "seqpacket", "serve")
	if err := socketErr(syscall.AF_INET, syscall.SOCK_SEQPACKET, 132); err != nil {
		checkOneLineError(t, r, "socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP)", err.Error(), "SCTP")
	} else {
		checkOneLineError(t, r, "sctp", "no server or client")
	}
}

// socketErr is the error socket(2) gives for the triple here, if any.
func socketErr(family, typ, proto int) error {
	fd, err := syscall.Socket(family, typ, proto)
	if err == nil {
		syscall.Close(fd)
	}
	return err
}

// TestStreamFamiliesTable: the stream families are listed and open here;
// sctp says why not when the kernel has none.
func TestStreamFamiliesTable(t *testing.T) {
	t.Parallel()
	table := familiesTable(t, runOpts{})
	for name, socket := range map[string]string{
		"tcp4":       "AF_INET SOCK_STREAM IPPROTO_TCP | AF_INET SOCK_STREAM IPPROTO_MPTCP",
		"unixstream": "AF_UNIX SOCK_STREAM 0",
		"seqpacket":  "AF_UNIX SOCK_SEQPACKET 0",
	} {
		if row := table[name]; row[1] != socket || row[4] != "yes" {
			t.Errorf("families row %s = %q, want %s, usable", name, row, socket)
		}
	}
	row := table["sctp"]
	if err := socketErr(syscall.AF_INET, syscall.SOCK_SEQPACKET, 132); err != nil {
		if !strings.HasPrefix(row[4], "no: ") || !strings.Contains(row[4], err.Error()) || !strings.Contains(row[4], "no SCTP") {
			t.Errorf("sctp row %q: want why it cannot open (%v)", row, err)
		}
	} else if row[4] != "yes" {
		t.Errorf("sctp row %q: this kernel has SCTP", row)
	}
}

// TestStreamFdServe: --fd adopts a listening socket (Go's, Multipath TCP
// by default) and serves it, or a connected one and serves that one
// connection, then exits.
func TestStreamFdServe(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := startStreamServer(t, runOpts{files: []*os.File{fileOf(t, l.(*net.TCPListener))}}, "tcp4", "serve", "--fd", "3")
	if s.addr != l.Addr().String() || !strings.HasSuffix(s.socket, " fd 3") {
		t.Errorf("adopted listener: %s on %s, want fd 3 on %s", s.socket, s.addr, l.Addr())
	}
	mustSucceed(t, socklab(t, "tcp4", "send", s.addr, "via fd"), "send to an adopted listener")
	s.stopStreamServer()

	// A connected socket: the test is the client.
	ul, err := net.Listen("unix", filepath.Join(shortTempDir(t), "c.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	client, err := net.Dial("unix", ul.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	conn, err := ul.Accept()
	if err != nil {
		t.Fatal(err)
	}
	cs := startStreamServer(t, runOpts{files: []*os.File{fileOf(t, conn.(*net.UnixConn))}}, "socket", "serve", "--fd", "3")
	conn.Close()
	if cs.family != "unixstream" {
		t.Errorf("socket serve --fd on a unix stream connection serves as %s", cs.family)
	}
	client.Write([]byte("hi"))
	buf := make([]byte, 64)
	n, err := client.Read(buf)
	if err != nil || !seedReply("hi").Match(buf[:n]) {
		t.Errorf("reply %q, %v; want [ctime] hi", buf[:n], err)
	}
	client.Close()
	if code := cs.wait(); code != 0 {
		t.Errorf("serve --fd on a connection: exit %d after the peer closed\n%s", code, cs)
	}
	cs.waitLine(&cs.stdout, streamSummaryRE)
}

// TestStreamFdSend: send --fd adopts a connected socket.
func TestStreamFdSend(t *testing.T) {
	t.Parallel()
	s := startStreamServer(t, runOpts{}, "tcp4", "serve", "--bind", "127.0.0.1:0")
	c, err := net.Dial("tcp4", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := socklabWith(t, runOpts{files: []*os.File{fileOf(t, c.(*net.TCPConn))}}, "tcp4", "send", "--fd", "3", "over fd 3")
	mustSucceed(t, r, "send --fd")
	if got := responses(t, r); len(got) != 1 || !seedReply("over fd 3").MatchString(got[0]) {
		t.Errorf("responses %q", got)
	}
	if l := s.waitLine(&s.stdout, regexp.MustCompile(`^Got message from (\S+)$`))[1]; l != c.LocalAddr().String() {
		t.Errorf("the server heard %s, want the adopted socket %s", l, c.LocalAddr())
	}
	s.stopStreamServer()
}

// TestStreamBadInput: every refusal is one line naming the socket, the
// address and the fix.
func TestStreamBadInput(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	held, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	free := freeTCPPort(t)
	reg := filepath.Join(dir, "notes.txt")
	os.WriteFile(reg, []byte("keep\n"), 0o644)
	udp, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	defer udp.Close()
	cases := []struct {
		name  string
		files []*os.File
		args  []string
		want  []string
	}{
		{"port in use", nil, []string{"tcp4", "serve", "--bind", held.Addr().String()}, []string{"bind socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) " + held.Addr().String(), "address already in use", "ss -tlpn"}},
		{"refused", nil, []string{"tcp4", "send", free, "x"}, []string{"connect socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) " + free, "connection refused", "nothing listens"}},
		{"no socket file", nil, []string{"unixstream", "send", "--path", filepath.Join(dir, "none"), "x"}, []string{filepath.Join(dir, "none"), "no such file", "no socket file there"}},
		{"regular file", nil, []string{"seqpacket", "serve", "--path", reg}, []string{reg, "not a socket", "left untouched"}},
		{"too long", nil, []string{"unixstream", "serve", "--path", "/tmp/" + strings.Repeat("x", 110)}, []string{"107"}},
		{"bad port", nil, []string{"tcp4", "serve", "--bind", "127.0.0.1:99999"}, []string{"127.0.0.1:99999", "0 to 65535"}},
		{"max-conns", nil, []string{"tcp4", "serve", "--max-conns", "0"}, []string{"--max-conns 0"}},
		{"split echo", nil, []string{"tcp4", "serve", "--split", "--reply", "echo"}, []string{"--split", "--reply seed"}},
		{"sockperf", nil, []string{"socket", "--family", "inet", "--type", "stream", "serve", "--reply", "sockperf"}, []string{"sockperf", "seed or echo"}},
		{"allow on a stream server", nil, []string{"socket", "--family", "inet", "--type", "stream", "serve", "--bind", free, "--allow", "10.0.0.0/8"}, []string{"--allow", "a stream server does not have them", "--max-conns"}},
		{"rate-limit on a stream server", nil, []string{"socket", "--family", "unix", "--type", "stream", "serve", "--bind", filepath.Join(dir, "rl.sock"), "--rate-limit", "10/s"}, []string{"--rate-limit", "a stream server does not have them"}},
		{"ttl on a stream server", nil, []string{"socket", "--family", "inet", "--type", "stream", "serve", "--bind", free, "--ttl", "5"}, []string{"--ttl", "datagram servers"}},
		{"spin on a stream server", nil, []string{"socket", "--family", "inet", "--type", "stream", "serve", "--bind", free, "--spin", "20us"}, []string{"--spin", "UDP batch path"}},
		{"pcap on a stream server", nil, []string{"socket", "--family", "inet", "--type", "stream", "serve", "--bind", free, "--pcap", filepath.Join(dir, "s.pcap")}, []string{"--pcap", "--trace"}},
		{"datagram IP flag", nil, []string{"socket", "--family", "inet", "--type", "stream", "send", "--to", free, "--ttl", "5", "x"}, []string{"--ttl", "a stream send does not set them", "udp4, udp6"}},
		{"retries", nil, []string{"socket", "--family", "inet", "--type", "stream", "send", "--to", free, "--retries", "2", "x"}, []string{"--retries 2", "nothing to send again"}},
		{"diagram", nil, []string{"socket", "--family", "inet", "--type", "stream", "send", "--to", free, "--diagram", filepath.Join(dir, "d.svg"), "x"}, []string{"--diagram", "--trace"}},
		{"udp fd", []*os.File{fileOf(t, udp.(*net.UDPConn))}, []string{"tcp4", "serve", "--fd", "3"}, []string{"fd 3", "SOCK_DGRAM", "not a tcp4 socket"}},
		{"listener to send", []*os.File{fileOf(t, held.(*net.TCPListener))}, []string{"tcp4", "send", "--fd", "3", "x"}, []string{"fd 3", "listening socket, not a connection"}},
	}
	for _, c := range cases {
		r := socklabWith(t, runOpts{files: c.files}, c.args...)
		t.Run(c.name, func(t *testing.T) { checkOneLineError(t, r, c.want...) })
	}
	if b, _ := os.ReadFile(reg); string(b) != "keep\n" {
		t.Errorf("the regular file was touched: %q", b)
	}
}

// freeTCPPort returns 127.0.0.1:PORT for a port that was free a moment ago.
func freeTCPPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestStreamUnixPathRules: a stream server's path follows the datagram
// server's rules: a stale socket is removed, a live one refused, and the
// file is removed when the server stops.
func TestStreamUnixPathRules(t *testing.T) {
	t.Parallel()
	path := filepath.Join(shortTempDir(t), "s.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	s := startStreamServer(t, runOpts{}, "unixstream", "serve", "--path", path)
	s.waitLine(&s.stderr, regexp.MustCompile(`^socklab: removed stale socket `+regexp.QuoteMeta(path)))
	r := socklab(t, "seqpacket", "serve", "--path", path)
	checkOneLineError(t, r, path, "already in use", "another server is running")
	s.stopStreamServer()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("the server left %s behind: %v", path, err)
	}
}

// TestStreamPeerEnds: the server tells an orderly close (EOF) from a reset
// (a peer that closes with SO_LINGER 0), and a client whose server goes
// away gets an error, not a SIGPIPE.
func TestStreamPeerEnds(t *testing.T) {
	t.Parallel()
	s := startStreamServer(t, runOpts{}, "tcp4", "serve", "--bind", "127.0.0.1:0")
	c, err := net.Dial("tcp4", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("bye"))
	s.waitLine(&s.stdout, regexp.MustCompile(`^Received message: bye$`))
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	s.waitLine(&s.stdout, regexp.MustCompile(`^Closed \S+ after 1 reads, 3 bytes: the peer reset it \(ECONNRESET\)$`))
	s.stopStreamServer()

	// A server that accepts and closes at once.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	r := socklab(t, "tcp4", "send", l.Addr().String(), "one", "two")
	if r.code != 1 {
		t.Errorf("send to a server that closes: exit %d, want 1 (an error, not a signal)\n%s", r.code, r)
	}
	checkOneLineError(t, r, l.Addr().String())
	if !strings.Contains(r.stderr, "closed the connection") && !strings.Contains(r.stderr, "reset") && !strings.Contains(r.stderr, "broken pipe") {
		t.Errorf("stderr %q does not say the server went away", r.stderr)
	}
}

// TestStreamTimeWait: a server stopped with a connection open closes
// first, so its end of it waits in TIME_WAIT on the port. A new server
// binds over it with SO_REUSEADDR, socklab's default; without, it cannot,
// and says why.
func TestStreamTimeWait(t *testing.T) {
	t.Parallel()
	addr := freeTCPPort(t)
	s := startStreamServer(t, runOpts{}, "tcp4", "serve", "--bind", addr)
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("x"))
	s.waitLine(&s.stdout, regexp.MustCompile(`^Received message: x$`))
	s.stopStreamServer()
	// The server closed first (FIN); the client reads EOF and closes, and
	// the server's end goes to TIME_WAIT.
	buf := make([]byte, 64)
	for {
		if _, err := c.Read(buf); err != nil {
			break
		}
	}
	c.Close()
	r := socklab(t, "tcp4", "serve", "--bind", addr, "--no-reuseaddr")
	checkOneLineError(t, r, addr, "address already in use", "TIME_WAIT")
	again := startStreamServer(t, runOpts{}, "tcp4", "serve", "--bind", addr)
	mustSucceed(t, socklab(t, "tcp4", "send", addr, "restarted"), "send to the restarted server")
	again.stopStreamServer()
}

// TestStreamPeerCred: a unix server names each client's process, here one
// running as nobody, from SO_PEERCRED; the client names the server's.
func TestStreamPeerCred(t *testing.T) {
	t.Parallel()
	needRoot(t, "run the client as another user")
	name := "@socklab-cred-" + strconv.Itoa(os.Getpid())
	s := startStreamServer(t, runOpts{}, "seqpacket", "serve", "--path", name)
	client := start(t, runOpts{nobody: true}, "seqpacket", "send", "-v", "--path", name, "who am i")
	if code := client.wait(); code != 0 {
		t.Fatalf("send as nobody: exit %d\n%s", code, client)
	}
	pid := strconv.Itoa(client.cmd.Process.Pid)
	s.waitLine(&s.stdout, regexp.MustCompile(`^Connection from #1 \(pid `+pid+`, uid 65534, gid 65534\)$`))
	client.waitLine(&client.stderr, regexp.MustCompile(`the server is pid `+strconv.Itoa(s.cmd.Process.Pid)+`, uid 0, gid 0 \(SO_PEERCRED\)`))
	s.stopStreamServer()
}

// TestStreamJSON: serve and send print NDJSON events with "event" and
// "time".
func TestStreamJSON(t *testing.T) {
	t.Parallel()
	p := start(t, runOpts{}, "tcp4", "serve", "--json", "--bind", "127.0.0.1:0")
	addr := p.waitLine(&p.stdout, regexp.MustCompile(`"addr":"([^"]+)"`))[1]
	r := socklab(t, "tcp4", "send", "--json", addr, "hello")
	mustSucceed(t, r, "send --json")
	evs := decodeNDJSON(t, r.stdout)
	if len(evs) != 2 || evs[0]["event"] != "connected" || evs[1]["event"] != "response" {
		t.Fatalf("send events %v, want connected, response", evs)
	}
	checkFields(t, evs[0], map[string]any{"to": addr, "from": nil, "connect_us": nil, "nodelay": true, "time": nil})
	checkFields(t, evs[1], map[string]any{"sent_bytes": 5, "bytes": 32, "reads": 1, "rtt_us": nil, "time": nil})
	p.waitLine(&p.stdout, regexp.MustCompile(`"event":"closed"`))
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d\n%s", code, p)
	}
	evs = decodeNDJSON(t, p.stdout.String()+"\n")
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev["event"].(string))
		if _, ok := ev["time"].(string); !ok {
			t.Errorf("event without a time: %v", ev)
		}
	}
	if strings.Join(kinds, ",") != "listening,connection,message,closed,summary" {
		t.Errorf("serve events %v", kinds)
	}
	checkFields(t, evs[3], map[string]any{"reason": "eof", "reads": 1, "bytes": 5, "open": 0})
	checkFields(t, evs[4], map[string]any{"connections": 1, "reads": 1, "bytes": 5, "read_buffers": 1, "elapsed_s": nil})
}

// holdConns opens n connections to addr that never send, closed when the
// test ends.
func holdConns(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	var cs []net.Conn
	for range n {
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cs = append(cs, c)
	}
	return cs
}

// TestStreamMaxConns: a full server resets a new connection, says so once
// a second whatever the flood, and serves again when idle connections are
// closed by --idle-timeout.
func TestStreamMaxConns(t *testing.T) {
	t.Parallel()
	s := startStreamServer(t, runOpts{}, "tcp4", "serve", "--bind", "127.0.0.1:0", "--max-conns", "5", "--evict-idle", "0", "--idle-timeout", "1s")
	holdConns(t, s.addr, 5)
	s.countLines(&s.stdout, regexp.MustCompile(`^Connection from `), 5)
	r := socklab(t, "tcp4", "send", s.addr, "full?")
	checkOneLineError(t, r, s.addr)
	if !strings.Contains(r.stderr, "reset") && !strings.Contains(r.stderr, "broken pipe") {
		t.Errorf("send to a full server: %q, want it reset", r.stderr)
	}
	s.waitLine(&s.stderr, regexp.MustCompile(`^socklab: refused a connection from 127\.0\.0\.1:\d+: 5 open, the --max-conns limit`))
	// A flood: 100 more connections, each reset; one or two lines say so.
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	for range 100 {
		var d net.Dialer
		if c, err := d.DialContext(ctx, "tcp4", s.addr); err == nil {
			c.Close()
		}
	}
	// The slowloris connections go at --idle-timeout, and the server serves.
	s.countLines(&s.stdout, regexp.MustCompile(`^Closed \S+ after 0 reads, 0 bytes: nothing to read for \S+ \(--idle-timeout 1s\)$`), 5)
	mustSucceed(t, socklab(t, "tcp4", "send", s.addr, "served"), "send after the idle connections went")
	sum, cl := s.stopStreamServer()
	m := streamSummaryRE.FindStringSubmatch(sum)
	conns, _ := strconv.Atoi(m[1])
	refused, _ := strconv.Atoi(m[3])
	// A flood that outlasts --idle-timeout gets some of its connections in.
	if conns+refused != 107 || refused < 50 || m[2] != "5" || !strings.Contains(cl, " 5 idle") {
		t.Errorf("summary %q %q, want 107 connections in all, most refused, 5 closed idle", sum, cl)
	}
	if n := len(regexp.MustCompile(`(?m)^socklab: refused`).FindAllString(s.stderr.String(), -1)); n > 3 {
		t.Errorf("%d refused lines for 101 refusals: want at most one a second", n)
	}
}

// TestStreamEvict: when the server is full, a new connection takes the
// place of one idle --evict-idle or more.
func TestStreamEvict(t *testing.T) {
	t.Parallel()
	s := startStreamServer(t, runOpts{}, "tcp4", "serve", "--bind", "127.0.0.1:0", "--max-conns", "3", "--evict-idle", "100ms")
	holdConns(t, s.addr, 3)
	s.countLines(&s.stdout, regexp.MustCompile(`^Connection from `), 3)
	// Idle time is what eviction measures: wait for it to pass.
	time.Sleep(300 * time.Millisecond)
	mustSucceed(t, socklab(t, "tcp4", "send", s.addr, "let me in"), "send to a full server with idle connections")
	s.waitLine(&s.stdout, regexp.MustCompile(`^Closed \S+ after 0 reads, 0 bytes: evicted after \S+ idle, for a new connection \(--max-conns 3 reached\)$`))
	s.stopStreamServer()
}

// TestStreamPeerNeverReads: a client that floods and never reads blocks
// only its own connection, closed after --write-timeout; others are served
// meanwhile.
func TestStreamPeerNeverReads(t *testing.T) {
	t.Parallel()
	s := startStreamServer(t, runOpts{}, "tcp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo", "-q", "--write-timeout", "1s")
	hog, err := net.Dial("tcp4", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer hog.Close()
	go func() {
		chunk := make([]byte, 1<<20)
		for {
			if _, err := hog.Write(chunk); err != nil {
				return
			}
		}
	}()
	mustSucceed(t, socklab(t, "tcp4", "send", s.addr, "still served"), "send while another client does not read")
	// -q still tells the connections the server ended.
	s.waitLine(&s.stdout, regexp.MustCompile(`^Closed `+regexp.QuoteMeta(hog.LocalAddr().String())+` after \d+ reads, \d+ bytes: the peer does not read: a reply waited 1s for room \(--write-timeout\)$`))
	if _, cl := s.stopStreamServer(); !strings.Contains(cl, " 1 write-timeout") {
		t.Errorf("closed counts %q, want 1 write-timeout", cl)
	}
}

// TestStreamNagle: a reply in two writes (--split) with Nagle's algorithm
// on (--no-nodelay) waits for the client's delayed ACK before its second
// part goes; with TCP_NODELAY it does not wait.
func TestStreamNagle(t *testing.T) {
	t.Parallel()
	p50 := func(args ...string) float64 {
		s := startStreamServer(t, runOpts{}, append([]string{"tcp4", "serve", "--bind", "127.0.0.1:0", "-q", "--split"}, args...)...)
		code, out, errs := benchRun(t, "tcp4", "bench", s.addr, "--mode", "pingpong", "--count", "20", "--json")
		if code != 0 {
			t.Fatalf("bench: exit %d: %s", code, errs)
		}
		s.stopStreamServer()
		m := regexp.MustCompile(`"p50":([\d.]+)`).FindStringSubmatch(out)
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	nagle, nodelay := p50("--no-nodelay"), p50()
	if nagle < 20000 {
		t.Errorf("with Nagle on and the reply split, the median round trip is %.0fµs: want a delayed ACK's wait, 20ms or more", nagle)
	}
	if nodelay > nagle/4 {
		t.Errorf("with TCP_NODELAY the median round trip is %.0fµs, with Nagle %.0fµs: want it far below", nodelay, nagle)
	}
}

// TestStreamServeDefaults: serve binds the seed's addresses (127.0.0.1:8020,
// [::1]:8020, @socklab) and send goes there. A default already taken on
// this host skips its family.
func TestStreamServeDefaults(t *testing.T) {
	for _, c := range []struct{ family, addr string }{
		{"tcp4", "127.0.0.1:8020"}, {"tcp6", "[::1]:8020"}, {"unixstream", "@socklab"}, {"seqpacket", "@socklab"},
	} {
		t.Run(c.family, func(t *testing.T) {
			t.Parallel()
			if c.family == "tcp6" {
				needIPv6(t)
			}
			p := start(t, runOpts{}, c.family, "serve")
			first := p.waitLine(&p.stderr, regexp.MustCompile(`^socklab: .*$`))[0]
			m := streamListeningRE.FindStringSubmatch(first)
			if m == nil {
				p.wait()
				if strings.Contains(first, "in use") {
					t.Skipf("the default %s is taken on this host: %s", c.addr, first)
				}
				t.Fatalf("%s serve with no address failed\n%s", c.family, p)
			}
			if m[3] != c.addr {
				t.Errorf("%s serve listens on %s, want the default %s", c.family, m[3], c.addr)
			}
			r := socklab(t, c.family, "send", "default "+c.family)
			mustSucceed(t, r, c.family+" send to the default address")
			p.waitLine(&p.stdout, regexp.MustCompile(`^Received message: default `+c.family+`$`))
			if code := p.stop(os.Interrupt); code != 0 {
				t.Errorf("exit %d after SIGINT\n%s", code, p)
			}
		})
	}
}

// TestStreamGenericFormLimits: the generic form's serve on a stream type
// takes the stream server's limits, not only its defaults.
func TestStreamGenericFormLimits(t *testing.T) {
	t.Parallel()
	p := start(t, runOpts{}, "socket", "--family", "inet", "--type", "stream", "serve", "--bind", "127.0.0.1:0", "--max-conns", "3", "--evict-idle", "0", "--idle-timeout", "7s", "-v")
	p.waitLine(&p.stderr, regexp.MustCompile(`^socklab: limits: --max-conns 3, --evict-idle 0s, --idle-timeout 7s, --write-timeout 10s`))
	p.stop(os.Interrupt)
}

// A stdin line longer than send reads as one line is refused by what it
// is on a byte stream (not by a message size a stream does not have).
func TestStreamSendLineTooLong(t *testing.T) {
	t.Parallel()
	s := startStreamServer(t, runOpts{}, "tcp4", "serve", "--bind", "127.0.0.1:0")
	long := strings.Repeat("x", streamLineMax+64*1024+1) + "\n"
	r := socklabWith(t, runOpts{stdin: strings.NewReader(long)}, "tcp4", "send", s.addr)
	want := "socklab: send socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) " + s.addr + ": stdin has a line of more than 1114112 bytes, more than send reads as one line (pass it as a message argument, which a stream carries whatever its length)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("want exit 1 and %q:\n%s", want, r)
	}
	s.stopStreamServer()
}
