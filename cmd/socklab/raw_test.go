package main

// Tests of the raw families (icmp4, icmp6, ip4) and socklab doctor. They
// run the built binary, mostly inside network namespaces each test creates
// (so other tests' loopback traffic never mixes in, and ping_group_range or
// icmp_echo_ignore_all change only there), and check what a user would see:
// real replies from the kernel, real header fields on the wire.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/rawsock"
	"golang.org/x/net/bpf"
	"golang.org/x/net/ipv4"
)

// needRaw skips unless a raw socket opens here (CAP_NET_RAW), found by
// opening one.
func needRaw(t *testing.T) {
	t.Helper()
	if err := families.ProbeSpec(rawsock.ICMPSpec(4, rawsock.ModeRaw)); err != nil {
		t.Skipf("needs CAP_NET_RAW (run as root, as CI does): %v", err)
	}
}

// rawNetns creates a network namespace with loopback up, removed when the
// test ends whatever happens. Its name carries this process's PID and a
// random tag, so that test runs side by side never share one. It skips when
// namespaces cannot be made. Run socklab inside it with runOpts.netns.
func rawNetns(t *testing.T, tag string) string {
	t.Helper()
	needRaw(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command (iproute2) to build network namespaces")
	}
	var r [4]byte
	rand.Read(r[:])
	name := fmt.Sprintf("socklab-%s-%d-%s", tag, os.Getpid(), hex.EncodeToString(r[:]))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	rawSh(t, name, "ip link set lo up")
	return name
}

// rawSh runs a shell command in namespace ns ("" for this one) and fails
// the test if it fails.
func rawSh(t *testing.T, ns, script string) string {
	t.Helper()
	var cmd *exec.Cmd
	if ns == "" {
		cmd = exec.Command("sh", "-c", script)
	} else {
		cmd = exec.Command("ip", "netns", "exec", ns, "sh", "-c", script)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return string(out)
}

// startRawServer starts a raw listener (icmp4 serve, ip4 serve) in
// namespace ns and waits until it has printed ready on stderr and holds
// its raw socket: it prints that line before it opens the socket, so the
// line alone does not say that a packet sent now will be seen.
func startRawServer(t *testing.T, ns string, ready *regexp.Regexp, args ...string) *proc {
	t.Helper()
	p := start(t, runOpts{netns: ns}, args...)
	p.waitLine(&p.stderr, ready)
	timeout := time.After(cmdTimeout)
	for !holdsRawSocket(p.cmd.Process.Pid) {
		select {
		case <-p.exited:
			t.Fatalf("exited before it opened a raw socket\n%s", p)
		case <-timeout:
			t.Fatalf("no raw socket open after %v\n%s", cmdTimeout, p)
		case <-time.After(2 * time.Millisecond):
			// No event says a socket was opened: look again.
		}
	}
	return p
}

// holdsRawSocket reports whether process pid has a raw socket open, by
// finding the inode of one of its descriptors in its namespace's
// /proc/net/raw or raw6.
func holdsRawSocket(pid int) bool {
	raw := map[string]bool{}
	for _, table := range []string{"raw", "raw6"} {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		for _, l := range strings.Split(string(b), "\n")[1:] {
			if f := strings.Fields(l); len(f) > 9 {
				raw[f[9]] = true // sl local remote st tx:rx tr:when retrnsmt uid timeout inode
			}
		}
	}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); ok && raw[strings.TrimSuffix(inode, "]")] {
			return true
		}
	}
	return false
}

var replyLine = regexp.MustCompile(`(?m)^64 bytes from (\S+): icmp_seq=(\d+) ttl=(\d+) time=\d+(\.\d+)? ms$`)

func checkPing(t *testing.T, r result, host string, sent, received int, ttl string) {
	t.Helper()
	m := replyLine.FindAllStringSubmatch(r.stdout, -1)
	if len(m) != received {
		t.Fatalf("want %d reply lines from %s, got %d:\n%s", received, host, len(m), r)
	}
	for i, l := range m {
		if l[1] != host || l[2] != fmt.Sprint(i+1) || l[3] != ttl {
			t.Errorf("reply line %q: want from %s icmp_seq=%d ttl=%s", l[0], host, i+1, ttl)
		}
	}
	loss := 100 * (sent - received) / sent
	sum := fmt.Sprintf("--- %s ping statistics ---\n%d packets transmitted, %d received, %d%% packet loss, time ", host, sent, received, loss)
	if !strings.Contains(r.stdout, sum) {
		t.Errorf("summary: want %q in\n%s", sum, r)
	}
	if received > 0 && !regexp.MustCompile(`rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms`).MatchString(r.stdout) {
		t.Errorf("no rtt line:\n%s", r)
	}
}

// TestICMPPingLoopback pings 127.0.0.1 and ::1, answered by the kernel, on
// the raw socket and on the datagram socket (ping_group_range opened inside
// the test's namespace only).
func TestICMPPingLoopback(t *testing.T) {
	ns := rawNetns(t, "lo")
	rawSh(t, ns, "sysctl -qw net.ipv4.ping_group_range='0 2147483647'")
	for _, tc := range []struct{ fam, host, mode string }{
		{"icmp4", "127.0.0.1", "raw"}, {"icmp4", "127.0.0.1", "dgram"},
		{"icmp6", "::1", "raw"}, {"icmp6", "::1", "dgram"},
	} {
		t.Run(tc.fam+"-"+tc.mode, func(t *testing.T) {
			r := socklabWith(t, runOpts{netns: ns}, tc.fam, "ping", "-c", "3", "-i", "0.2", "--mode", tc.mode, tc.host)
			if r.code != 0 {
				t.Fatalf("ping failed: %s", r)
			}
			checkPing(t, r, tc.host, 3, 3, "64")
			want := "socket(AF_INET, SOCK_" + strings.ToUpper(tc.mode)
			if tc.fam == "icmp6" {
				want = "socket(AF_INET6, SOCK_" + strings.ToUpper(tc.mode)
			}
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr does not name the socket %q:\n%s", want, r)
			}
			if strings.Contains(r.stdout, "DUP!") {
				t.Errorf("a pinger on loopback must not count its own requests:\n%s", r)
			}
		})
	}
}

// TestICMPDgramEchoID checks -e on a datagram socket: the ID a listener sees
// on the wire is the one asked for (the socket's port), and ping still
// matches the replies.
func TestICMPDgramEchoID(t *testing.T) {
	ns := rawNetns(t, "id")
	rawSh(t, ns, "sysctl -qw net.ipv4.ping_group_range='0 2147483647'")
	srv := startRawServer(t, ns, regexp.MustCompile(`^socklab: listening on socket\(AF_INET, SOCK_RAW, IPPROTO_ICMP\)$`), "icmp4", "serve")
	r := socklabWith(t, runOpts{netns: ns}, "icmp4", "ping", "-c", "2", "-i", "0.2", "--mode", "dgram", "-e", "4242", "127.0.0.1")
	checkPing(t, r, "127.0.0.1", 2, 2, "64")
	if !strings.Contains(r.stderr, "echo id 4242") {
		t.Errorf("ping does not print the id on the wire:\n%s", r)
	}
	// The listener's raw socket saw both ways of the exchange.
	for _, want := range []string{"echo (type 8 code 0) id 4242 seq 1 size 64", "echo reply (type 0 code 0) id 4242 seq 2 size 64"} {
		srv.waitLine(&srv.stdout, regexp.MustCompile(regexp.QuoteMeta(want)))
	}
	// JSON: events, then the summary object.
	r = socklabWith(t, runOpts{netns: ns}, "icmp4", "ping", "-c", "2", "-i", "0.2", "--mode", "dgram", "--json", "127.0.0.1")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var sum rawsock.PingStats
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || sum.Event != "summary" || sum.Transmitted != 2 || sum.Received != 2 || sum.Mode != "dgram" {
		t.Errorf("--json summary %+v (%v):\n%s", sum, err, r)
	}
	replies := 0
	for _, l := range lines[:len(lines)-1] {
		var e rawsock.PingEvent
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("not NDJSON: %q: %v", l, err)
		}
		if e.Event == rawsock.EventReply && e.TTL == 64 && e.RTT > 0 && e.From == "127.0.0.1" {
			replies++
		}
	}
	if replies != 2 {
		t.Errorf("want 2 reply events:\n%s", r)
	}
}

// TestICMPLab builds client - router - server namespaces and pings across.
func TestICMPLab(t *testing.T) {
	c, rt, s := rawNetns(t, "c"), rawNetns(t, "r"), rawNetns(t, "s")
	rawSh(t, "", fmt.Sprintf("ip link add c0 netns %s type veth peer name r0 netns %s", c, rt))
	rawSh(t, "", fmt.Sprintf("ip link add s0 netns %s type veth peer name r1 netns %s", s, rt))
	rawSh(t, c, "ip addr add 10.77.1.1/24 dev c0 && ip link set c0 up && ip route add default via 10.77.1.2 && sysctl -qw net.ipv4.ping_group_range='0 2147483647'")
	rawSh(t, rt, "ip addr add 10.77.1.2/24 dev r0 && ip addr add 10.77.2.1/24 dev r1 && ip link set r0 up && ip link set r1 up && sysctl -qw net.ipv4.ip_forward=1")
	rawSh(t, s, "ip addr add 10.77.2.2/24 dev s0 && ip link set s0 up && ip route add default via 10.77.2.1")

	for _, mode := range []string{"raw", "dgram"} {
		t.Run("across-"+mode, func(t *testing.T) {
			r := socklabWith(t, runOpts{netns: c}, "icmp4", "ping", "-c", "2", "-i", "0.2", "--mode", mode, "10.77.2.2")
			checkPing(t, r, "10.77.2.2", 2, 2, "63") // one hop: the router took one off
		})
		t.Run("ttl1-"+mode, func(t *testing.T) {
			r := socklabWith(t, runOpts{netns: c}, "icmp4", "ping", "-c", "1", "-t", "1", "-W", "1", "--mode", mode, "10.77.2.2")
			want := "From 10.77.1.2 icmp_seq=1 Time to live exceeded\n"
			if !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "1 packets transmitted, 0 received, +1 errors, 100% packet loss") || r.code != 1 {
				t.Errorf("want %q, +1 errors and exit 1:\n%s", want, r)
			}
		})
	}
	t.Run("echo-ignore-all", func(t *testing.T) {
		rawSh(t, s, "sysctl -qw net.ipv4.icmp_echo_ignore_all=1")
		r := socklabWith(t, runOpts{netns: c}, "icmp4", "ping", "-c", "1", "-W", "0.5", "10.77.2.2")
		if r.code != 1 || !strings.Contains(r.stdout, "1 packets transmitted, 0 received, 100% packet loss") {
			t.Fatalf("with icmp_echo_ignore_all=1 the server must not answer:\n%s", r)
		}
		srv := startRawServer(t, s, regexp.MustCompile(`^socklab: listening and answering echo requests on `), "icmp4", "serve", "--reply")
		r = socklabWith(t, runOpts{netns: c}, "icmp4", "ping", "-c", "2", "-i", "0.2", "10.77.2.2")
		checkPing(t, r, "10.77.2.2", 2, 2, "63")
		// The replies came from serve --reply: it says so of each request.
		srv.countLines(&srv.stdout, regexp.MustCompile(`^from 10\.77\.1\.1 ttl 63: echo \(type 8 code 0\) .*, replied$`), 2)
	})
}

// rawReceiver reads IPv4 packets of proto on a raw socket of the test.
func rawReceiver(t *testing.T, proto int) *net.IPConn {
	t.Helper()
	c, err := net.ListenIP(fmt.Sprintf("ip4:%d", proto), &net.IPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Skipf("raw socket for protocol %d: %v", proto, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readHeader returns the first packet on c for which match is true.
func readHeader(t *testing.T, c *net.IPConn, match func(h *ipv4.Header, payload []byte) bool) (*ipv4.Header, []byte) {
	t.Helper()
	buf := make([]byte, 65536)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		// ReadMsgIP keeps the IPv4 header that ReadFrom would strip.
		n, _, _, _, err := c.ReadMsgIP(buf, nil)
		if err != nil {
			t.Fatalf("no matching packet: %v", err)
		}
		h, err := ipv4.ParseHeader(buf[:n])
		if err != nil {
			continue
		}
		if match(h, buf[h.Len:n]) {
			return h, append([]byte(nil), buf[h.Len:n]...)
		}
	}
}

// TestIP4UDPHeaderFields sends a UDP datagram built by ip4 send: an
// ordinary UDP socket receives it (so its checksum is right), and the TTL,
// TOS, ID and DF a raw socket sees are the ones on the command line.
func TestIP4UDPHeaderFields(t *testing.T) {
	needRaw(t)
	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	port := u.LocalAddr().(*net.UDPAddr).Port
	raw := rawReceiver(t, 17)
	// Other tests flood loopback with UDP; keep only this port's datagrams
	// so the raw socket's queue cannot overflow before ours arrives.
	filter, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadMemShift{Off: 0},          // X = IPv4 header length
		bpf.LoadIndirect{Off: 2, Size: 2}, // A = UDP destination port
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(port), SkipFalse: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ipv4.NewPacketConn(raw).SetBPF(filter); err != nil {
		t.Fatalf("attach BPF filter: %v", err)
	}
	r := socklab(t, "ip4", "send", "127.0.0.1", "hello raw", "--proto", "udp", "--dport", fmt.Sprint(port),
		"--ttl", "9", "--tos", "40", "--id", "4321", "--df", "--dump")
	if r.code != 0 {
		t.Fatalf("ip4 send: %s", r)
	}
	for _, want := range []string{"ipv4    0008  09", "TTL                     9", "identification          4321 (0x10e1)", "flags DF, offset 0", "(correct, with the pseudo-header)", "kernel overrides: always recomputes the header checksum"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--dump lacks %q:\n%s", want, r.stdout)
		}
	}
	u.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 100)
	n, from, err := u.ReadFromUDP(buf)
	if err != nil || string(buf[:n]) != "hello raw" {
		t.Fatalf("the UDP socket did not get the datagram (bad checksum?): %q %v", buf[:n], err)
	}
	h, _ := readHeader(t, raw, func(h *ipv4.Header, p []byte) bool {
		return len(p) >= 8 && int(p[2])<<8|int(p[3]) == port
	})
	if h.TTL != 9 || h.TOS != 40 || h.ID != 4321 || h.Flags&ipv4.DontFragment == 0 || !h.Src.Equal(from.IP) {
		t.Errorf("on the wire: %v, want ttl 9 tos 40 id 4321 DF from %v", h, from)
	}
}

// TestIP4KernelOverrides measures what Linux changes in an IP_HDRINCL
// header: the checksum and total length always, the ID when it is 0 and
// DF is clear, the source when it is 0.0.0.0, and nothing else.
func TestIP4KernelOverrides(t *testing.T) {
	needRaw(t)
	raw := rawReceiver(t, 254)
	send := func(tag string, args ...string) *ipv4.Header {
		r := socklab(t, append([]string{"ip4", "send", "127.0.0.1", tag, "--proto", "254"}, args...)...)
		if r.code != 0 {
			t.Fatalf("ip4 send: %s", r)
		}
		h, _ := readHeader(t, raw, func(h *ipv4.Header, p []byte) bool { return string(p) == tag })
		return h
	}
	var r [4]byte
	rand.Read(r[:])
	tag := hex.EncodeToString(r[:])
	h := send(tag+"a", "--id", "0")
	if h.ID == 0 || !h.Src.Equal(net.IPv4(127, 0, 0, 1)) || h.TotalLen != 20+9 {
		t.Errorf("ID 0 with DF clear and source 0.0.0.0: want a kernel ID, source 127.0.0.1, length 29, got %v", h)
	}
	h = send(tag+"b", "--id", "0", "--df", "--src", "127.0.0.9")
	if h.ID != 0 || !h.Src.Equal(net.IPv4(127, 0, 0, 9)) {
		t.Errorf("ID 0 with DF set and a given source are kept: got %v", h)
	}
}

// TestIP4ServeEcho runs ip4 serve and ip4 send --expect-reply against it.
func TestIP4ServeEcho(t *testing.T) {
	ns := rawNetns(t, "ip4")
	srv := startRawServer(t, ns, regexp.MustCompile(`^socklab: receiving protocol 253 `), "ip4", "serve", "--ttl", "33")
	r := socklabWith(t, runOpts{netns: ns}, "ip4", "send", "127.0.0.1", "echo me", "--expect-reply", "--ttl", "17", "--tos", "8", "--id", "777")
	if r.code != 0 {
		t.Fatalf("ip4 send --expect-reply: %s", r)
	}
	if !regexp.MustCompile(`reply from 127\.0\.0\.1: 7 bytes in [0-9.]+ ms: echo me\n  127\.0\.0\.1 > 127\.0\.0\.1 proto experimental ttl 33 tos 0x08 id \d+`).MatchString(r.stdout) {
		t.Errorf("reply: %s", r)
	}
	echoed := srv.waitLine(&srv.stdout, regexp.MustCompile(`127\.0\.0\.1 > 127\.0\.0\.1 proto experimental ttl 17 tos 0x08 id 777 len 27 .* payload 7, echoed with id (\d+)$`))[1]
	// Loopback hands serve its own echo too. A second packet is the
	// barrier: serve reads its socket in order, so once it has printed the
	// second packet it has read its echo of the first, which it must not
	// print. (Its ID must not be the echo's, which serve would ignore.)
	barrier := "778"
	if echoed == barrier {
		barrier = "779"
	}
	r = socklabWith(t, runOpts{netns: ns}, "ip4", "send", "127.0.0.1", "barrier", "--ttl", "17", "--id", barrier)
	mustSucceed(t, r, "ip4 send")
	srv.waitLine(&srv.stdout, regexp.MustCompile(` id `+barrier+` len 27 .* payload 7, echoed with id \d+$`))
	if all, _ := srv.stdout.snapshot(); len(all) != 2 {
		t.Errorf("serve must ignore its own echoes looped back: want a line for each of the 2 packets sent, got\n%s", strings.Join(all, "\n"))
	}
	// No server for this protocol: a clear timeout.
	r = socklabWith(t, runOpts{netns: ns}, "ip4", "send", "127.0.0.1", "x", "--proto", "200", "--expect-reply", "--timeout", "300ms")
	if r.code != 1 || !strings.Contains(r.stderr, "socket(AF_INET, SOCK_RAW, 200) 127.0.0.1: no reply within 300ms") {
		t.Errorf("timeout: %s", r)
	}
}

// TestIP4BadInput checks the one-line errors for bad flags.
func TestIP4BadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"::1"}, "send socket(AF_INET, SOCK_RAW, IPPROTO_RAW) ::1: not an IPv4 address (ip4 send takes a numeric IPv4 destination"},
		{[]string{"127.0.0.1", "--ttl", "256"}, "build socket(AF_INET, SOCK_RAW, IPPROTO_RAW) 127.0.0.1: ttl 256 out of range: it is an 8-bit field, 0 to 255"},
		{[]string{"127.0.0.1", "--frag-offset", "8192"}, "fragment offset 8192 out of range: it is a 13-bit field in units of 8 bytes, 0 to 8191"},
		{[]string{"127.0.0.1", "--size", "65516"}, "packet of 65536 bytes is longer than IPv4 allows (65535): send at most 65515 payload bytes"},
		{[]string{"127.0.0.1", "--proto", "bogus"}, `unknown IP protocol "bogus"`},
	} {
		r := socklab(t, append([]string{"ip4", "send"}, tc.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("ip4 send %v: want one line with %q:\n%s", tc.args, tc.want, r)
		}
	}
}

// TestRawPrivilegeErrors runs the binary with CAP_NET_RAW dropped and
// checks the exact hints.
func TestRawPrivilegeErrors(t *testing.T) {
	needRaw(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux) to drop CAP_NET_RAW")
	}
	drop := []string{"setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"}
	ns := rawNetns(t, "priv") // ping_group_range is the default "1 0" there
	const rawHint = `(raw sockets need CAP_NET_RAW: run as root, or sudo setcap cap_net_raw+ep "$(command -v socklab)")`
	r := socklabWith(t, runOpts{netns: ns, wrap: drop}, "icmp4", "ping", "-c", "1", "--mode", "raw", "127.0.0.1")
	if want := "socklab: socket socket(AF_INET, SOCK_RAW, IPPROTO_ICMP): operation not permitted " + rawHint + "\n"; r.stderr != want || r.code != 1 {
		t.Errorf("want exactly %q:\n%s", want, r)
	}
	r = socklabWith(t, runOpts{netns: ns, wrap: drop}, "icmp4", "ping", "-c", "1", "127.0.0.1")
	for _, want := range []string{
		"socklab: no ICMP socket opens here (tried dgram, then raw):\n",
		"  dgram: socket socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP): permission denied (unprivileged ICMP sockets need a gid in net.ipv4.ping_group_range, which is \"1 0\" here while your gids are 0: sudo sysctl -w net.ipv4.ping_group_range='0 0'",
		"  raw:   socket socket(AF_INET, SOCK_RAW, IPPROTO_ICMP): operation not permitted " + rawHint,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("auto mode: want %q:\n%s", want, r)
		}
	}
	r = socklabWith(t, runOpts{netns: ns, wrap: drop}, "ip4", "send", "127.0.0.1", "x")
	if want := "socklab: socket socket(AF_INET, SOCK_RAW, IPPROTO_RAW): operation not permitted " + rawHint + "\n"; r.stderr != want {
		t.Errorf("ip4 send: want %q:\n%s", want, r)
	}
	// Below 2 ms, or flooding, needs the privilege even on a dgram socket.
	rawSh(t, ns, "sysctl -qw net.ipv4.ping_group_range='0 2147483647'")
	r = socklabWith(t, runOpts{netns: ns, wrap: drop}, "icmp4", "ping", "-c", "1", "-i", "0.001", "127.0.0.1")
	if !strings.Contains(r.stderr, "an interval of 1ms (below 2ms) needs CAP_NET_RAW, as with ping: operation not permitted") {
		t.Errorf("-i 0.001: %s", r)
	}
	r = socklabWith(t, runOpts{netns: ns, wrap: drop}, "icmp4", "ping", "-c", "2", "-i", "0.2", "127.0.0.1")
	checkPing(t, r, "127.0.0.1", 2, 2, "64") // the unprivileged socket works
	r = socklabWith(t, runOpts{netns: ns, wrap: drop}, "doctor", "--json")
	var rep rawsock.DoctorReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, r)
	}
	if rep.CapNetRaw.Effective || rep.CapNetRaw.Bounding || rep.PingGroupRange != "0 2147483647" || rep.PingGroupMatch != 0 {
		t.Errorf("doctor without CAP_NET_RAW: %+v", rep)
	}
	for _, s := range rep.Sockets {
		raw := strings.Contains(s.Socket, "SOCK_RAW")
		if s.OK == raw {
			t.Errorf("doctor: %s ok=%v, want %v", s.Socket, s.OK, !raw)
		}
		if raw && !strings.Contains(s.Fix, "setcap cap_net_raw+ep") {
			t.Errorf("doctor: no fix for %s: %+v", s.Socket, s)
		}
	}
}

// TestDoctorText checks the report against what the process really has.
func TestDoctorText(t *testing.T) {
	r := socklab(t, "doctor")
	if r.code != 0 {
		t.Fatalf("doctor: %s", r)
	}
	b, _ := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	want := "net.ipv4.ping_group_range: " + strings.Join(strings.Fields(string(b)), " ")
	if !strings.Contains(r.stdout, want) {
		t.Errorf("want %q:\n%s", want, r)
	}
	eff := "no"
	if families.ProbeSpec(rawsock.ICMPSpec(4, rawsock.ModeRaw)) == nil {
		eff = "yes"
	}
	if !strings.Contains(r.stdout, "CAP_NET_RAW: effective "+eff) {
		t.Errorf("want CAP_NET_RAW effective %s:\n%s", eff, r)
	}
	if !strings.Contains(r.stdout, "  ok   udp4   socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)") {
		t.Errorf("udp4 must open anywhere:\n%s", r)
	}
}

// TestDoctorFileCaps gives a copy of the binary cap_net_raw+ep and checks
// that doctor reads it back.
func TestDoctorFileCaps(t *testing.T) {
	needRaw(t)
	if _, err := exec.LookPath("setcap"); err != nil {
		t.Skip("needs setcap (libcap2-bin)")
	}
	cp := filepath.Join(t.TempDir(), "socklab")
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cp, data, 0o755)
	if out, err := exec.Command("setcap", "cap_net_raw+ep", cp).CombinedOutput(); err != nil {
		t.Skipf("setcap on %s: %v %s (filesystem without xattrs?)", cp, err, out)
	}
	r := socklabWith(t, runOpts{bin: cp}, "doctor")
	if !strings.Contains(r.stdout+r.stderr, "file capabilities of "+cp+": cap_net_raw=ep") {
		t.Errorf("doctor does not show the file capability:\n%s", r)
	}
}

// TestRawExamples builds examples/ping and examples/hdrincl and runs them.
func TestRawExamples(t *testing.T) {
	needRaw(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		want *regexp.Regexp
	}{
		{"ping", regexp.MustCompile(`(?s)64 bytes from 127\.0\.0\.1: icmp_seq=3 ttl=64 .*3 packets transmitted, 3 received, 0% packet loss`)},
		{"hdrincl", regexp.MustCompile(`(?s)TTL                     42.*\(correct, with the pseudo-header\).*received "built by hand" from 127\.0\.0\.1:40000`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := filepath.Join(dir, tc.name)
			if out, err := exec.Command("go", "build", "-o", bin, "../../examples/"+tc.name).CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			out, err := exec.Command(bin).CombinedOutput()
			if err != nil || !tc.want.Match(out) {
				t.Errorf("%s: %v, want %v:\n%s", tc.name, err, tc.want, out)
			}
		})
	}
}
