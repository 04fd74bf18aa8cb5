package main

// Tests of the IP layer's options as a user runs them: header fields seen
// on the wire by tshark and by the receiving server, bad values refused in
// one line, broadcast, multicast to two receivers on a bridge, leaving a
// group, and the multicast TTL across a router namespace.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/lab"
)

// The header fields send sets are on the wire (tshark) and in what the
// server's -v shows of each datagram it received, for IPv4 and IPv6.
func TestIPHeaderFieldsOnWire(t *testing.T) {
	for _, tc := range []struct {
		fam, addr string
		flags     []string
		fields    []string
		wire      string
		seen      string
	}{
		{"udp4", "127.0.0.1:8020", []string{"--ttl", "9", "--tos", "ef,ect0", "--df", "do"},
			[]string{"ip.ttl", "ip.dsfield", "ip.flags.df"}, "9\t0xba\t1", `^  ttl 9, tos 0xba \(ef, ect0\), to 127\.0\.0\.1 on lo, kernel rx \d\d:\d\d:\d\d\.\d{9} \(`},
		{"udp4", "127.0.0.1:8020", []string{"--hop-limit", "200", "--tclass", "af41", "--df", "dont"},
			[]string{"ip.ttl", "ip.dsfield", "ip.flags.df"}, "200\t0x88\t0", `^  ttl 200, tos 0x88 \(af41, not-ect\), to 127\.0\.0\.1 on lo, `},
		{"udp6", "[::1]:8020", []string{"--hop-limit", "7", "--tclass", "cs6,ect1", "--flowlabel", "0x12345"},
			[]string{"ipv6.hlim", "ipv6.tclass", "ipv6.flow"}, "7\t0x000000c1\t0x012345", `^  ttl 7, tos 0xc1 \(cs6, ect1\), to ::1 on lo, kernel rx `},
	} {
		t.Run(tc.fam+strings.Join(tc.flags, ""), func(t *testing.T) {
			l := newIPLab(t, "h")
			srv := l.serve("h", tc.fam, "serve", "-v", "--reply", "echo", "--bind", tc.addr)
			cap := tshark(t, l.ns["h"], "lo", "udp dst port 8020", tc.fields...)
			r := l.run("h", append(append([]string{tc.fam, "send"}, tc.flags...), tc.addr, "header")...)
			mustSucceed(t, r, "send")
			cap.waitLine(&cap.stdout, regexp.MustCompile("^"+regexp.QuoteMeta(tc.wire)+"$"))
			srv.waitLine(&srv.stdout, regexp.MustCompile(tc.seen))
		})
	}
}

// serve --json -v puts the same facts in each datagram event.
func TestRecvInfoJSON(t *testing.T) {
	l := newIPLab(t, "h")
	srv := start(t, runOpts{netns: l.ns["h"]}, "udp4", "serve", "-v", "--json", "--bind", "127.0.0.1:8020")
	srv.waitLine(&srv.stdout, regexp.MustCompile(`^\{"addr":"127\.0\.0\.1:8020",.*"event":"listening"`))
	mustSucceed(t, l.run("h", "udp4", "send", "--ttl", "33", "--tos", "ce", "127.0.0.1:8020", "js"), "send")
	srv.waitLine(&srv.stdout, regexp.MustCompile(`^\{"bytes":2,"data":"js","dscp":"cs0","ecn":"ce","event":"datagram","from":"127\.0\.0\.1:\d+","iface":"lo","rx_time":"[^"]+","size":2,"time":"[^"]+","to":"127\.0\.0\.1","tos":3,"ttl":33\}$`))
}

// Bad values are refused in one line that names the option and what it
// takes.
func TestIPOptionsRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"udp4", "send", "--ttl", "0", "127.0.0.1:9", "x"}, "socklab: --ttl 0: want a number from 1 to 255\n"},
		{[]string{"udp6", "send", "--hop-limit", "256", "[::1]:9", "x"}, "socklab: --ttl 256: want a number from 1 to 255\n"},
		{[]string{"udp4", "send", "--tos", "expedited", "127.0.0.1:9", "x"}, "socklab: --tos expedited: want a number 0-255 (0x.. for hex), a DSCP name (be, le, cs0-cs7, af11-af43, ef, va), an ECN name (not-ect, ect0, ect1, ce), or a DSCP and an ECN name: ef,ect0\n"},
		{[]string{"udp4", "send", "--df", "maybe", "127.0.0.1:9", "x"}, "socklab: --df maybe: valid are do (DF set, EMSGSIZE past the path MTU), want"},
		{[]string{"udp4", "send", "--mcast-ttl", "300", "127.0.0.1:9", "x"}, "socklab: --mcast-ttl 300: want a number from 0 to 255\n"},
		{[]string{"udp4", "send", "--mcast-loop", "maybe", "127.0.0.1:9", "x"}, "socklab: --mcast-loop maybe: want on or off\n"},
		{[]string{"udp4", "send", "--mcast-if", "nosuch0", "127.0.0.1:9", "x"}, "socklab: --mcast-if nosuch0: no such interface; the interfaces are lo"},
		{[]string{"udp4", "send", "--flowlabel", "5", "127.0.0.1:9", "x"}, "socklab: --flowlabel: IPv4 has no flow label; it is an IPv6 header field (use udp6)\n"},
		{[]string{"udp6", "send", "--flowlabel", "0x100000", "[::1]:9", "x"}, "socklab: --flowlabel 0x100000: want a number from 1 to 0xfffff (20 bits; 0 means none)\n"},
		{[]string{"icmp4", "ping", "-Q", "256", "127.0.0.1"}, "socklab: --tos 256: want a number 0-255 (0x.. for hex), a DSCP name (be, le, cs0-cs7, af11-af43, ef, va)"},
		{[]string{"icmp6", "ping", "--tclass", "expedited", "::1"}, "socklab: --tos expedited: want a number 0-255 (0x.. for hex), a DSCP name"},
		{[]string{"icmp4", "ping", "-M", "maybe", "127.0.0.1"}, "socklab: --df maybe: valid are do (DF set, EMSGSIZE past the path MTU), want"},
		{[]string{"icmp4", "ping", "-F", "5", "127.0.0.1"}, "socklab: --flowlabel: IPv4 has no flow label; it is an IPv6 header field (use icmp6)\n"},
		{[]string{"icmp6", "ping", "-F", "0", "::1"}, "socklab: --flowlabel 0: want a number from 1 to 0xfffff (20 bits; 0 means none)\n"},
		{[]string{"udp6", "send", "--broadcast", "[::1]:9", "x"}, "socklab: --broadcast: IPv6 has no broadcast; send to the all-nodes group ff02::1%IFACE instead\n"},
		{[]string{"unix", "send", "--ttl", "3", "x"}, "socklab: unix sockets have no IP header: --ttl"},
		{[]string{"udp4", "bench", "--gso", "100", "127.0.0.1:9"}, "socklab: --gso 100: want 2 to 64 datagrams per send\n"},
		{[]string{"udp4", "bench", "--gso", "50", "--size", "1400", "127.0.0.1:9"}, "socklab: --gso 50 with --size 1400: one UDP_SEGMENT send carries at most 65507 bytes: --gso 46 at most\n"},
		{[]string{"udp4", "bench", "--gso", "4", "--mode", "pingpong", "127.0.0.1:9"}, "socklab: --gso 4: a send of 4 datagrams needs throughput mode with --inflight 4 or more\n"},
		{[]string{"udp4", "bench", "--gso", "4", "--timestamps", "127.0.0.1:9"}, "socklab: --gso and --timestamps: timestamps are read datagram by datagram, GSO sends many at once; drop one of them\n"},
		{[]string{"unix", "bench", "--gso", "4"}, "socklab: --gso: UDP_SEGMENT is for UDP sockets (udp4, udp6), not unix\n"},
		{[]string{"udp4", "serve", "--bind", "127.0.0.1:0", "--join", "10.1.2.3"}, "socklab: --join 10.1.2.3: 10.1.2.3 is not a multicast address: IPv4 groups are 224.0.0.0 to 239.255.255.255, IPv6 groups ff00::/8\n"},
		{[]string{"udp4", "serve", "--bind", "127.0.0.1:0", "--join", "239.1.1.1%nosuch0"}, "socklab: --join 239.1.1.1%nosuch0: no interface nosuch0; the interfaces are lo"},
		{[]string{"udp4", "serve", "--bind", "127.0.0.1:0", "--join", "ff02::1"}, "socklab: --join ff02::1: not an IPv4 group, and this is a udp4 socket\n"},
		{[]string{"udp4", "serve", "--bind", "127.0.0.1:0", "--join", "239.1.1.1"}, "socklab: --join 239.1.1.1: a socket bound to 127.0.0.1 never hears datagrams sent to 239.1.1.1: bind the wildcard address (--bind 0.0.0.0:"},
		{[]string{"udp4", "serve", "--bind", "127.0.0.1:0", "--join-source", "10.0.0.1"}, "socklab: --join-source 10.0.0.1: name the groups to hear it in with --join\n"},
		{[]string{"udp4", "serve", "--bind", "0.0.0.0:0", "--join", "239.1.1.1", "--join-source", "239.2.2.2"}, "socklab: --join-source 239.2.2.2: want the unicast IP address of the one sender to hear\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := socklab(t, tc.args...)
			checkOneLineError(t, r, tc.want)
		})
	}
}

// A client and a server on one link (a lab of two hosts, 192.0.2.0/24):
// a broadcast is refused without --broadcast, with SO_BROADCAST named, and
// answered from the server's unicast address with it.
func TestBroadcast(t *testing.T) {
	lb, l := newLab(t, lab.Config{})
	server := addr(t, lb, "server", 4)
	srv := l.serve("server", "udp4", "serve", "-v", "--reply", "echo", "--bind", "0.0.0.0:8020")
	r := l.run("client", "udp4", "send", "192.0.2.255:8020", "all")
	checkOneLineError(t, r, "permission denied (a datagram to a broadcast address needs SO_BROADCAST (--broadcast) on the socket, which is off;")
	r = l.run("client", "udp4", "send", "--broadcast", "--timeout", "0.5s", "192.0.2.255:8020", "all")
	mustSucceed(t, r, "send --broadcast")
	if r.stdout != "Response from "+server+":8020: all\n" {
		t.Errorf("want one answer, from the server's unicast address %s:\n%s", server, r)
	}
	srv.waitLine(&srv.stdout, regexp.MustCompile(`^  ttl 64, tos 0x00 \(cs0, not-ect\), to 192\.0\.2\.255 on eth0, `))
}

// mcastLab is a sender and two receivers on a bridge: 10.8.0.1-3 and
// fd00:8::1-3, each on its eth0.
func mcastLab(t *testing.T) *ipLab {
	l := newIPLab(t, "snd", "r1", "r2", "sw")
	l.sh("sw", "ip link add br0 type bridge mcast_snooping 0 && ip link set br0 up")
	for i, h := range []string{"snd", "r1", "r2"} {
		port := fmt.Sprintf("p%d", i)
		l.link(h, "eth0", "sw", port)
		l.sh("sw", "ip link set "+port+" master br0")
		l.sh(h, fmt.Sprintf("ip addr add 10.8.0.%d/24 dev eth0 && ip addr add fd00:8::%d/64 dev eth0 nodad", i+1, i+1))
	}
	return l
}

// A sender reaches both receivers joined to a group, over IPv4 and IPv6;
// each answers from its unicast address and says so when it joins; with
// --join-source a receiver hears only that sender.
func TestMulticastTwoReceivers(t *testing.T) {
	for _, tc := range []struct{ fam, group, r1, r2, other string }{
		{"udp4", "239.1.2.3", "10.8.0.2:8020", "10.8.0.3:8020", "10.8.0.99"},
		{"udp6", "ff1e::1234", "[fd00:8::2]:8020", "[fd00:8::3]:8020", "fd00:8::99"},
	} {
		t.Run(tc.fam, func(t *testing.T) {
			l := mcastLab(t)
			joined := regexp.MustCompile(`^socklab: joined ` + regexp.QuoteMeta(tc.group) + `%eth0 on (0\.0\.0\.0|\[::\]):8020; replies go from this host's unicast address, never from a group$`)
			s1 := l.serve("r1", tc.fam, "serve", "-v", "--reply", "echo", "--join", tc.group+"%eth0")
			s1.waitLine(&s1.stderr, joined)
			s2 := l.serve("r2", tc.fam, "serve", "--reply", "echo", "--join", tc.group+"%eth0")
			dest := net.JoinHostPort(tc.group, "8020")
			r := l.run("snd", tc.fam, "send", "--mcast-if", "eth0", "--timeout", "0.5s", dest, "to all")
			mustSucceed(t, r, "send to the group")
			got := strings.Split(strings.TrimSpace(r.stdout), "\n")
			want := map[string]bool{"Response from " + tc.r1 + ": to all": true, "Response from " + tc.r2 + ": to all": true}
			if len(got) != 2 || !want[got[0]] || !want[got[1]] || got[0] == got[1] {
				t.Fatalf("want one answer from each receiver's unicast address:\n%s", r)
			}
			s1.waitLine(&s1.stdout, regexp.MustCompile(`^  ttl 1, tos 0x00 \(cs0, not-ect\), to `+regexp.QuoteMeta(tc.group)+` \(group\) on eth0, `))
			// bench to the group: both members echo, the second answer
			// to a datagram is a duplicate. The run ends at the first
			// answer to the last datagram, so the second answers may
			// all come after it (a member that slept 3 ms): that both
			// answered, r2's count says.
			r = l.run("snd", tc.fam, "bench", "--mcast-if", "eth0", "-c", "200", "--inflight", "8", "--json", dest)
			mustSucceed(t, r, "bench to the group")
			var br struct {
				IO                   string
				Received, Duplicates int
			}
			json.Unmarshal([]byte(r.stdout), &br)
			if br.IO != "sendmmsg/recvmmsg" || br.Received != 200 || br.Duplicates > 200 {
				t.Errorf("bench to a group of two: want an unconnected socket, 200 received, at most one duplicate each:\n%s", r)
			}
			if n := s2.stopServer(syscall.SIGTERM); n[0] != "201" {
				t.Errorf("the second member read %s datagrams, want 201 (the send and the bench's 200)\n%s", n[0], s2)
			}

			// Source-specific: r2 hears only a sender that does not exist.
			s2 = l.serve("r2", tc.fam, "serve", "--reply", "echo", "--join", tc.group+"%eth0", "--join-source", tc.other)
			r = l.run("snd", tc.fam, "send", "--mcast-if", "eth0", "--timeout", "0.5s", dest, "ssm")
			mustSucceed(t, r, "send to the group")
			if r.stdout != "Response from "+tc.r1+": ssm\n" {
				t.Errorf("with r2 joined to another source only, want r1's answer alone:\n%s", r)
			}
			if n := s2.stopServer(syscall.SIGTERM); n[0] != "0" {
				t.Errorf("r2 joined to source %s only got %s datagrams from the sender", tc.other, n[0])
			}
		})
	}
}

// A socket that leaves a group stops getting its datagrams: a unicast
// datagram sent after the group's arrives alone.
func TestMulticastLeave(t *testing.T) {
	l := mcastLab(t)
	rx := openIn(t, l.ns["r1"], families.UDP4(), families.Options{Addr: "0.0.0.0:7000"})
	tx := openIn(t, l.ns["snd"], families.UDP4(), families.Options{})
	if err := families.SetIPOptions(tx, families.IPOptions{MulticastIf: "eth0"}); err == nil {
		t.Fatal("eth0 is in another namespace than this process: want it unknown here")
	}
	inNetns(t, l.ns["snd"], func() error { return families.SetIPOptions(tx, families.IPOptions{MulticastIf: "eth0"}) })
	g := families.Group{Addr: netip.MustParseAddr("239.5.5.5"), Iface: "eth0"}
	inNetns(t, l.ns["r1"], func() error { return families.JoinGroup(rx, g, netip.Addr{}) })
	group := &net.UDPAddr{IP: net.ParseIP("239.5.5.5"), Port: 7000}
	unicast := &net.UDPAddr{IP: net.ParseIP("10.8.0.2"), Port: 7000}
	read := func() string {
		buf := make([]byte, 100)
		rx.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, _, err := rx.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
	send := func(msg string, to net.Addr) {
		if _, err := tx.WriteTo([]byte(msg), to); err != nil {
			t.Fatal(err)
		}
	}
	send("joined", group)
	if got := read(); got != "joined" {
		t.Fatalf("member got %q", got)
	}
	inNetns(t, l.ns["r1"], func() error { return families.LeaveGroup(rx, g, netip.Addr{}) })
	send("left", group)
	send("barrier", unicast)
	if got := read(); got != "barrier" {
		t.Errorf("after leaving the group the socket got %q before the unicast datagram sent after it", got)
	}
}

// Across the router of a three-host lab that forwards the group (a static
// multicast route): a datagram sent with --mcast-ttl 1 stays on the
// client's link, one with --mcast-ttl 2 crosses and arrives with TTL 1.
func TestMulticastTTLAcrossRouter(t *testing.T) {
	lb, l := newLab(t, lab.Config{Hosts: 3})
	client, server := addr(t, lb, "client", 4), addr(t, lb, "server", 4)
	staticMroute(t, l.ns["router"], "eth0", "eth1", client, "239.9.9.9")
	srv := l.serve("server", "udp4", "serve", "-v", "--reply", "echo", "--join", "239.9.9.9%eth0")

	r := l.run("client", "udp4", "send", "--mcast-if", "eth0", "--mcast-ttl", "1", "--timeout", "0.3s", "239.9.9.9:8020", "ttl one")
	if r.code != 1 || !strings.Contains(r.stderr, "no reply after 1 tries") {
		t.Errorf("TTL 1 must not cross the router:\n%s", r)
	}
	r = l.run("client", "udp4", "send", "--mcast-if", "eth0", "--mcast-ttl", "2", "--timeout", "1s", "239.9.9.9:8020", "ttl two")
	mustSucceed(t, r, "send with TTL 2")
	if r.stdout != "Response from "+server+":8020: ttl two\n" {
		t.Errorf("TTL 2 crosses the router, and the server answers from its unicast address %s:\n%s", server, r)
	}
	srv.waitLine(&srv.stdout, regexp.MustCompile(`^  ttl 1, .* to 239\.9\.9\.9 \(group\) on eth0, `))
	got := srv.countLines(&srv.stdout, regexp.MustCompile(`^Received message: `), 1)
	if got[0] != "Received message: ttl two" {
		t.Errorf("the server got %q: the TTL 1 datagram crossed", got)
	}
}

// bench --timestamps prints the split of the round trips, and --json has
// it; bench --gso against serve --gro says what it used.
func TestBenchTimestampsAndGSO(t *testing.T) {
	l := newIPLab(t, "h")
	l.serve("h", "udp4", "serve", "-q", "--reply", "echo", "--gro", "--bind", "127.0.0.1:8020")
	r := l.run("h", "udp4", "bench", "--mode", "pingpong", "--timestamps", "-c", "500", "127.0.0.1:8020")
	mustSucceed(t, r, "bench --timestamps")
	for _, re := range []string{
		`(?m)^pingpong, sendto/recvmsg with SO_TIMESTAMPING, 64 bytes, 1 in flight, `,
		`(?m)^  kernel timestamps: 500 round trips split, 0 without all stamps; hardware unavailable: lo stamps in software only \(ethtool -T lo\)$`,
		`(?m)^    sender stack   µs  min \d+\.\d  p50 \d+\.\d  p99 `,
		`(?m)^    wire and peer  µs  min `,
		`(?m)^      wire       µs  min \d+\.\d  p50 \d+\.\d  p99 \d+\.\d  \(\d+ of \d+ probes to port 33434 answered by the peer's kernel\)$`,
		`(?m)^      peer       µs  p50 \d+\.\d  \(its socket, program and sending stack`,
		`(?m)^    receiver stack µs  min `,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("bench --timestamps lacks %s:\n%s", re, r)
		}
	}
	r = l.run("h", "udp4", "bench", "--gso", "16", "--size", "1400", "-c", "3000", "--json", "127.0.0.1:8020")
	mustSucceed(t, r, "bench --gso")
	if !strings.Contains(r.stdout, `"offload":"UDP_SEGMENT, 16 datagrams per send; replies read with UDP_GRO"`) || !strings.Contains(r.stdout, `"received":3000,`) {
		t.Errorf("bench --gso --json:\n%s", r)
	}
	// Without -q the server prints each datagram, and reads them one by
	// one: it says so.
	plain := l.serve("h", "udp4", "serve", "--reply", "echo", "--gro", "--bind", "127.0.0.1:8021")
	plain.waitLine(&plain.stderr, regexp.MustCompile(`^socklab: --gro: reading datagram by datagram: UDP_GRO is read on the batch path only \(quiet, not plain, and a UDP socket\)$`))
	r = l.run("h", "udp4", "bench", "--gso", "16", "--plain", "-c", "100", "127.0.0.1:8020")
	if !strings.Contains(r.stdout, "  offload     GSO off: UDP_SEGMENT needs the batch path (sendmmsg), and this bench is plain\n") {
		t.Errorf("bench --gso --plain: want the reason GSO is off:\n%s", r)
	}
}
