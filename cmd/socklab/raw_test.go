//go:build linux

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
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/internal/nsthread"
	"github.com/socklab/socklab/rawsock"
	"golang.org/x/net/bpf"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
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
// namespace ns and waits until it says it listens (on stderr, or as a
// JSON event on stdout): it says so once its raw socket is open.
func startRawServer(t *testing.T, ns string, ready *regexp.Regexp, args ...string) *proc {
	t.Helper()
	p := start(t, runOpts{netns: ns}, args...)
	if slices.Contains(args, "--json") {
		p.waitLine(&p.stdout, ready)
	} else {
		p.waitLine(&p.stderr, ready)
	}
	return p
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
	// Root without CAP_NET_RAW in its bounding set: root does not help.
	const rawHint = `(this process is root but CAP_NET_RAW is not in its bounding set (a container, or capsh, dropped it), ` +
		`so neither root nor setcap cap_net_raw+ep can give it: run where the bounding set keeps CAP_NET_RAW)`
	r := socklabWith(t, runOpts{netns: ns, wrap: drop}, "icmp4", "ping", "-c", "1", "--mode", "raw", "127.0.0.1")
	if want := "socklab: socket(AF_INET, SOCK_RAW, IPPROTO_ICMP): operation not permitted " + rawHint + "\n"; r.stderr != want || r.code != 1 {
		t.Errorf("want exactly %q:\n%s", want, r)
	}
	r = socklabWith(t, runOpts{netns: ns, wrap: drop}, "icmp4", "ping", "-c", "1", "127.0.0.1")
	for _, want := range []string{
		"socklab: no ICMP socket opens here (tried dgram, then raw):\n",
		"  dgram: socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP): permission denied (unprivileged ICMP sockets need a gid in net.ipv4.ping_group_range, which is \"1 0\" here while your gids are 0: sudo sysctl -w net.ipv4.ping_group_range='0 0'",
		"  raw:   socket(AF_INET, SOCK_RAW, IPPROTO_ICMP): operation not permitted " + rawHint,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("auto mode: want %q:\n%s", want, r)
		}
	}
	r = socklabWith(t, runOpts{netns: ns, wrap: drop}, "ip4", "send", "127.0.0.1", "x")
	if want := "socklab: socket(AF_INET, SOCK_RAW, IPPROTO_RAW): operation not permitted " + rawHint + "\n"; r.stderr != want {
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
		if !raw && strings.HasSuffix(s.Error, "not supported") {
			continue // the kernel has no such protocol (SCTP): not a matter of privilege
		}
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

// inNetns runs fn on a thread inside the network namespace ns (as
// rawNetns names it); the sockets fn opens stay in ns.
func inNetns(t *testing.T, ns string, fn func() error) {
	t.Helper()
	err := nsthread.Run(func() error {
		target, err := unix.Open("/var/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("setns %s: %w", ns, err)
		}
		return fn()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rawConnIn opens socket(family, SOCK_RAW, proto) in namespace ns, with
// SO_BROADCAST, bound to bind when it is not empty; it is closed when the
// test ends. Reads on an IPv4 one return what follows the IP header.
func rawConnIn(t *testing.T, ns string, family, proto int, bind string) *net.IPConn {
	t.Helper()
	var f *os.File
	inNetns(t, ns, func() error {
		fd, err := unix.Socket(family, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			return err
		}
		f = os.NewFile(uintptr(fd), "raw")
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); err != nil {
			return err
		}
		if bind != "" {
			ip := net.ParseIP(bind)
			if family == unix.AF_INET6 {
				return unix.Bind(fd, &unix.SockaddrInet6{Addr: [16]byte(ip.To16())})
			}
			return unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte(ip.To4())})
		}
		return nil
	})
	defer f.Close()
	pc, err := net.FilePacketConn(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.(*net.IPConn)
}

// forge sends b, a whole IPv4 packet, on c (an IPPROTO_RAW socket) to its
// destination.
func forge(t *testing.T, c *net.IPConn, p rawsock.IPv4Packet, proto int) {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b[9] = byte(proto) // the kernel recomputes the header checksum
	if _, err := c.WriteTo(b, &net.IPAddr{IP: net.IP(p.Dst.AsSlice())}); err != nil {
		t.Fatalf("send to %v: %v", p.Dst, err)
	}
}

// echoRequest is an ICMP echo request of IP version v.
func echoRequest(t *testing.T, v, id, seq int, data string) []byte {
	t.Helper()
	var typ icmp.Type = ipv4.ICMPTypeEcho
	if v == 6 {
		typ = ipv6.ICMPTypeEchoRequest
	}
	b, err := (&icmp.Message{Type: typ, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte(data)}}).Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// echoReplies reads the echo replies with id that reach c until one has
// sequence last, and returns the sequence of each.
func echoReplies(t *testing.T, c *net.IPConn, v, id, last int) []int {
	t.Helper()
	var seqs []int
	buf := make([]byte, 1500)
	c.SetReadDeadline(time.Now().Add(cmdTimeout))
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("echo replies so far %v, none with seq %d: %v", seqs, last, err)
		}
		m, err := rawsock.DecodeICMP(v, buf[:n])
		if err != nil || m.Echo == nil || m.Type != map[int]int{4: 0, 6: 129}[v] || m.Echo.ID != id {
			continue
		}
		if seqs = append(seqs, m.Echo.Seq); m.Echo.Seq == last {
			return seqs
		}
	}
}

// jsonLines parses every line of out as one JSON object that carries
// "event" and "time", as every --json line must.
func jsonLines(t *testing.T, out []string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, l := range out {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("not a JSON object: %q: %v", l, err)
		}
		if ev["event"] == nil || ev["time"] == nil {
			t.Errorf("a JSON event without event and time: %s", l)
		}
		evs = append(evs, ev)
	}
	return evs
}

// waitEvents waits until p has printed n JSON events for which ok is true.
func waitEvents(p *proc, n int, ok func(ev map[string]any) bool) {
	p.t.Helper()
	if !p.stdout.waitFor(func(all []string) bool {
		k := 0
		for _, l := range all {
			var ev map[string]any
			if json.Unmarshal([]byte(l), &ev) == nil && ok(ev) {
				k++
			}
		}
		return k >= n
	}) {
		p.t.Fatalf("want %d such JSON events\n%s", n, p)
	}
}

// stopJSON stops a --json server with SIGINT and returns its events, the
// summary last, and how many say a packet was echoed.
func stopJSON(p *proc) (evs []map[string]any, echoed int) {
	p.t.Helper()
	if code := p.stop(os.Interrupt); code != 0 {
		p.t.Fatalf("exit %d\n%s", code, p)
	}
	all, _ := p.stdout.snapshot()
	evs = jsonLines(p.t, all)
	for _, ev := range evs {
		if ev["echoed"] == true {
			echoed++
		}
	}
	if len(evs) == 0 || evs[len(evs)-1]["event"] != "summary" {
		p.t.Errorf("the last line is not the summary\n%s", p)
		return append(evs, nil), echoed
	}
	return evs, echoed
}

// num reads a number at a path of keys in a JSON object.
func num(ev map[string]any, keys ...string) float64 {
	var v any = ev
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	f, _ := v.(float64)
	return f
}

// rawLab is two namespaces joined by a veth pair: srv has 10.9.0.1/24 and
// fd00:9::1/64 on s0, peer 10.9.0.2/24 and fd00:9::2/64 on a0 and a
// default route out of it, so it can send to 255.255.255.255 and to
// multicast groups. Neither kernel answers echo requests.
type rawLab struct{ srv, peer string }

func newRawLab(t *testing.T) rawLab {
	l := rawLab{srv: rawNetns(t, "srv"), peer: rawNetns(t, "peer")}
	for _, ns := range []string{l.srv, l.peer} {
		rawSh(t, ns, "sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv4.icmp_echo_ignore_all=1 net.ipv6.icmp.echo_ignore_all=1")
	}
	rawSh(t, "", fmt.Sprintf("ip link add a0 netns %s type veth peer name s0 netns %s", l.peer, l.srv))
	rawSh(t, l.srv, "ip addr add 10.9.0.1/24 dev s0 && ip addr add fd00:9::1/64 dev s0 nodad && ip link set s0 up")
	rawSh(t, l.peer, "ip addr add 10.9.0.2/24 dev a0 && ip addr add fd00:9::2/64 dev a0 nodad && ip link set a0 up && ip route add default dev a0")
	return l
}

func ip4(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestICMPServeAnswersLikeTheKernel: icmp4 serve --reply must not answer
// what the kernel drops (it answered all of it): spoofed echo requests to
// the subnet's broadcast, to 255.255.255.255 and to 224.0.0.1, one with a
// bad checksum, and ones from a broadcast or multicast source. On the
// wire, the peer gets the reply to its one good request only; the summary
// counts each refusal by reason.
func TestICMPServeAnswersLikeTheKernel(t *testing.T) {
	l := newRawLab(t)
	srv := startRawServer(t, l.srv, regexp.MustCompile(`"event":"listening"`), "icmp4", "serve", "--reply", "--json")
	replies := rawConnIn(t, l.peer, unix.AF_INET, unix.IPPROTO_ICMP, "")
	fromPeer := rawConnIn(t, l.peer, unix.AF_INET, unix.IPPROTO_RAW, "")
	onSrv := rawConnIn(t, l.srv, unix.AF_INET, unix.IPPROTO_RAW, "")
	id := rawsock.RandomID()
	req := func(seq int) []byte { return echoRequest(t, 4, id, seq, "spoofed") }
	bad := req(4)
	bad[len(bad)-1] ^= 0xff
	peer := ip4("10.9.0.2")
	for _, tc := range []struct {
		c        *net.IPConn
		src, dst netip.Addr
		msg      []byte
	}{
		{fromPeer, peer, ip4("10.9.0.255"), req(1)},
		{fromPeer, peer, ip4("255.255.255.255"), req(2)},
		{fromPeer, peer, ip4("224.0.0.1"), req(3)},
		{fromPeer, peer, ip4("10.9.0.1"), bad},
		{onSrv, ip4("127.255.255.255"), ip4("127.0.0.1"), req(5)},
		{onSrv, ip4("224.0.0.5"), ip4("127.0.0.1"), req(6)},
		{fromPeer, peer, ip4("10.9.0.1"), req(7)}, // the one to answer
	} {
		forge(t, tc.c, rawsock.IPv4Packet{Src: tc.src, Dst: tc.dst, TTL: 64, ID: 1, Proto: 253, Payload: tc.msg}, unix.IPPROTO_ICMP)
	}
	if got := echoReplies(t, replies, 4, id, 7); !slices.Equal(got, []int{7}) {
		t.Errorf("the peer got echo replies with sequences %v: want only 7", got)
	}
	waitEvents(srv, 7, func(ev map[string]any) bool { return ev["event"] == "icmp" && num(ev, "id") == float64(id) })
	evs, _ := stopJSON(srv)
	sum := evs[len(evs)-1]
	for k, want := range map[string]float64{"echo_requests": 7, "replied": 1} {
		if num(sum, k) != want {
			t.Errorf("summary %s = %v, want %v", k, num(sum, k), want)
		}
	}
	for k, want := range map[string]float64{"broadcast": 3, "bad_checksum": 1, "bad_source": 2, "not_local": 0} {
		if num(sum, "dropped", k) != want {
			t.Errorf("summary dropped.%s = %v, want %v\n%s", k, num(sum, "dropped", k), want, srv)
		}
	}
}

// TestICMP6ServeAnswersUnicastOnly: icmp6 serve --reply answered an echo
// request to the all-nodes group ff02::1; it answers unicast only,
// link-local included.
func TestICMP6ServeAnswersUnicastOnly(t *testing.T) {
	l := newRawLab(t)
	srv := startRawServer(t, l.srv, regexp.MustCompile(`"event":"listening"`), "icmp6", "serve", "--reply", "--json")
	c := rawConnIn(t, l.peer, unix.AF_INET6, unix.IPPROTO_ICMPV6, "fd00:9::2")
	id := rawsock.RandomID()
	if _, err := c.WriteTo(echoRequest(t, 6, id, 1, "all nodes"), &net.IPAddr{IP: net.ParseIP("ff02::1"), Zone: "a0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteTo(echoRequest(t, 6, id, 2, "unicast"), &net.IPAddr{IP: net.ParseIP("fd00:9::1")}); err != nil {
		t.Fatal(err)
	}
	if got := echoReplies(t, c, 6, id, 2); !slices.Equal(got, []int{2}) {
		t.Errorf("the peer got echo replies with sequences %v: want only 2", got)
	}
	// From a link-local address the reply goes out on its interface (the
	// zone, which serve keeps; with one interface the route finds it too).
	ll := rawConnIn(t, l.peer, unix.AF_INET6, unix.IPPROTO_ICMPV6, "")
	srvLL := strings.Fields(rawSh(t, l.srv, "ip -6 -o addr show dev s0 scope link"))[3]
	if _, err := ll.WriteTo(echoRequest(t, 6, id+1, 3, "link-local"), &net.IPAddr{IP: net.ParseIP(strings.Split(srvLL, "/")[0]), Zone: "a0"}); err != nil {
		t.Fatal(err)
	}
	if got := echoReplies(t, ll, 6, id+1, 3); !slices.Equal(got, []int{3}) {
		t.Errorf("link-local: the peer got echo replies %v: want 3", got)
	}
	waitEvents(srv, 3, func(ev map[string]any) bool { return ev["event"] == "icmp" && num(ev, "type") == 128 })
	evs, _ := stopJSON(srv)
	if sum := evs[len(evs)-1]; num(sum, "replied") != 2 || num(sum, "dropped", "broadcast") != 1 || num(sum, "send_errors") != 0 {
		t.Errorf("summary: want 2 replied, 1 to a multicast group\n%s", srv)
	}
}

// TestIP4ServeBroadcastAndBadSource: ip4 serve echoed packets sent to a
// broadcast or multicast address, with that address as source. Now the
// peer gets the echo of its unicast packet only, and a packet from a
// broadcast source is not echoed either.
func TestIP4ServeBroadcastAndBadSource(t *testing.T) {
	l := newRawLab(t)
	srv := startRawServer(t, l.srv, regexp.MustCompile(`"event":"listening"`), "ip4", "serve", "--json")
	echoes := rawConnIn(t, l.peer, unix.AF_INET, 253, "")
	fromPeer := rawConnIn(t, l.peer, unix.AF_INET, unix.IPPROTO_RAW, "")
	onSrv := rawConnIn(t, l.srv, unix.AF_INET, unix.IPPROTO_RAW, "")
	peer := ip4("10.9.0.2")
	forge(t, fromPeer, rawsock.IPv4Packet{Src: peer, Dst: ip4("10.9.0.255"), TTL: 64, ID: 1, Proto: 253, Payload: []byte("to broadcast")}, 253)
	forge(t, fromPeer, rawsock.IPv4Packet{Src: peer, Dst: ip4("224.0.0.1"), TTL: 64, ID: 2, Proto: 253, Payload: []byte("to multicast")}, 253)
	forge(t, onSrv, rawsock.IPv4Packet{Src: ip4("127.255.255.255"), Dst: ip4("127.0.0.1"), TTL: 64, ID: 3, Proto: 253, Payload: []byte("from broadcast")}, 253)
	forge(t, fromPeer, rawsock.IPv4Packet{Src: peer, Dst: ip4("10.9.0.1"), TTL: 64, ID: 4, Proto: 253, Payload: []byte("unicast")}, 253)
	buf := make([]byte, 1500)
	echoes.SetReadDeadline(time.Now().Add(cmdTimeout))
	for {
		n, from, err := echoes.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no echo of the unicast packet: %v\n%s", err, srv)
		}
		switch {
		case from.String() == "10.9.0.2":
			continue // the peer's own broadcasts come back to it
		case string(buf[:n]) == "unicast":
		default:
			t.Errorf("the peer got an echo of %q from %v", buf[:n], from)
			continue
		}
		break
	}
	waitEvents(srv, 4, func(ev map[string]any) bool { return ev["event"] == "packet" })
	evs, _ := stopJSON(srv)
	sum := evs[len(evs)-1]
	if num(sum, "echoed") != 1 || num(sum, "dropped", "broadcast") != 2 || num(sum, "dropped", "bad_source") != 1 {
		t.Errorf("summary: want 1 echoed, 2 to broadcast/multicast, 1 from a bad source\n%s", srv)
	}
}

// TestIP4ServersDoNotLoop: two ip4 serve instances on one host read each
// other's echoes. One packet used to make them echo each other 1,530
// times in 43 ms; now each echoes the packet once, and the other's echo
// not at all.
func TestIP4ServersDoNotLoop(t *testing.T) {
	ns := rawNetns(t, "loop")
	ready := regexp.MustCompile(`"event":"listening"`)
	a := startRawServer(t, ns, ready, "ip4", "serve", "--json")
	b := startRawServer(t, ns, ready, "ip4", "serve", "--json")
	for _, payload := range []string{"one packet", "barrier"} {
		mustSucceed(t, socklabWith(t, runOpts{netns: ns}, "ip4", "send", "127.0.0.1", payload), "ip4 send")
	}
	for _, p := range []*proc{a, b} {
		// The barrier (7 bytes) was sent after the packet and its first
		// echoes: once a server has read it, or an echo of it, a loop
		// would have shown.
		waitEvents(p, 1, func(ev map[string]any) bool { return ev["event"] == "packet" && num(ev, "payload") == 7 })
	}
	for i, p := range []*proc{a, b} {
		evs, echoed := stopJSON(p)
		if sum := evs[len(evs)-1]; echoed != 2 || num(sum, "echoed") != 2 || num(sum, "dropped", "echo") > 2 {
			t.Errorf("server %d echoed %d packets: want 2, the packet and the barrier, and not the other's echoes\n%v", i, echoed, sum)
		}
	}
}

// TestIP4ServeOwnEchoes: a burst of packets from this host to this host
// makes more echoes in flight than the 64 ip4 serve used to remember, and
// it answered its own echoes in a loop; now each packet is echoed once.
// (The burst stays well within the raw socket's receive buffer, which
// holds some 200 packets and their echoes.)
func TestIP4ServeOwnEchoes(t *testing.T) {
	ns := rawNetns(t, "self")
	srv := startRawServer(t, ns, regexp.MustCompile(`"event":"listening"`), "ip4", "serve", "--json")
	c := rawConnIn(t, ns, unix.AF_INET, unix.IPPROTO_RAW, "")
	const burst = 80
	lo := ip4("127.0.0.1")
	for i := range burst {
		forge(t, c, rawsock.IPv4Packet{Src: lo, Dst: lo, TTL: 64, ID: 1 + i, Proto: 253, Payload: fmt.Appendf(nil, "packet %d", i)}, 253)
	}
	forge(t, c, rawsock.IPv4Packet{Src: lo, Dst: lo, TTL: 64, ID: 9999, Proto: 253, Payload: []byte("barrier")}, 253)
	srv.waitLine(&srv.stdout, regexp.MustCompile(`"id":9999,`))
	evs, echoed := stopJSON(srv)
	if sum := evs[len(evs)-1]; echoed != burst+1 || num(sum, "echoed") != burst+1 {
		t.Errorf("echoed %d packets: want %d, each once\n%v", echoed, burst+1, sum)
	}
}

// TestRawGenericFormDoesNotReadItself: socklab socket --family inet
// --type raw --proto icmp read its own message back from loopback, printed
// it as the response and counted 3/3 replies in bench with no server. Now
// it hears nothing without a server, and the server's answer with one.
func TestRawGenericFormDoesNotReadItself(t *testing.T) {
	ns := rawNetns(t, "generic")
	raw := []string{"socket", "--family", "inet", "--type", "raw", "--proto", "icmp"}
	// An ICMP message of type 'h', which the kernel ignores.
	const msg = "hello, raw socket"
	r := socklabWith(t, runOpts{netns: ns}, append(raw, "send", "--to", "127.0.0.1", "--timeout", "300ms", msg)...)
	if r.code != 1 || strings.Contains(r.stdout, "Response") || !strings.Contains(r.stderr, "socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) 127.0.0.1: no reply") {
		t.Errorf("send with no server: want no response and exit 1\n%s", r)
	}
	r = socklabWith(t, runOpts{netns: ns}, append(raw, "bench", "-c", "3", "--timeout", "300ms", "--json", "--to", "127.0.0.1")...)
	var rep struct{ Sent, Received int }
	first, _, _ := strings.Cut(r.stdout, "\n") // the report; the error event follows
	if err := json.Unmarshal([]byte(first), &rep); err != nil || rep.Sent != 3 || rep.Received != 0 || r.code != 1 {
		t.Errorf("bench with no server: want 3 sent, 0 received, exit 1 (%v)\n%s", err, r)
	}
	srv := startServerWith(t, runOpts{netns: ns}, append(raw, "serve")...)
	r = socklabWith(t, runOpts{netns: ns}, append(raw, "send", "--to", "127.0.0.1", msg)...)
	if !regexp.MustCompile(`^Response: \[` + ctimeRE + `\] ` + msg + "\n$").MatchString(r.stdout) {
		t.Errorf("send to a raw serve: want its seed reply\n%s\n%s", r, srv)
	}
	srv.countLines(&srv.stdout, regexp.MustCompile(`^Received message: `+msg+`$`), 1)
}

// TestRawGenericDgramIsDgram: --type dgram --proto icmp opened SOCK_RAW
// when the datagram socket was refused, without a word. It opens the
// datagram socket or says why it cannot.
func TestRawGenericDgramIsDgram(t *testing.T) {
	ns := rawNetns(t, "dgram") // ping_group_range is "1 0" there: no datagram ICMP socket
	r := socklabWith(t, runOpts{netns: ns}, "socket", "--family", "inet", "--type", "dgram", "--proto", "icmp", "send", "--to", "127.0.0.1", "--timeout", "300ms", "hello, datagram")
	checkOneLineError(t, r, "socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP): permission denied", "net.ipv4.ping_group_range")
}

// TestICMPServeNamesUnknownTypes: icmp4 serve printed a message of a type
// x/net has no name for as "<nil> (type 104 code 101) id 0 seq 0".
func TestICMPServeNamesUnknownTypes(t *testing.T) {
	ns := rawNetns(t, "unknown")
	srv := startRawServer(t, ns, regexp.MustCompile(`^socklab: listening on `), "icmp4", "serve")
	socklabWith(t, runOpts{netns: ns}, "socket", "--family", "inet", "--type", "raw", "--proto", "icmp", "send", "--to", "127.0.0.1", "--timeout", "100ms", "hello, raw socket")
	srv.waitLine(&srv.stdout, regexp.MustCompile(`^from 127\.0\.0\.1 ttl 64: unknown \(type 104 code 101\) size 17, bad checksum$`))
	if code := srv.stop(os.Interrupt); code != 0 || strings.Contains(srv.stdout.String(), "<nil>") {
		t.Errorf("exit %d\n%s", code, srv)
	}
	if all, _ := srv.stdout.snapshot(); !regexp.MustCompile(`^summary: 1 message in \d+\.\ds$`).MatchString(all[len(all)-1]) {
		t.Errorf("want a summary as the last line\n%s", srv)
	}
}

// TestIP4SendExpectReplyNeedsAnEcho: with --id 0 the kernel picks the ID,
// and ip4 send took its own packet, looped back, for the reply: exit 0
// with no server.
func TestIP4SendExpectReplyNeedsAnEcho(t *testing.T) {
	ns := rawNetns(t, "id0")
	r := socklabWith(t, runOpts{netns: ns}, "ip4", "send", "127.0.0.1", "nobody echoes", "--id", "0", "--expect-reply", "--timeout", "300ms")
	if r.code != 1 || strings.Contains(r.stdout, "reply from") || !strings.Contains(r.stderr, "127.0.0.1: no reply within 300ms") {
		t.Errorf("want no reply and exit 1\n%s", r)
	}
	srv := startRawServer(t, ns, regexp.MustCompile(`^socklab: receiving protocol 253 `), "ip4", "serve")
	r = socklabWith(t, runOpts{netns: ns}, "ip4", "send", "127.0.0.1", "echo me", "--id", "0", "--expect-reply")
	if r.code != 0 || !regexp.MustCompile(`reply from 127\.0\.0\.1: 7 bytes in [0-9.]+ ms: echo me\n`).MatchString(r.stdout) {
		t.Errorf("with ip4 serve: want its echo\n%s\n%s", r, srv)
	}
}

// TestIP4SendUDPPortUnreachable: the UDP wait named the local socket and
// waited out its timeout when nothing listened; it names the destination
// and ends at the port unreachable.
func TestIP4SendUDPPortUnreachable(t *testing.T) {
	ns := rawNetns(t, "udp")
	r := socklabWith(t, runOpts{netns: ns}, "ip4", "send", "127.0.0.1", "anyone?", "--proto", "udp", "--dport", "9", "--expect-reply", "--timeout", "10s")
	if r.code != 1 || r.elapsed > 5*time.Second || !strings.Contains(r.stderr, "wait for reply socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) 127.0.0.1:9: connection refused") ||
		!strings.Contains(r.stderr, "port unreachable") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("want one line naming 127.0.0.1:9 and the port unreachable, at once (took %v)\n%s", r.elapsed, r)
	}
}

// TestRawServeListensOnlyOnceOpen: icmp serve and ip4 serve said they
// listened before they opened their socket, then failed.
func TestRawServeListensOnlyOnceOpen(t *testing.T) {
	ns := rawNetns(t, "open")
	r := socklabWith(t, runOpts{netns: ns}, "icmp4", "serve", "--bind", "192.0.2.1")
	checkOneLineError(t, r, "bind socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) 192.0.2.1: cannot assign requested address")
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux) to drop CAP_NET_RAW")
	}
	drop := runOpts{netns: ns, wrap: []string{"setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"}}
	for _, args := range [][]string{{"icmp6", "serve", "--reply"}, {"ip4", "serve"}} {
		r = socklabWith(t, drop, args...)
		checkOneLineError(t, r, "operation not permitted")
	}
}

// TestICMP6ServeWording: icmp6 serve said ttl for the hop limit, and its
// --help named the IPv4 sysctl that silences the kernel.
func TestICMP6ServeWording(t *testing.T) {
	for fam, sysctl := range map[string]string{"icmp4": "net.ipv4.icmp_echo_ignore_all=1", "icmp6": "net.ipv6.icmp.echo_ignore_all=1"} {
		r := socklabWith(t, runOpts{env: []string{helpColumns}}, fam, "serve", "--help")
		help := strings.Join(strings.Fields(r.stdout), " ")
		if !strings.Contains(help, sysctl) || strings.Count(help, "echo_ignore_all") != 1 {
			t.Errorf("%s serve --help: want %s and no other sysctl\n%s", fam, sysctl, r)
		}
	}
	ns := rawNetns(t, "hop")
	srv := startRawServer(t, ns, regexp.MustCompile(`^socklab: listening on socket\(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6\)$`), "icmp6", "serve")
	mustSucceed(t, socklabWith(t, runOpts{netns: ns}, "icmp6", "ping", "-c", "1", "--mode", "raw", "::1"), "ping ::1")
	srv.waitLine(&srv.stdout, regexp.MustCompile(`^from ::1 hop limit 64: echo request \(type 128 code 0\) id \d+ seq 1 size 64$`))
	srv.waitLine(&srv.stdout, regexp.MustCompile(`^from ::1 hop limit 64: echo reply \(type 129 code 0\) id \d+ seq 1 size 64$`))
	if code := srv.stop(os.Interrupt); code != 0 || strings.Contains(srv.stdout.String(), " ttl ") {
		t.Errorf("exit %d\n%s", code, srv)
	}
	if all, _ := srv.stdout.snapshot(); !regexp.MustCompile(`^summary: 2 messages in \d+\.\ds$`).MatchString(all[len(all)-1]) {
		t.Errorf("want a summary as the last line\n%s", srv)
	}
}

// TestRawJSONEvents: every --json line of ip4 send and of the raw servers
// is one JSON object with "event" and "time"; ip4 send's had no time.
func TestRawJSONEvents(t *testing.T) {
	ns := rawNetns(t, "json")
	srv := startRawServer(t, ns, regexp.MustCompile(`"event":"listening"`), "ip4", "serve", "--json")
	r := socklabWith(t, runOpts{netns: ns}, "ip4", "send", "127.0.0.1", "json", "--json", "--dump", "--expect-reply")
	mustSucceed(t, r, "ip4 send --json")
	evs := jsonLines(t, strings.Split(strings.TrimSpace(r.stdout), "\n"))
	if len(evs) != 3 || evs[0]["event"] != "dump" || evs[1]["event"] != "sent" || evs[2]["event"] != "reply" {
		t.Errorf("want dump, sent, reply\n%s", r)
	}
	waitEvents(srv, 1, func(ev map[string]any) bool { return ev["event"] == "packet" })
	if evs, _ := stopJSON(srv); len(evs) != 3 {
		t.Errorf("want listening, packet, summary\n%s", srv)
	}
}
