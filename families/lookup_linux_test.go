package families_test

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// traced runs fn with a Tracer set and returns the calls it reported, as
// strace would print them.
func traced(t *testing.T, fn func()) []string {
	t.Helper()
	var mu sync.Mutex
	var calls []string
	families.SetTracer(func(c families.Call) {
		mu.Lock()
		calls = append(calls, c.String())
		mu.Unlock()
	})
	defer families.SetTracer(nil)
	fn()
	mu.Lock()
	defer mu.Unlock()
	return calls
}

// TestInterfaceAddrs: the addresses families' own netlink dump finds are
// package net's, and the dump is in the trace: a NETLINK_ROUTE socket, a
// request, the replies, close.
func TestInterfaceAddrs(t *testing.T) {
	var got []net.Addr
	var err error
	calls := traced(t, func() { got, err = families.InterfaceAddrs() })
	if err != nil {
		t.Fatal(err)
	}
	want, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	str := func(as []net.Addr) []string {
		var s []string
		for _, a := range as {
			s = append(s, a.String())
		}
		slices.Sort(s)
		return s
	}
	if !slices.Equal(str(got), str(want)) {
		t.Errorf("InterfaceAddrs = %v, package net says %v", str(got), str(want))
	}
	trace := strings.Join(calls, "\n")
	for _, w := range []string{"socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) = ", "sendto(", ", 20 bytes, netlink) = 20", "recvfrom(", "close("} {
		if !strings.Contains(trace, w) {
			t.Errorf("trace lacks %q:\n%s", w, trace)
		}
	}
}

// TestRouteSource: the kernel's source for a loopback destination is the
// loopback address, found with a UDP socket that connects and sends
// nothing, all of it traced.
func TestRouteSource(t *testing.T) {
	var src netip.Addr
	var err error
	calls := traced(t, func() { src, err = families.RouteSource(netip.MustParseAddr("127.0.0.1")) })
	if err != nil {
		t.Fatal(err)
	}
	if src != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("RouteSource(127.0.0.1) = %v, want 127.0.0.1", src)
	}
	trace := strings.Join(calls, "\n")
	for _, w := range []string{"socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = ", ", 127.0.0.1:9) = 0", "getsockname(", "close("} {
		if !strings.Contains(trace, w) {
			t.Errorf("trace lacks %q:\n%s", w, trace)
		}
	}
	for _, c := range calls {
		if strings.HasPrefix(c, "sendmsg") {
			t.Errorf("a route lookup sent a datagram: %s", c)
		}
	}
}

// TestResolverTraced: a name looked up with families' resolver is asked
// over a socket of this package (here of a DNS server on loopback), and
// the trace shows the query and the answer.
func TestResolverTraced(t *testing.T) {
	srv, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go answerDNS(srv, netip.MustParseAddr("192.0.2.7"))
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return families.DialDNS(ctx, network, srv.LocalAddr().String())
	}}
	var ips []netip.Addr
	calls := traced(t, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ips, err = r.LookupNetIP(ctx, "ip4", "socklab.test.")
	})
	if err != nil {
		t.Fatalf("lookup: %v\n%s", err, strings.Join(calls, "\n"))
	}
	if len(ips) != 1 || ips[0] != netip.MustParseAddr("192.0.2.7") {
		t.Errorf("lookup = %v, want 192.0.2.7", ips)
	}
	trace := strings.Join(calls, "\n")
	for _, w := range []string{"connect(", ", " + srv.LocalAddr().String() + ") = 0", "sendmsg(", "recvmsg(", "from " + srv.LocalAddr().String(), "close("} {
		if !strings.Contains(trace, w) {
			t.Errorf("trace lacks %q:\n%s", w, trace)
		}
	}
}

// answerDNS answers every query on c with one A record of ip.
func answerDNS(c net.PacketConn, ip netip.Addr) {
	buf := make([]byte, 512)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		q := buf[:n]
		if len(q) < 12 {
			continue
		}
		end := 12
		for end < n && q[end] != 0 {
			end += int(q[end]) + 1
		}
		end += 5 // the root label, QTYPE, QCLASS
		if end > n {
			continue
		}
		resp := append([]byte(nil), q[:end]...)
		binary.BigEndian.PutUint16(resp[2:], 0x8180) // response, recursion
		binary.BigEndian.PutUint16(resp[6:], 1)      // one answer
		binary.BigEndian.PutUint16(resp[8:], 0)
		binary.BigEndian.PutUint16(resp[10:], 0)
		a4 := ip.As4()
		resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, a4[0], a4[1], a4[2], a4[3])
		c.WriteTo(resp, from)
	}
}

// TestTraceOrder: calls made at once from many goroutines are reported one
// at a time, each before the next call starts, so the trace's order is the
// kernel's: every socket's calls come socket, bind, ..., close.
func TestTraceOrder(t *testing.T) {
	calls := traced(t, func() {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 20 {
					c, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
					if err == nil {
						c.WriteTo([]byte("x"), c.LocalAddr())
						c.Close()
					}
				}
			})
		}
		wg.Wait()
	})
	open := map[string]bool{}
	for _, c := range calls {
		name, rest, _ := strings.Cut(c, "(")
		fd, _, _ := strings.Cut(rest, ",")
		fd, _, _ = strings.Cut(fd, ")")
		if name == "socket" {
			fd = c[strings.LastIndex(c, " ")+1:]
			if open[fd] {
				t.Fatalf("%s: descriptor %s is open already in the trace", c, fd)
			}
			open[fd] = true
			continue
		}
		if !open[fd] {
			t.Fatalf("%s: descriptor %s is not open in the trace\n%s", c, fd, strings.Join(calls, "\n"))
		}
		if name == "close" {
			delete(open, fd)
		}
	}
}
