package echo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/families/familytest"
	"golang.org/x/sys/unix"
)

// fastFamily is one family the batch path serves, with a bind address.
type fastFamily struct {
	name string
	def  *families.Definition
	addr func(t testing.TB) string
}

var fastFamilies = []fastFamily{
	{"udp4", families.UDP4(), func(testing.TB) string { return "127.0.0.1:0" }},
	{"udp6", families.UDP6(), func(testing.TB) string { return "[::1]:0" }},
	{"unix", families.Unix(), func(t testing.TB) string { return filepath.Join(t.TempDir(), "s.sock") }},
}

// exchange sends msg as one datagram (zero-length too) and returns the reply.
func exchange(t testing.TB, fd int, msg []byte, buf []byte) []byte {
	t.Helper()
	if err := send(fd, msg); err != nil {
		t.Fatalf("send %d bytes: %v", len(msg), err)
	}
	n, err := read(fd, buf)
	if err != nil {
		t.Fatalf("reply to %d bytes: %v", len(msg), err)
	}
	return buf[:n]
}

// send and read retry on EINTR: with SO_RCVTIMEO set, the runtime's
// preemption signal interrupts a blocking socket call without restarting it.
func send(fd int, msg []byte) error {
	for {
		if err := unix.Sendto(fd, msg, 0, nil); err != unix.EINTR {
			return err
		}
	}
}

func read(fd int, buf []byte) (int, error) {
	for {
		if n, err := unix.Read(fd, buf); err != unix.EINTR {
			return n, err
		}
	}
}

// TestBatchEcho runs the batch path (Quiet, so no per-datagram event) on
// every family: datagrams of every size come back unchanged, zero-length
// ones too, and the peers are counted.
func TestBatchEcho(t *testing.T) {
	for _, f := range fastFamilies {
		t.Run(f.name, func(t *testing.T) {
			cfg := echo.ServerConfig{Reply: echo.ReplyEcho, Quiet: true}
			addr, events, stop := startServer(t, f.def, f.addr(t), cfg)
			buf := make([]byte, 70000)
			a, b := familytest.RawClient(t, addr), familytest.RawClient(t, addr)
			sizes := []int{0, 1, 5, 0, 1000, 1472, 8000, 65000}
			for i, n := range sizes {
				msg := bytes.Repeat([]byte{byte('a' + i)}, n)
				if got := exchange(t, a, msg, buf); !bytes.Equal(got, msg) {
					t.Fatalf("%d bytes: reply is %d bytes %.20q, want the datagram unchanged", n, len(got), got)
				}
			}
			if got := exchange(t, b, []byte("second peer"), buf); string(got) != "second peer" {
				t.Fatalf("second peer got %q", got)
			}
			st := stop()
			if st.IO != echo.IOBatch {
				t.Errorf("served by %q, want %q", st.IO, echo.IOBatch)
			}
			if st.Datagrams != uint64(len(sizes)+1) || st.Peers != 2 || st.Truncated != 0 || st.SendErrors != 0 || st.Unanswerable != 0 {
				t.Errorf("stats %+v, want %d datagrams from 2 peers, nothing truncated or failed", st, len(sizes)+1)
			}
			if ev := events(); len(ev) != 0 {
				t.Errorf("quiet batch server reported %+v, want no events", ev)
			}
		})
	}
}

// TestBatchSeedReply checks the seed's "[ctime] message" from the batch
// path, the prefix sent from a cached buffer.
func TestBatchSeedReply(t *testing.T) {
	fixed := time.Date(2026, 11, 24, 19, 8, 0, 0, time.UTC)
	for _, f := range fastFamilies {
		t.Run(f.name, func(t *testing.T) {
			addr, _, stop := startServer(t, f.def, f.addr(t), echo.ServerConfig{Quiet: true, Now: func() time.Time { return fixed }})
			fd := familytest.RawClient(t, addr)
			buf := make([]byte, 1000)
			for _, m := range []string{"hello", "", "again"} {
				if got, want := string(exchange(t, fd, []byte(m), buf)), "[Tue Nov 24 19:08:00 2026] "+m; got != want {
					t.Errorf("reply %q, want %q", got, want)
				}
			}
			if st := stop(); st.IO != echo.IOBatch {
				t.Errorf("served by %q, want the batch path", st.IO)
			}
		})
	}
}

// TestBatchTruncation sends datagrams longer than Bufsize: each is reported
// with its real size (recvmmsg with MSG_TRUNC), the part read is echoed, and
// serving goes on.
func TestBatchTruncation(t *testing.T) {
	for _, f := range fastFamilies {
		t.Run(f.name, func(t *testing.T) {
			cfg := echo.ServerConfig{Reply: echo.ReplyEcho, Quiet: true, Bufsize: 16}
			addr, events, stop := startServer(t, f.def, f.addr(t), cfg)
			fd := familytest.RawClient(t, addr)
			buf := make([]byte, 70000)
			long := []byte(strings.Repeat("0123456789", 300))
			if got := exchange(t, fd, long, buf); !bytes.Equal(got, long[:16]) {
				t.Errorf("reply to a truncated datagram: %q, want its first 16 bytes", got)
			}
			if got := exchange(t, fd, []byte("short"), buf); string(got) != "short" {
				t.Errorf("reply after truncation: %q", got)
			}
			st := stop()
			var tr []echo.Event
			for _, ev := range events() {
				if ev.Kind == echo.EventTruncated {
					tr = append(tr, ev)
				}
			}
			if len(tr) != 1 || tr[0].Size != len(long) || len(tr[0].Data) != 16 || tr[0].From == nil {
				t.Fatalf("truncation events %+v, want one with size %d, 16 bytes read, and the sender", tr, len(long))
			}
			if st.Truncated != 1 || st.Bytes != uint64(len(long)+5) {
				t.Errorf("stats %+v, want 1 truncated and %d bytes (the real sizes)", st, len(long)+5)
			}
		})
	}
}

// TestBatchSendError: a reply to a unix peer that is gone fails; it is
// counted and reported, and serving goes on.
func TestBatchSendError(t *testing.T) {
	dir := t.TempDir()
	addr, events, stop := startServer(t, families.Unix(), filepath.Join(dir, "s.sock"), echo.ServerConfig{Quiet: true, Reply: echo.ReplyEcho})
	// A sender bound to a path, which closes before the reply: sendmmsg
	// fails with ECONNREFUSED. A connected socket's peer check is avoided by
	// sending with sendto from an unconnected socket.
	gone, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(gone, &unix.SockaddrUnix{Name: filepath.Join(dir, "gone.sock")}); err != nil {
		t.Fatal(err)
	}
	// Fill nothing: hold the server off by sending while it is blocked is
	// not possible, so close at once and retry until a reply fails.
	srv := &unix.SockaddrUnix{Name: addr.String()}
	if err := unix.Sendto(gone, []byte("x"), 0, srv); err != nil {
		t.Fatal(err)
	}
	unix.Close(gone)
	if got := exchange(t, familytest.RawClient(t, addr), []byte("still here"), make([]byte, 100)); string(got) != "still here" {
		t.Fatalf("after a failed reply: %q", got)
	}
	st := stop()
	// The reply to "x" either went out before the close or failed.
	var failed int
	for _, ev := range events() {
		if ev.Kind == echo.EventSendError {
			failed++
			if ev.From == nil || ev.Err == nil {
				t.Errorf("send error event without address or error: %+v", ev)
			}
		}
	}
	if uint64(failed) != st.SendErrors {
		t.Errorf("%d send error events, %d counted", failed, st.SendErrors)
	}
	t.Logf("reply to a closed peer: %d send errors (0 when it went out before the close)", st.SendErrors)
}

// TestBatchStopsWithContext checks that cancelling stops a batch server
// that is waiting in the poller.
func TestBatchStopsWithContext(t *testing.T) {
	c, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	st, err := echo.Serve(ctx, c, echo.ServerConfig{})
	if err != nil || st.IO != echo.IOBatch {
		t.Fatalf("Serve: %v, path %q", err, st.IO)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Serve took %v to stop", d)
	}
}

// TestUsesBatch: per-datagram events or Plain choose the plain loop; raw
// families keep it too.
func TestUsesBatch(t *testing.T) {
	c, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ev := func(echo.Event) {}
	for _, tc := range []struct {
		cfg  echo.ServerConfig
		want bool
	}{
		{echo.ServerConfig{}, true},
		{echo.ServerConfig{OnEvent: ev, Quiet: true}, true},
		{echo.ServerConfig{OnEvent: ev}, false},
		{echo.ServerConfig{Plain: true}, false},
	} {
		if got := echo.UsesBatch(c, tc.cfg); got != tc.want {
			t.Errorf("UsesBatch(quiet %v, events %v, plain %v) = %v, want %v", tc.cfg.Quiet, tc.cfg.OnEvent != nil, tc.cfg.Plain, got, tc.want)
		}
	}
}

// TestBatchDrops floods a server whose receive queue holds a few
// datagrams: what the kernel drops for the full queue shows in Stats.Drops,
// and every datagram sent is either served or dropped.
func TestBatchDrops(t *testing.T) {
	c, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := families.SetBuffers(c, 4096, 0); err != nil {
		t.Fatal(err)
	}
	srv := echotest.Serve(t, c, echo.ServerConfig{Reply: echo.ReplyEcho})
	const sent = 20000
	fd := familytest.RawClient(t, c.LocalAddr())
	msg := make([]byte, 1000)
	// An answer shows Serve is running, its drop counter's start read.
	exchange(t, fd, msg, make([]byte, 2000))
	for i := 0; i < sent; i++ {
		if err := send(fd, msg); err != nil {
			t.Fatal(err)
		}
	}
	// The server reads its queue in order: once a marker comes back,
	// every datagram before it was served or dropped.
	markers := awaitMarker(t, fd, msg)
	st := srv.Stop()
	if want := uint64(sent + 1 + markers); st.Drops == 0 || st.Datagrams+st.Drops != want {
		t.Errorf("%d datagrams served and %d dropped, want drops counted and the two adding up to %d", st.Datagrams, st.Drops, want)
	}
	t.Logf("rcvbuf 4096 (8192 effective), %d sent: %d served, %d dropped by the kernel", sent, st.Datagrams, st.Drops)
}

// awaitMarker sends a marker datagram, reading the echoes of a flood
// (replies as long as flood) until the marker's own comes back; a marker the
// full queue dropped is sent again after the client's read timeout. It
// returns how many markers it sent.
func awaitMarker(t *testing.T, fd int, flood []byte) int {
	t.Helper()
	marker := []byte("marker")
	buf := make([]byte, 2*len(flood))
	for sent := 1; sent <= 10; sent++ {
		if err := send(fd, marker); err != nil {
			t.Fatal(err)
		}
		for {
			n, err := read(fd, buf)
			if err != nil {
				break // the read timed out: send the marker again
			}
			if bytes.Equal(buf[:n], marker) {
				return sent
			}
		}
	}
	t.Fatal("no marker came back in 10 tries")
	return 0
}

// BenchmarkServe measures the echo rate of both paths on every family, with
// a client keeping 8 datagrams of 64 bytes in flight. ns/op is per echo;
// allocs/op covers server and client (the client allocates nothing).
func BenchmarkServe(b *testing.B) {
	for _, f := range fastFamilies {
		for _, plain := range []bool{false, true} {
			path := "batch"
			if plain {
				path = "plain"
			}
			b.Run(fmt.Sprintf("%s/%s", f.name, path), func(b *testing.B) {
				c, err := f.def.Open(families.Options{Addr: f.addr(b)})
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() {
					defer close(done)
					echo.Serve(ctx, c, echo.ServerConfig{Reply: echo.ReplyEcho, Quiet: true, Plain: plain})
				}()
				defer func() { cancel(); <-done }()
				fd := familytest.RawClient(b, c.LocalAddr())
				const window = 8 // within unix's max_dgram_qlen (10 by default)
				msg, buf := make([]byte, 64), make([]byte, 128)
				exchange(b, fd, msg, buf) // the server is up, its buffers allocated
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i += window {
					w := min(window, b.N-i)
					for j := 0; j < w; j++ {
						if err := send(fd, msg); err != nil {
							b.Fatal(err)
						}
					}
					for j := 0; j < w; j++ {
						if _, err := read(fd, buf); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "echoes/s")
			})
		}
	}
}

// TestBatchStuckUnixPeer: a unix peer that never reads fills its receive
// queue (net.unix.max_dgram_qlen datagrams); the next reply to it waits at
// most the batch's send budget, is dropped and counted, and other peers are
// served.
func TestBatchStuckUnixPeer(t *testing.T) {
	qlen := 10
	if b, err := os.ReadFile("/proc/sys/net/unix/max_dgram_qlen"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			qlen = n
		}
	}
	if qlen > 1000 {
		t.Skipf("net.unix.max_dgram_qlen is %d: too many datagrams to fill", qlen)
	}
	path := filepath.Join(t.TempDir(), "s.sock")
	addr, events, stop := startServer(t, families.Unix(), path, echo.ServerConfig{Quiet: true, Reply: echo.ReplyEcho})
	// Not connected to the server: the queue limit does not apply to
	// datagrams from a socket's own connected peer.
	stuck, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(stuck)
	if err := unix.Bind(stuck, &unix.SockaddrUnix{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < qlen+2; i++ {
		if err := unix.Sendto(stuck, []byte("never read"), 0, &unix.SockaddrUnix{Name: path}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	other := familytest.RawClient(t, addr)
	tv := unix.NsecToTimeval((10 * time.Second).Nanoseconds())
	unix.SetsockoptTimeval(other, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	buf := make([]byte, 100)
	if got := exchange(t, other, []byte("other"), buf); string(got) != "other" {
		t.Fatalf("other peer got %q", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("other peer waited %v, want about the send budget (50ms)", d)
	}
	// Now marked stuck, the peer costs the others no more waiting.
	for i := 0; i < 3; i++ {
		if err := unix.Sendto(stuck, []byte("still not read"), 0, &unix.SockaddrUnix{Name: path}); err != nil {
			t.Fatal(err)
		}
	}
	start = time.Now()
	if got := exchange(t, other, []byte("again"), buf); string(got) != "again" {
		t.Fatalf("other peer got %q", got)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("other peer waited %v behind a peer already marked stuck", d)
	}
	st := stop()
	if st.SendErrors != 4 {
		t.Errorf("%d send errors, want 4: the reply that found the queue full and the 3 after it", st.SendErrors)
	}
	for _, ev := range events() {
		if ev.Kind == echo.EventSendError {
			t.Logf("%v: %v", ev.From, ev.Err)
		}
	}
}

// TestWorkersReusePort serves one address with four SO_REUSEPORT sockets
// (families.OpenReusePort), one Serve each, as --workers does: every client
// is answered, and the merged Stats count every datagram and peer.
func TestWorkersReusePort(t *testing.T) {
	for _, f := range fastFamilies[:2] {
		t.Run(f.name, func(t *testing.T) {
			conns, err := families.OpenReusePort(f.def, families.Options{Addr: f.addr(t)}, 4)
			if err != nil {
				t.Fatal(err)
			}
			port := conns[0].LocalAddr().(*net.UDPAddr).Port
			for _, c := range conns {
				defer c.Close()
				if p := c.LocalAddr().(*net.UDPAddr).Port; p != port || c.Spec() != f.def.Spec {
					t.Fatalf("worker socket %v %v, want port %d and %v", c.LocalAddr(), c.Spec(), port, f.def.Spec)
				}
			}
			var servers []*echotest.Server
			for _, c := range conns {
				servers = append(servers, echotest.Serve(t, c, echo.ServerConfig{Reply: echo.ReplyEcho}))
			}
			const clients = 16
			buf := make([]byte, 100)
			for i := 0; i < clients; i++ {
				fd := familytest.RawClient(t, conns[0].LocalAddr())
				msg := []byte(fmt.Sprintf("client %d", i))
				for j := 0; j < 2; j++ {
					if got := exchange(t, fd, msg, buf); string(got) != string(msg) {
						t.Fatalf("client %d got %q", i, got)
					}
				}
			}
			var total echo.Stats
			busy := 0
			for _, srv := range servers {
				st := srv.Stop()
				if st.Datagrams > 0 {
					busy++
				}
				total.Merge(st)
			}
			if total.Datagrams != 2*clients || total.Peers != clients {
				t.Errorf("merged stats %+v, want %d datagrams from %d peers", total, 2*clients, clients)
			}
			t.Logf("%d clients spread over %d of %d workers", clients, busy, len(conns))
			if busy < 2 {
				t.Errorf("only %d worker served: SO_REUSEPORT spread nothing", busy)
			}
		})
	}
	if _, err := families.OpenReusePort(families.Unix(), families.Options{}, 2); err == nil {
		t.Error("OpenReusePort on unix sockets did not fail")
	}
}

// TestBatchPolicyPerSender: with senders interleaved in the receive
// queue, the batch path answers each one as the policy says: a denied
// sender's datagrams are all dropped, the allowed ones' all answered, in
// order, whichever sender came just before.
func TestBatchPolicyPerSender(t *testing.T) {
	cfg := echo.ServerConfig{Reply: echo.ReplyEcho, Quiet: true,
		Policy: echo.Policy{Deny: []netip.Prefix{netip.MustParsePrefix("127.0.0.3/32")}}}
	addr, _, stop := startServer(t, families.UDP4(), "127.0.0.1:0", cfg)
	a, a2, d := boundClient(t, "127.0.0.1", addr), boundClient(t, "127.0.0.1", addr), boundClient(t, "127.0.0.3", addr)
	order := []int{a, a, d, d, a, d, a2, a2, a, d, a2, d, d, a}
	sent := map[int][]string{}
	for i, fd := range order {
		msg := fmt.Sprintf("datagram %d", i)
		if err := send(fd, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		sent[fd] = append(sent[fd], msg)
	}
	buf := make([]byte, 100)
	for _, fd := range []int{a, a2} {
		for _, want := range sent[fd] {
			n, err := read(fd, buf)
			if err != nil || string(buf[:n]) != want {
				t.Fatalf("allowed sender: reply %q, %v; want %q", buf[:n], err, want)
			}
		}
	}
	st := stop()
	// Replies go out in the order read: any to the denied sender would
	// be queued before the allowed senders' last.
	if n, _, err := unix.Recvfrom(d, buf, unix.MSG_DONTWAIT); err != unix.EAGAIN {
		t.Errorf("the denied sender got a reply: %q, %v", buf[:max(n, 0)], err)
	}
	want := uint64(len(sent[d]))
	if st.Dropped.Denied != want || st.Dropped.Total() != want || st.Datagrams != uint64(len(order)) {
		t.Errorf("stats %+v: want %d datagrams, %d denied and no other drop", st, len(order), want)
	}
	if st.Peers != 3 {
		t.Errorf("%d peers, want 3: each sender counted once, the denied one too", st.Peers)
	}
}

// boundClient is a UDP socket bound to ip, connected to srv, whose reads
// give up after a second.
func boundClient(t *testing.T, ip string, srv net.Addr) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	local := &unix.SockaddrInet4{Addr: netip.MustParseAddr(ip).As4()}
	ua := srv.(*net.UDPAddr)
	remote := &unix.SockaddrInet4{Port: ua.Port, Addr: ua.AddrPort().Addr().Unmap().As4()}
	tv := unix.Timeval{Sec: 1}
	if err := errors.Join(unix.Bind(fd, local), unix.Connect(fd, remote), unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)); err != nil {
		t.Fatalf("client on %s: %v", ip, err)
	}
	return fd
}
