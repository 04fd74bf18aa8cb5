package families_test

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// seen is a datagram as a Capture reported it, copied.
type seen struct {
	call        string
	sent        bool
	data        string
	size        int
	local, peer string
	fd          int
}

func (s seen) String() string {
	dir := "recv"
	if s.sent {
		dir = "sent"
	}
	return fmt.Sprintf("%s %s fd %d %s -> %s %q (%d)", s.call, dir, s.fd, s.local, s.peer, s.data, s.size)
}

// capturing sets a Capture that keeps copies of what it sees.
func capturing(t *testing.T) func() []seen {
	var mu sync.Mutex
	var got []seen
	families.SetCapture(func(d *families.Datagram) {
		s := seen{call: d.Call, sent: d.Sent, data: string(d.Data), size: d.Size, fd: d.Fd}
		if d.Local != nil {
			s.local = d.Local.String()
		}
		if d.Peer != nil {
			s.peer = d.Peer.String()
		}
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
	})
	t.Cleanup(func() { families.SetCapture(nil) })
	return func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

// TestCapturePlain: a sendmsg and the recvmsg that reads it are each seen
// once, with the bytes and both ends' addresses.
func TestCapturePlain(t *testing.T) {
	got := capturing(t)
	srv := open(t, families.UDP4(), "127.0.0.1:0")
	cl := open(t, families.UDP4(), "127.0.0.1:0")
	if _, err := cl.WriteTo([]byte("hello"), srv.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3) // short: the datagram is truncated
	srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, _, err := srv.ReadMsg(buf); err != nil {
		t.Fatal(err)
	}
	want := []seen{
		{call: "sendmsg", sent: true, data: "hello", size: 5, local: cl.LocalAddr().String(), peer: srv.LocalAddr().String(), fd: fdOf(t, cl)},
		{call: "recvmsg", data: "hel", size: 5, local: srv.LocalAddr().String(), peer: cl.LocalAddr().String(), fd: fdOf(t, srv)},
	}
	checkSeen(t, got(), want)
}

// TestCaptureBatch: each datagram of a recvmmsg and of a sendmmsg is seen
// on its own; a server bound to a wildcard address with RecvDestination
// on sees each datagram's own destination as its local end, and its
// replies' source.
func TestCaptureBatch(t *testing.T) {
	got := capturing(t)
	srv := open(t, families.UDP4(), "0.0.0.0:0")
	if err := families.RecvDestination(srv); err != nil {
		t.Fatal(err)
	}
	port := srv.LocalAddr().(*net.UDPAddr).Port
	to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	cl := open(t, families.UDP4(), "127.0.0.1:0")
	for _, m := range []string{"one", "two"} {
		if _, err := cl.WriteTo([]byte(m), to); err != nil {
			t.Fatal(err)
		}
	}
	bc, ok := families.AsBatch(srv)
	if !ok {
		t.Fatal("udp4 has no batch path")
	}
	rx := families.NewRecvBatch(8, 100, families.BatchControlSpace)
	tx := families.NewSendBatch(8)
	srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	for n := 0; n < 2; {
		k, err := bc.ReadBatch(rx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range k {
			tx.AddReply(rx, i, []byte("re "), rx.Data(i))
		}
		n += k
	}
	if err := bc.WriteBatch(tx, true); err != nil {
		t.Fatal(err)
	}
	c, s := cl.LocalAddr().String(), to.String()
	want := []seen{
		{call: "sendmsg", sent: true, data: "one", size: 3, local: c, peer: s, fd: fdOf(t, cl)},
		{call: "sendmsg", sent: true, data: "two", size: 3, local: c, peer: s, fd: fdOf(t, cl)},
		{call: "recvmmsg", data: "one", size: 3, local: s, peer: c, fd: fdOf(t, srv)},
		{call: "recvmmsg", data: "two", size: 3, local: s, peer: c, fd: fdOf(t, srv)},
		{call: "sendmmsg", sent: true, data: "re one", size: 6, local: s, peer: c, fd: fdOf(t, srv)},
		{call: "sendmmsg", sent: true, data: "re two", size: 6, local: s, peer: c, fd: fdOf(t, srv)},
	}
	checkSeen(t, got(), want)
}

// TestCaptureUnix: a unix datagram is seen with the sender's autobound
// name and the server's.
func TestCaptureUnix(t *testing.T) {
	got := capturing(t)
	name := fmt.Sprintf("@socklab-capture-%d", time.Now().UnixNano())
	srv := open(t, families.Unix(), name)
	cl := open(t, families.Unix(), "")
	if _, err := cl.WriteTo([]byte("hi"), srv.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, _, err := srv.ReadMsg(buf); err != nil {
		t.Fatal(err)
	}
	c := cl.LocalAddr().String()
	if !strings.HasPrefix(c, "@") {
		t.Fatalf("autobound client is %q, not an abstract name", c)
	}
	checkSeen(t, got(), []seen{
		{call: "sendmsg", sent: true, data: "hi", size: 2, local: c, peer: name, fd: fdOf(t, cl)},
		{call: "recvmsg", data: "hi", size: 2, local: name, peer: c, fd: fdOf(t, srv)},
	})
}

// TestSettings: -v's view of a socket holds its addresses and the options
// set on it, as the kernel reports them.
func TestSettings(t *testing.T) {
	c := open(t, families.UDP4(), "127.0.0.1:0")
	families.ReportICMPErrors(c)
	got := map[string]string{}
	for _, s := range families.Settings(c) {
		got[s.Name] = s.Value
	}
	for k, v := range map[string]string{"local": c.LocalAddr().String(), "IP_RECVERR": "1", "IP_PKTINFO": "0"} {
		if got[k] != v {
			t.Errorf("Settings %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if got["SO_RCVBUF"] == "" || got["IP_TTL"] == "" {
		t.Errorf("Settings lacks SO_RCVBUF or IP_TTL: %v", got)
	}
	if _, ok := got["peer"]; ok {
		t.Errorf("an unconnected socket has a peer in %v", got)
	}
}

func open(t *testing.T, d *families.Definition, addr string) families.Conn {
	t.Helper()
	c, err := d.Open(families.Options{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func fdOf(t *testing.T, c families.Conn) int {
	t.Helper()
	fd := -1
	families.Control(c, func(n int) error { fd = n; return nil })
	return fd
}

func checkSeen(t *testing.T, got, want []seen) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("captured %d datagrams, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("datagram %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
}
