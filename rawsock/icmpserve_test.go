package rawsock

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// Tests of icmp serve --reply as any user: a fake socket hands it messages
// with the addresses a raw socket would report, on testHost.

// icmpIn is one message the fake socket reads: its bytes and where it
// came from and went.
type icmpIn struct {
	v        int
	wire     []byte
	from, to string
	zone     string // from's
}

// echoRequest is the bytes of an echo request of ICMP v.
func echoRequest(t testing.TB, v, id, seq int, data string) []byte {
	t.Helper()
	req, _ := echoTypes(v)
	b, err := marshalEcho(req, id, seq, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeICMP is a PingConn that reads a script and records what is written.
type fakeICMP struct {
	v     int
	in    chan icmpIn
	mu    sync.Mutex
	out   [][]byte
	to    []net.IP
	zones []string
	stop  chan struct{}
}

func newFakeICMP(v int) *fakeICMP {
	return &fakeICMP{v: v, in: make(chan icmpIn, 100), stop: make(chan struct{})}
}

func (f *fakeICMP) ReadICMP(b []byte) (*ICMPMessage, error) {
	select {
	case r := <-f.in:
		n := copy(b, r.wire)
		m, err := DecodeICMP(r.v, b[:n])
		if err != nil {
			m = &ICMPMessage{IPVersion: r.v, Err: err}
		}
		m.From, m.Zone, m.Dst, m.Size, m.TTL, m.Time = net.ParseIP(r.from), r.zone, net.ParseIP(r.to), len(r.wire), 64, time.Now()
		return m, nil
	case <-f.stop:
		return nil, &families.Error{Op: "read", Spec: f.Spec(), Err: os.ErrDeadlineExceeded}
	}
}

func (f *fakeICMP) WriteTo(b []byte, addr net.Addr) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out, f.to = append(f.out, append([]byte(nil), b...)), append(f.to, ipOf(addr))
	f.zones = append(f.zones, addr.(*net.IPAddr).Zone)
	return len(b), nil
}

func (f *fakeICMP) SetReadDeadline(time.Time) error { return nil }
func (f *fakeICMP) Spec() families.Spec             { return ICMPSpec(f.v, ModeRaw) }
func (f *fakeICMP) Mode() Mode                      { return ModeRaw }
func (f *fakeICMP) ID() int                         { return 0 }

// TestServeICMPAnswersLikeTheKernel: --reply answers a unicast echo
// request to this host with a valid checksum, and none of those the kernel
// drops: to a broadcast or multicast address, to another host's address,
// with a bad checksum, from an address no reply can go to. It counts each.
func TestServeICMPAnswersLikeTheKernel(t *testing.T) {
	good := echoRequest(t, 4, 321, 9, "data")
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 1
	for _, tc := range []struct {
		name, from, to string
		wire           []byte
		want           string // "" for a reply
	}{
		{"unicast", "10.9.9.9", "127.0.0.1", good, ""},
		{"to an interface address", "10.9.9.9", "10.1.2.3", good, ""},
		{"from this host", "127.0.0.1", "127.0.0.1", good, ""},
		{"subnet broadcast", "10.1.2.7", "10.1.2.255", good, "broadcast"},
		{"limited broadcast", "10.1.2.7", "255.255.255.255", good, "broadcast"},
		{"multicast", "10.1.2.7", "224.0.0.1", good, "broadcast"},
		{"loopback broadcast", "127.0.0.1", "127.255.255.255", good, "broadcast"},
		{"another host's address", "10.9.9.9", "10.7.7.7", good, "not_local"},
		{"destination unknown", "10.9.9.9", "", good, "not_local"},
		{"bad checksum", "10.9.9.9", "127.0.0.1", bad, "bad_checksum"},
		{"from a broadcast address", "10.1.2.255", "10.1.2.3", good, "bad_source"},
		{"from a multicast address", "224.0.0.5", "127.0.0.1", good, "bad_source"},
		{"from 0.0.0.0", "0.0.0.0", "127.0.0.1", good, "bad_source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeICMP(4)
			s := &icmpServer{c: f, o: ICMPServeOptions{IPVersion: 4, Reply: true}, host: testHost()}
			f.in <- icmpIn{v: 4, wire: tc.wire, from: tc.from, to: tc.to}
			m, _ := f.ReadICMP(make([]byte, 100))
			ev := s.handle(m, tc.wire)
			if ev.NotAnswered != tc.want || ev.Replied != (tc.want == "") || len(f.out) != len(f.to) || (len(f.out) == 1) != (tc.want == "") {
				t.Fatalf("event %+v, %d replies: want not_answered %q", ev, len(f.out), tc.want)
			}
			if s.st.Messages != 1 || s.st.Requests != 1 || s.st.Replied+s.st.Dropped.Total() != 1 {
				t.Errorf("stats %+v", s.st)
			}
			if tc.want == "" {
				r, err := DecodeICMP(4, f.out[0])
				if err != nil || !r.isEchoReply() || r.Echo.ID != 321 || r.Echo.Seq != 9 || string(r.Echo.Data) != "data" || !f.to[0].Equal(net.ParseIP(tc.from)) || Checksum(f.out[0], 0) != 0 {
					t.Errorf("reply %x to %v: %+v, %v", f.out[0], f.to[0], r, err)
				}
			}
		})
	}
}

// TestServeICMP6AnswersUnicastOnly: ICMPv6 has no broadcast; a request to
// a multicast group is not answered (the kernel's IPv6 default would, see
// net.ipv6.icmp.echo_ignore_multicast), nor one whose destination the
// socket did not report.
func TestServeICMP6AnswersUnicastOnly(t *testing.T) {
	req := echoRequest(t, 6, 7, 1, "v6")
	for _, tc := range []struct{ from, to, want string }{
		{"fd00::9", "::1", ""},
		{"fe80::9", "fd00::3", ""}, // link-local: the reply goes out on its interface
		{"fd00::9", "fd00::3", ""},
		{"fe80::1", "ff02::1", "broadcast"},
		{"fd00::9", "fd00::77", "not_local"},
		{"ff02::2", "fd00::3", "bad_source"},
		{"::", "fd00::3", "bad_source"},
	} {
		f := newFakeICMP(6)
		s := &icmpServer{c: f, o: ICMPServeOptions{IPVersion: 6, Reply: true}, host: testHost()}
		f.in <- icmpIn{v: 6, wire: req, from: tc.from, to: tc.to, zone: "eth0"}
		m, _ := f.ReadICMP(make([]byte, 100))
		if ev := s.handle(m, req); ev.NotAnswered != tc.want || len(f.out) != map[bool]int{true: 1}[tc.want == ""] {
			t.Errorf("%s > %s: event %+v, %d replies, want %q", tc.from, tc.to, ev, len(f.out), tc.want)
		}
		if len(f.zones) == 1 && f.zones[0] != "eth0" {
			t.Errorf("%s > %s: reply on zone %q, want the request's, eth0", tc.from, tc.to, f.zones[0])
		}
	}
}

// TestServeICMPReportsEverything: serve reports every message, answers
// only echo requests, and its summary counts what it read; the run ends
// without error when its context does.
func TestServeICMPReportsEverything(t *testing.T) {
	f := newFakeICMP(4)
	rep := echoRequest(t, 4, 321, 9, "data")
	rep[0] = 0 // an echo reply
	rep[2], rep[3] = 0, 0
	c := Checksum(rep, 0)
	rep[2], rep[3] = byte(c>>8), byte(c)
	for _, in := range []icmpIn{
		{v: 4, wire: echoRequest(t, 4, 321, 9, "data"), from: "10.9.9.9", to: "127.0.0.1"},
		{v: 4, wire: rep, from: "10.9.9.9", to: "127.0.0.1"},
		{v: 4, wire: []byte("hello"), from: "127.0.0.1", to: "127.0.0.1"}, // what socket ... send hello sends on a raw socket
		{v: 4, wire: []byte{8}, from: "10.9.9.9", to: "127.0.0.1"},
	} {
		f.in <- in
	}
	ctx, cancel := context.WithCancel(context.Background())
	var events []ICMPEvent
	st, err := serveICMP(ctx, f, ICMPServeOptions{IPVersion: 4, Reply: true, OnMessage: func(e ICMPEvent) {
		if events = append(events, e); len(events) == 4 {
			cancel()
			close(f.stop)
		}
	}})
	if err != nil {
		t.Fatalf("serveICMP after ctx ended: %v", err)
	}
	want := []ICMPEvent{
		{Event: EventICMP, From: "10.9.9.9", Dst: "127.0.0.1", TTL: 64, Type: 8, TypeName: "echo", ID: 321, Seq: 9, Size: 12, Replied: true},
		{Event: EventICMP, From: "10.9.9.9", Dst: "127.0.0.1", TTL: 64, Type: 0, TypeName: "echo reply", ID: 321, Seq: 9, Size: 12},
		{Event: EventICMP, From: "127.0.0.1", Dst: "127.0.0.1", TTL: 64, Type: 104, Code: 101, TypeName: "unknown", Size: 5, BadChecksum: true},
		{Event: EventICMP, From: "10.9.9.9", Dst: "127.0.0.1", TTL: 64, Size: 1, Err: "message too short"},
	}
	for i, e := range events {
		e.Time = ""
		if i >= len(want) || e != want[i] {
			t.Errorf("event %d: %+v\nwant      %+v", i, e, want[min(i, len(want)-1)])
		}
	}
	if st.Event != EventSummary || st.Time == "" || st.Messages != 4 || st.Requests != 1 || st.Replied != 1 || st.Dropped.Total() != 0 {
		t.Errorf("summary %+v", st)
	}
	if len(f.out) != 1 {
		t.Errorf("want one reply, sent %d", len(f.out))
	}
	f2 := newFakeICMP(4)
	close(f2.stop)
	if _, err := serveICMP(context.Background(), f2, ICMPServeOptions{}); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a read error ends serve with it: %v", err)
	}
}
