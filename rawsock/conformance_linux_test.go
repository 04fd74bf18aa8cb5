package rawsock

import (
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/families/familytest"
	"golang.org/x/sys/unix"
)

// The conformance suite on the raw families, each run in a network
// namespace of its own, so that no other ICMP traffic of the host reaches
// the raw sockets and the sysctls change there only.

// echoMessages carries the suite's payloads in ICMP echoes with the test's
// echo ID: requests from the client, replies from the server (or the
// kernel).
type echoMessages struct{ v, id int }

func (e echoMessages) Request(payload []byte) []byte { return e.echo(false, payload) }
func (e echoMessages) Reply(payload []byte) []byte   { return e.echo(true, payload) }

func (e echoMessages) echo(reply bool, payload []byte) []byte {
	req, rep := echoTypes(e.v)
	typ := req
	if reply {
		typ = rep
	}
	b, err := marshalEcho(typ, e.id, 1, payload)
	if err != nil {
		panic(err)
	}
	return b
}

// Payload takes only echoes with the test's ID: a raw socket also reads
// its own requests and the server's replies looped back.
func (e echoMessages) Payload(msg []byte) ([]byte, bool, bool) {
	m, err := DecodeICMP(e.v, msg)
	if err != nil || m.Echo == nil || m.Echo.ID != e.id {
		return nil, false, false
	}
	return m.Echo.Data, m.isEchoReply(), true
}

func loopback(v int) net.IP {
	if v == 6 {
		return net.IPv6loopback
	}
	return net.IPv4(127, 0, 0, 1).To4()
}

func icmpDef(v int) *families.Definition {
	if v == 6 {
		return ICMP6()
	}
	return ICMP4()
}

// openIn opens a Conn of d in ns with o, and closes it when t ends.
func openIn(t *testing.T, ns *netns, d *families.Definition, o families.Options) families.Conn {
	t.Helper()
	var c families.Conn
	err := ns.do(func() (err error) {
		c, err = d.Open(o)
		return err
	})
	if err != nil {
		t.Fatalf("open %s in the test's namespace: %v", d.Name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// icmpConn is c as the *ICMPConn an ICMP family's Open must return, of mode.
func icmpConn(t *testing.T, c families.Conn, mode Mode) *ICMPConn {
	t.Helper()
	ic, ok := c.(*ICMPConn)
	if !ok || ic.Mode() != mode {
		t.Fatalf("Open returned %T (mode %v), want an *ICMPConn of mode %v", c, ic.Mode(), mode)
	}
	return ic
}

// TestConformanceICMPRaw runs the suite on raw ICMP sockets, opened as the
// family opens them where the datagram socket is refused: a server bound
// to loopback that reads every ICMP message and answers with replies, and
// a client. The kernel's own echo replies are off, so the client's
// replies can come from the server only.
func TestConformanceICMPRaw(t *testing.T) {
	for _, v := range []int{4, 6} {
		t.Run(ICMPSpec(v, ModeRaw).String(), func(t *testing.T) {
			ns := newNetns(t, map[string]string{"net/ipv4/icmp_echo_ignore_all": "1", "net/ipv6/icmp/echo_ignore_all": "1"})
			familytest.Run(t, func(t *testing.T) familytest.Pair {
				d := icmpDef(v)
				srv := openIn(t, ns, d, families.Options{Addr: loopback(v).String()})
				cl := openIn(t, ns, d, families.Options{})
				icmpConn(t, srv, ModeRaw)
				icmpConn(t, cl, ModeRaw)
				return familytest.Pair{Server: srv, Client: cl, ServerAddr: &net.IPAddr{IP: loopback(v)}, Spec: ICMPSpec(v, ModeRaw),
					Messages: echoMessages{v: v, id: RandomID()}}
			})
		})
	}
}

// TestConformanceICMPDgram runs the suite on the unprivileged datagram
// socket, with net.ipv4.ping_group_range opened in the test's namespace.
// Its peer is the kernel's echo responder: no socket of ours can read its
// requests, so the client reads the kernel's replies.
func TestConformanceICMPDgram(t *testing.T) {
	for _, v := range []int{4, 6} {
		t.Run(ICMPSpec(v, ModeDgram).String(), func(t *testing.T) {
			ns := newNetns(t, map[string]string{"net/ipv4/ping_group_range": "0 2147483647"})
			familytest.Run(t, func(t *testing.T) familytest.Pair {
				cl := icmpConn(t, openIn(t, ns, icmpDef(v), families.Options{}), ModeDgram)
				return familytest.Pair{Client: cl, ServerAddr: &net.IPAddr{IP: loopback(v)}, Spec: ICMPSpec(v, ModeDgram),
					Messages: echoMessages{v: v, id: cl.ID()}}
			})
		})
	}
}

// TestConformanceICMPAdopted runs the suite on a datagram ICMP socket made
// elsewhere and passed to the family as a file, as --fd does.
func TestConformanceICMPAdopted(t *testing.T) {
	ns := newNetns(t, map[string]string{"net/ipv4/ping_group_range": "0 2147483647"})
	familytest.Run(t, func(t *testing.T) familytest.Pair {
		var f *os.File
		err := ns.do(func() error {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
			if err != nil {
				return err
			}
			f = os.NewFile(uintptr(fd), "icmp")
			return unix.Bind(fd, &unix.SockaddrInet4{}) // the kernel picks the echo ID
		})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c, err := ICMP4().Open(families.Options{File: f})
		if err != nil {
			t.Fatalf("adopt: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		cl := icmpConn(t, c, ModeDgram)
		if cl.ID() == 0 || cl.Spec().Fileno < 0 {
			t.Errorf("adopted: id %d, Spec %v: want the bound port and the fd", cl.ID(), cl.Spec())
		}
		return familytest.Pair{Client: cl, ServerAddr: &net.IPAddr{IP: loopback(4)}, Spec: ICMPSpec(4, ModeDgram),
			Messages: echoMessages{v: 4, id: cl.ID()}}
	})
}

// ip4Messages carries the suite's payloads in whole IPv4 packets of the
// experimental protocol, to loopback.
type ip4Messages struct{}

func (ip4Messages) Request(payload []byte) []byte {
	p := IPv4Packet{Dst: netip.MustParseAddr("127.0.0.1"), TTL: 64, ID: RandomID(), Proto: ProtoExperimental, Payload: payload}
	b, err := p.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

func (m ip4Messages) Reply(payload []byte) []byte { return m.Request(payload) }

func (ip4Messages) Payload(msg []byte) ([]byte, bool, bool) {
	d, err := ParseIPv4(msg)
	if err != nil {
		return nil, false, false
	}
	return d.Payload, false, true
}

// TestConformanceIP4 runs what applies of the suite to ip4's socket.
func TestConformanceIP4(t *testing.T) {
	ns := newNetns(t, nil)
	const cannot = "ip4's socket(AF_INET, SOCK_RAW, IPPROTO_RAW) cannot receive: the kernel delivers no packet to protocol 255 (ip4 serve reads on socket(AF_INET, SOCK_RAW, proto))"
	familytest.Run(t, func(t *testing.T) familytest.Pair {
		c := openIn(t, ns, IP4(), families.Options{})
		if _, ok := c.(*IP4Conn); !ok {
			t.Fatalf("IP4().Open returned %T, want *IP4Conn", c)
		}
		return familytest.Pair{Client: c, ServerAddr: &net.IPAddr{IP: loopback(4)}, Spec: IP4Spec, Messages: ip4Messages{}}
	},
		familytest.Skip{Test: familytest.TestRoundTrip, Reason: cannot},
		familytest.Skip{Test: familytest.TestZeroLength, Reason: cannot},
		familytest.Skip{Test: familytest.TestTruncation, Reason: cannot},
		familytest.Skip{Test: familytest.TestConcurrent, Reason: cannot},
	)
}
