package main

// --pcap, read back by tshark as a user would: each family's file shows the
// right addresses, ports, lengths and payloads, and valid checksums. Also
// -x's dumps and -v's description of sockets.

import (
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func needTshark(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark is not installed: cannot read --pcap files back (apt-get install tshark)")
	}
}

// readPcap has tshark read file and returns, per frame, the fields asked for, with
// IP and UDP checksums verified.
func readPcap(t *testing.T, file string, fields ...string) [][]string {
	t.Helper()
	args := []string{"-r", file, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "separator=|"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", file, err)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "|"))
		}
	}
	return rows
}

// checkRows compares tshark's rows with want, where "*" matches anything.
func checkRows(t *testing.T, what string, got [][]string, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: tshark shows %d frames, want %d: %q", what, len(got), len(want), got)
	}
	for i := range want {
		for j := range want[i] {
			if want[i][j] != "*" && (j >= len(got[i]) || got[i][j] != want[i][j]) {
				t.Errorf("%s frame %d: %q, want %q", what, i+1, got[i], want[i])
				break
			}
		}
	}
}

func hexOf(s string) string { return hex.EncodeToString([]byte(s)) }

// udpFields are what a user checks of a UDP frame: the ends, the lengths,
// the payload and the checksums' status (1: good).
var udpFields = []string{"ip.src", "udp.srcport", "ip.dst", "udp.dstport", "udp.length", "data.data", "ip.checksum.status", "udp.checksum.status"}

// TestPcapUDP4: the server's and the client's files each hold the two
// datagrams of an exchange, in real IPv4 and UDP headers.
func TestPcapUDP4(t *testing.T) {
	needTshark(t)
	dir := t.TempDir()
	srvFile, cliFile := filepath.Join(dir, "srv.pcapng"), filepath.Join(dir, "cli.pcapng")
	srv := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo", "--pcap", srvFile)
	r := socklab(t, "udp4", "send", "--bind", "127.0.0.1:0", "--pcap", cliFile, srv.addr, "hello")
	mustSucceed(t, r, "send")
	srv.stopServer(os.Interrupt)
	_, sport, _ := net.SplitHostPort(srv.addr)
	for _, f := range []string{srvFile, cliFile} {
		rows := readPcap(t, f, udpFields...)
		cport := "*"
		if len(rows) > 0 && len(rows[0]) > 1 {
			cport = rows[0][1]
		}
		checkRows(t, filepath.Base(f), rows, [][]string{
			{"127.0.0.1", cport, "127.0.0.1", sport, "13", hexOf("hello"), "1", "1"},
			{"127.0.0.1", sport, "127.0.0.1", cport, "13", hexOf("hello"), "1", "1"},
		})
	}
}

// TestPcapWildcard: a server bound to 0.0.0.0 (batch path) writes each
// datagram's real destination, which IP_PKTINFO gives it, and a client
// bound to 0.0.0.0 the source its route has.
func TestPcapWildcard(t *testing.T) {
	needTshark(t)
	dir := t.TempDir()
	srvFile, cliFile := filepath.Join(dir, "srv.pcapng"), filepath.Join(dir, "cli.pcapng")
	srv := startServer(t, "udp4", "serve", "--trace", "--bind", "0.0.0.0:0", "-q", "--reply", "echo", "--pcap", srvFile)
	// The server asks for each datagram's destination once it serves, after
	// it says it listens: a datagram before that would be answered from
	// the route's address, not 127.0.0.2.
	srv.waitLine(&srv.stderr, regexp.MustCompile(`^setsockopt\(\d+, SOL_IP, IP_PKTINFO, 1\) = 0$`))
	_, sport, _ := net.SplitHostPort(srv.addr)
	mustSucceed(t, socklab(t, "udp4", "send", "--pcap", cliFile, "127.0.0.2:"+sport, "hi"), "send to 127.0.0.2")
	srv.stopServer(os.Interrupt)
	for _, f := range []string{srvFile, cliFile} {
		rows := readPcap(t, f, udpFields...)
		checkRows(t, filepath.Base(f), rows, [][]string{
			{"127.0.0.1", "*", "127.0.0.2", sport, "10", hexOf("hi"), "1", "1"},
			{"127.0.0.2", sport, "127.0.0.1", "*", "10", hexOf("hi"), "1", "1"},
		})
	}
}

// TestPcapUDP6: IPv6 headers, with the UDP checksum IPv6 requires.
func TestPcapUDP6(t *testing.T) {
	needTshark(t)
	needIPv6(t)
	file := filepath.Join(t.TempDir(), "c.pcapng")
	srv := startServer(t, "udp6", "serve", "--bind", "[::1]:0", "--reply", "echo")
	mustSucceed(t, socklab(t, "udp6", "send", "--pcap", file, srv.addr, "six"), "send")
	srv.stopServer(os.Interrupt)
	_, sport, _ := net.SplitHostPort(srv.addr)
	rows := readPcap(t, file, "ipv6.src", "ipv6.dst", "udp.dstport", "udp.srcport", "ipv6.plen", "data.data", "udp.checksum.status")
	checkRows(t, "udp6", rows, [][]string{{"::1", "::1", sport, "*", "11", hexOf("six"), "1"}, {"::1", "::1", "*", sport, "11", hexOf("six"), "1"}})
}

// TestPcapUnix: unix datagrams keep both ends' names (the comment), the
// payload and its length.
func TestPcapUnix(t *testing.T) {
	needTshark(t)
	dir := shortTempDir(t)
	path, file := filepath.Join(dir, "s.sock"), filepath.Join(dir, "u.pcapng")
	srv := startServer(t, "unix", "serve", "--path", path, "--reply", "echo", "--pcap", file)
	mustSucceed(t, socklab(t, "unix", "send", "--path", path, "--bind", "@socklab-pcap-client", "over unix"), "send")
	srv.stopServer(os.Interrupt)
	rows := readPcap(t, file, "frame.comment", "_ws.col.Protocol", "data.len", "data.data", "frame.packet_flags_direction")
	checkRows(t, "unix", rows, [][]string{
		{"*", "UNIX", "9", hexOf("over unix"), "0x00000001"},
		{"*", "UNIX", "9", hexOf("over unix"), "0x00000002"},
	})
	for i, want := range []string{"unix @socklab-pcap-client > " + path + ", recvmsg(", "unix " + path + " > @socklab-pcap-client, sendmsg("} {
		if i < len(rows) && !strings.HasPrefix(rows[i][0], want) {
			t.Errorf("frame %d's comment %q does not start %q", i+1, rows[i][0], want)
		}
	}
	for _, r := range rows {
		if len(r) > 0 && !regexp.MustCompile(`^unix \S+ > \S+, (recvmsg|sendmsg)\(\d+\)$`).MatchString(r[0]) {
			t.Errorf("comment %q does not name both ends and the call", r[0])
		}
	}
}

// TestPcapMax: --pcap-max stops the file at a count of datagrams; the
// rest are counted and said.
func TestPcapMax(t *testing.T) {
	needTshark(t)
	file := filepath.Join(t.TempDir(), "b.pcapng")
	srv := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "-q", "--reply", "echo")
	r := socklab(t, "udp4", "bench", "-c", "50", "--pcap", file, "--pcap-max", "10", srv.addr)
	mustSucceed(t, r, "bench")
	srv.stopServer(os.Interrupt)
	if rows := readPcap(t, file, "frame.number"); len(rows) != 10 {
		t.Errorf("the file holds %d datagrams, want --pcap-max's 10", len(rows))
	}
	if !regexp.MustCompile(`(?m)^socklab: --pcap \S+: 10 datagrams written, 90 left out by --pcap-max$`).MatchString(r.stderr) {
		t.Errorf("stderr does not say what --pcap-max left out:\n%s", r.stderr)
	}
}

// TestPcapPing: ping on a raw socket (root) writes the echo request it sent
// inside the IPv4 header the kernel gave it, and the reply as read, both
// with valid checksums; -x dumps them as tcpdump -X does.
func TestPcapPing(t *testing.T) {
	needTshark(t)
	needRoot(t, "open a raw ICMP socket")
	// A namespace of its own: on the host's loopback the raw socket reads
	// every ICMP message there is, other programs' port unreachables too.
	ns := rawNetns(t, "pcap")
	file := filepath.Join(t.TempDir(), "p.pcapng")
	r := socklabWith(t, runOpts{netns: ns}, "icmp4", "ping", "-c", "2", "-i", "0.2", "--mode", "raw", "-x", "--pcap", file, "127.0.0.1")
	mustSucceed(t, r, "ping")
	rows := readPcap(t, file, "ip.src", "ip.dst", "ip.len", "icmp.type", "icmp.seq", "icmp.checksum.status", "ip.checksum.status")
	checkRows(t, "icmp4", rows, [][]string{
		{"127.0.0.1", "127.0.0.1", "84", "8", "1", "1", "1"}, {"127.0.0.1", "127.0.0.1", "84", "0", "1", "1", "1"},
		{"127.0.0.1", "127.0.0.1", "84", "8", "2", "1", "1"}, {"127.0.0.1", "127.0.0.1", "84", "0", "2", "1", "1"},
	})
	for _, re := range []string{`(?m)^\d\d:\d\d:\d\d\.\d{6} sendmsg\(\d+\) \S+ > 127\.0\.0\.1: 64 bytes$`, `(?m)^\t0x0000:  0800 [0-9a-f]{4} [0-9a-f]{4} 0001 `,
		`(?m)^\d\d:\d\d:\d\d\.\d{6} recvmsg\(\d+\) 127\.0\.0\.1 > \S+: 84 bytes$`, `(?m)^\t0x0000:  4500 0054 `} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("-x output lacks %q:\n%s", re, r.stdout)
		}
	}
}

// TestPcapPing6: ICMPv6 has no header on the socket: the file has the
// IPv6 header around it, and the checksum the kernel computed.
func TestPcapPing6(t *testing.T) {
	needTshark(t)
	needIPv6(t)
	needRoot(t, "open a raw ICMPv6 socket")
	ns := rawNetns(t, "pcap6")
	file := filepath.Join(t.TempDir(), "p6.pcapng")
	mustSucceed(t, socklabWith(t, runOpts{netns: ns}, "icmp6", "ping", "-c", "1", "--mode", "raw", "--pcap", file, "::1"), "ping6")
	rows := readPcap(t, file, "ipv6.src", "ipv6.dst", "ipv6.plen", "icmpv6.type", "icmpv6.checksum.status")
	checkRows(t, "icmp6", rows, [][]string{{"::1", "::1", "64", "128", "1"}, {"::1", "::1", "64", "129", "1"}})
}

// TestPcapIP4: ip4 serve writes the packets it reads and the echoes it
// sends with IP_HDRINCL (the header Linux completes); ip4 send too.
func TestPcapIP4(t *testing.T) {
	needTshark(t)
	needRoot(t, "open raw IPv4 sockets")
	ns := rawNetns(t, "pcapip4")
	dir := t.TempDir()
	srvFile, cliFile := filepath.Join(dir, "s.pcapng"), filepath.Join(dir, "c.pcapng")
	srv := start(t, runOpts{netns: ns}, "ip4", "serve", "--pcap", srvFile)
	srv.waitLine(&srv.stderr, regexp.MustCompile(`^socklab: receiving protocol 253`))
	r := socklabWith(t, runOpts{netns: ns}, "ip4", "send", "--expect-reply", "--pcap", cliFile, "127.0.0.1", "raw payload")
	mustSucceed(t, r, "ip4 send")
	if code := srv.stop(os.Interrupt); code != 0 {
		t.Fatalf("ip4 serve exited %d\n%s", code, srv)
	}
	fields := []string{"ip.src", "ip.dst", "ip.proto", "ip.len", "data.data", "ip.checksum.status", "frame.packet_flags_direction"}
	want := hexOf("raw payload")
	// The server reads the request, sends its echo, and reads its own echo
	// back (loopback hands a raw socket every packet of its protocol).
	checkRows(t, "ip4 serve", readPcap(t, srvFile, fields...), [][]string{
		{"127.0.0.1", "127.0.0.1", "253", "31", want, "1", "0x00000001"},
		{"127.0.0.1", "127.0.0.1", "253", "31", want, "1", "0x00000002"},
		{"127.0.0.1", "127.0.0.1", "253", "31", want, "1", "0x00000001"},
	})
	rows := readPcap(t, cliFile, fields...)
	if len(rows) < 2 || fmt.Sprint(rows[0]) != fmt.Sprint([]string{"127.0.0.1", "127.0.0.1", "253", "31", want, "1", "0x00000002"}) {
		t.Errorf("ip4 send's file: %q, want the packet it sent first, as the kernel sends it", rows)
	}
}

// TestVerbose: -v says what is in force on each socket when it first moves
// a datagram: descriptor, triple, addresses and options.
func TestVerbose(t *testing.T) {
	srv := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo")
	r := socklab(t, "udp4", "send", "-v", srv.addr, "v")
	mustSucceed(t, r, "send -v")
	for _, re := range []string{
		`(?m)^socklab: fd \d+ socket\(AF_INET, SOCK_DGRAM, IPPROTO_UDP\) local 0\.0\.0\.0:\d+; first datagram: sendmsg to ` + regexp.QuoteMeta(srv.addr) + `$`,
		`(?m)^socklab:   SO_RCVBUF=\d+ SO_SNDBUF=\d+ .*IP_TTL=\d+ .*IP_RECVERR=1 `,
	} {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("send -v stderr lacks %q:\n%s", re, r.stderr)
		}
	}
	r = socklab(t, "udp4", "bench", "-v", "-c", "5", srv.addr)
	mustSucceed(t, r, "bench -v")
	if !regexp.MustCompile(`(?m)^socklab: fd \d+ socket\(AF_INET, SOCK_DGRAM, IPPROTO_UDP\) local 127\.0\.0\.1:\d+ peer ` + regexp.QuoteMeta(srv.addr) + `; first datagram: sendmmsg to `).MatchString(r.stderr) {
		t.Errorf("bench -v does not show its connected socket's ends:\n%s", r.stderr)
	}
	srv.stopServer(os.Interrupt)
}

// TestFailedCommandKeepsFiles: a command that fails before it has anything
// to write (here a --bind that is no address) leaves the --pcap, --trace
// and --diagram files it names as they were, and makes none; a command
// that fails after datagrams moved writes them; a command that runs
// replaces them.
func TestFailedCommandKeepsFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	args := func(pcap, trace, diagram string, more ...string) []string {
		return append([]string{"--trace=" + p(trace), "udp4", "send", "--pcap", p(pcap), "--diagram", p(diagram)}, more...)
	}
	old := []string{"old.pcap", "old.trace", "old.svg"}
	for _, name := range old {
		if err := os.WriteFile(p(name), []byte("an earlier run's "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, files := range [][3]string{{"old.pcap", "old.trace", "old.svg"}, {"new.pcap", "new.trace", "new.mmd"}} {
		r := socklab(t, args(files[0], files[1], files[2], "--bind", "nonsense", "127.0.0.1:9", "hi")...)
		if r.code == 0 || !strings.Contains(r.stderr, `"nonsense"`) {
			t.Fatalf("want the bind refused\n%s", r)
		}
	}
	for _, name := range old {
		if b, err := os.ReadFile(p(name)); err != nil || string(b) != "an earlier run's "+name {
			t.Errorf("%s after a refused command: %q, %v; want it as it was", name, b, err)
		}
	}
	for _, name := range []string{"new.pcap", "new.trace", "new.mmd"} {
		if _, err := os.Stat(p(name)); !os.IsNotExist(err) {
			t.Errorf("a refused command left %s (%v)", name, err)
		}
	}
	// A command that fails after datagrams moved (nobody listens) writes
	// them, and says what --pcap-max left out.
	closed, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	r := socklab(t, "udp4", "send", "--timeout", "100ms", "--pcap", p("failed.pcap"), "--pcap-max", "1", closed.LocalAddr().String(), "a", "b")
	if b, _ := os.ReadFile(p("failed.pcap")); r.code != exitFailure || !strings.HasPrefix(string(b), "\x0a\x0d\x0d\x0a") ||
		!strings.Contains(r.stderr, "1 datagrams written, 1 left out by --pcap-max") {
		t.Errorf("a send that failed after sending: exit %d, file starts %.8q, want 1, a capture, and what --pcap-max left out\n%s", r.code, b, r)
	}
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo")
	if r := socklab(t, args("old.pcap", "old.trace", "old.svg", s.addr, "hi")...); r.code != 0 {
		t.Fatalf("send: %s", r)
	}
	for name, want := range map[string]string{"old.pcap": "\x0a\x0d\x0d\x0a", "old.trace": "socket(AF_INET, SOCK_DGRAM", "old.svg": "<?xml"} {
		if b, _ := os.ReadFile(p(name)); !strings.HasPrefix(string(b), want) {
			t.Errorf("%s after a run starts %.40q, want %q", name, b, want)
		}
	}
}
