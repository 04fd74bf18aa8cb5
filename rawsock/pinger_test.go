package rawsock

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
	"golang.org/x/net/icmp"
)

// Tests of the pinger's matching, on a fake socket that plays the network:
// they run as any user.

// fakeNet is a PingConn whose network is a script: every echo request
// written is handed to answer, and what answer returns is read back, in
// order.
type fakeNet struct {
	v      int
	mode   Mode
	id     int
	answer func(req sent) []fakeRead

	in       chan fakeRead
	stop     chan struct{} // closed by a read deadline in the past
	stopOnce sync.Once
	mu       sync.Mutex
	sent     []sent
}

// sent is one echo request the pinger wrote.
type sent struct {
	echo *icmp.Echo
	raw  []byte
	to   net.IP
	at   time.Time
}

// fakeRead is what one ReadICMP returns.
type fakeRead struct {
	m   *ICMPMessage
	err error
}

func newFakeNet(v int, mode Mode, id int, answer func(req sent) []fakeRead) *fakeNet {
	return &fakeNet{v: v, mode: mode, id: id, answer: answer, in: make(chan fakeRead, 1000), stop: make(chan struct{})}
}

func (f *fakeNet) ReadICMP(b []byte) (*ICMPMessage, error) {
	select {
	case r := <-f.in:
		return r.m, r.err
	case <-f.stop:
		return nil, &families.Error{Op: "read", Spec: f.Spec(), Err: os.ErrDeadlineExceeded}
	}
}

func (f *fakeNet) WriteTo(b []byte, addr net.Addr) (int, error) {
	m, err := DecodeICMP(f.v, b)
	if err != nil || m.Echo == nil {
		return 0, errors.New("fakeNet: not an echo")
	}
	req := sent{echo: m.Echo, raw: append([]byte(nil), b...), to: ipOf(addr), at: time.Now()}
	f.mu.Lock()
	f.sent = append(f.sent, req)
	f.mu.Unlock()
	for _, r := range f.answer(req) {
		f.in <- r
	}
	return len(b), nil
}

func (f *fakeNet) SetReadDeadline(t time.Time) error {
	if !t.IsZero() && t.Before(time.Now()) {
		f.stopOnce.Do(func() { close(f.stop) })
	}
	return nil
}

func (f *fakeNet) Spec() families.Spec { return ICMPSpec(f.v, f.mode) }
func (f *fakeNet) Mode() Mode          { return f.mode }
func (f *fakeNet) ID() int             { return f.id }

func (f *fakeNet) requests() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.sent...)
}

var (
	lo4    = net.IPv4(127, 0, 0, 1).To4()
	router = net.IPv4(10, 0, 0, 1).To4()
	other  = net.IPv4(10, 9, 9, 9).To4()
)

// echo is an echo message as a socket reads it, from from with ttl,
// arriving after delay.
func echo(t *testing.T, v int, reply bool, id, seq int, data []byte, from net.IP, delay time.Duration) fakeRead {
	t.Helper()
	req, rep := echoTypes(v)
	typ := req
	if reply {
		typ = rep
	}
	b, err := marshalEcho(typ, id, seq, data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeICMP(v, b)
	if err != nil {
		t.Fatal(err)
	}
	m.From, m.TTL, m.Time = from, 64, time.Now().Add(delay)
	return fakeRead{m: m}
}

// replyTo is the reply to req, as the host it went to sends it.
func replyTo(t *testing.T, v int, req sent) fakeRead {
	return echo(t, v, true, req.echo.ID, req.echo.Seq, req.echo.Data, req.to, 0)
}

// timeExceeded is the error a router sends a raw socket for req: it quotes
// req's IPv4 header (to dst) and echo request.
func timeExceeded(t *testing.T, req sent, dst net.IP) fakeRead {
	t.Helper()
	p := IPv4Packet{Dst: addrOf(dst), TTL: 1, Proto: ProtoICMP, EchoID: req.echo.ID, EchoSeq: req.echo.Seq, Payload: req.echo.Data}
	pkt, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeICMP(4, timeExceededMsg(t, 4, pkt))
	if err != nil {
		t.Fatal(err)
	}
	m.From, m.Time = router, time.Now()
	return fakeRead{m: m}
}

// queuedTimeExceeded is the same error as a datagram socket's error queue
// hands it over: the echo as sent, to dst.
func queuedTimeExceeded(req sent, dst net.IP) fakeRead {
	m := queuedError(4, 11, 0, 0, req.raw, dst)
	m.From, m.Time = router, time.Now()
	return fakeRead{m: m}
}

func ping(t *testing.T, f *fakeNet, o PingOptions) (*PingStats, []PingEvent, error) {
	t.Helper()
	var mu sync.Mutex
	var events []PingEvent
	o.OnEvent = func(e PingEvent) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}
	if o.Interval == 0 {
		o.Interval = time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := PingOn(ctx, f, &net.IPAddr{IP: lo4}, o)
	if ctx.Err() != nil {
		t.Fatal("PingOn did not finish within 20s")
	}
	mu.Lock()
	defer mu.Unlock()
	return st, events, err
}

func kinds(events []PingEvent, kind EventKind) []PingEvent {
	var r []PingEvent
	for _, e := range events {
		if e.Event == kind {
			r = append(r, e)
		}
	}
	return r
}

func checkStats(t *testing.T, st *PingStats, transmitted, received, dups, errs, late int) {
	t.Helper()
	if st.Transmitted != transmitted || st.Received != received || st.Duplicates != dups || st.Errors != errs || st.Late != late {
		t.Errorf("stats %+v: want transmitted %d received %d duplicates %d errors %d late %d", st, transmitted, received, dups, errs, late)
	}
}

func TestPingMatchesReplies(t *testing.T) {
	for _, tc := range []struct {
		v    int
		mode Mode
		id   int
	}{{4, ModeDgram, 4242}, {4, ModeRaw, 0}, {6, ModeDgram, 77}, {6, ModeRaw, 0}} {
		t.Run(ICMPSpec(tc.v, tc.mode).String(), func(t *testing.T) {
			f := newFakeNet(tc.v, tc.mode, tc.id, func(req sent) []fakeRead { return []fakeRead{replyTo(t, tc.v, req)} })
			st, events, err := ping(t, f, PingOptions{IPVersion: tc.v, Count: 3, Size: 56})
			if err != nil {
				t.Fatal(err)
			}
			checkStats(t, st, 3, 3, 0, 0, 0)
			if st.Loss != 0 || st.MinMS < 0 || st.MaxMS < st.MinMS || st.AvgMS < st.MinMS || st.AvgMS > st.MaxMS {
				t.Errorf("loss and round trips: %+v", st)
			}
			reqs := f.requests()
			id := reqs[0].echo.ID
			if tc.mode == ModeDgram && id != tc.id || tc.mode == ModeRaw && id == 0 {
				t.Errorf("echo id %d on a %v socket with id %d: a datagram socket's is its port, a raw socket's a random non-zero one", id, tc.mode, tc.id)
			}
			for i, r := range reqs {
				if r.echo.ID != id || r.echo.Seq != i+1 || len(r.echo.Data) != 56 || !r.to.Equal(lo4) {
					t.Errorf("request %d: id %d seq %d %d bytes to %v", i, r.echo.ID, r.echo.Seq, len(r.echo.Data), r.to)
				}
			}
			replies := kinds(events, EventReply)
			if len(replies) != 3 {
				t.Fatalf("want 3 reply events: %+v", events)
			}
			for i, e := range replies {
				if e.Seq != i+1 || e.ID != id || e.From != "127.0.0.1" || e.TTL != 64 || e.Bytes != 64 || e.Dup || e.Late {
					t.Errorf("reply event %+v", e)
				}
			}
			if start := kinds(events, EventStart); len(start) != 1 || start[0].ID != id || start[0].Mode != tc.mode.String() {
				t.Errorf("start event %+v", start)
			}
		})
	}
}

func TestPingDuplicatesAndLateReplies(t *testing.T) {
	f := newFakeNet(4, ModeRaw, 9, func(req sent) []fakeRead {
		r := replyTo(t, 4, req)
		if req.echo.Seq == 2 {
			r.m.Time = req.at.Add(time.Second) // the reply came a second after the request: late for -W 0.5
		}
		return []fakeRead{r, replyTo(t, 4, req)}
	})
	st, events, err := ping(t, f, PingOptions{Count: 3, Size: 56, Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	checkStats(t, st, 3, 3, 3, 0, 1)
	var dup, late []int
	for _, e := range kinds(events, EventReply) {
		if e.Dup {
			dup = append(dup, e.Seq)
		}
		if e.Late {
			late = append(late, e.Seq)
		}
	}
	if len(dup) != 3 || len(late) != 1 || late[0] != 2 {
		t.Errorf("duplicates %v (want one for each seq), late %v (want [2])", dup, late)
	}
	if st.MaxMS < 1000 {
		t.Errorf("the late reply's round trip is missing from the figures: %+v", st)
	}
}

// TestPingIgnoresWhatIsNotOurs sends the pinger everything a raw socket
// reads on a busy host: its own request, other pingers' requests and
// replies, replies with our ID but not our data, replies to sequences never
// sent, and errors about other echoes. Only the replies to seq 1 and 3 are
// ours; seq 2 is lost.
func TestPingIgnoresWhatIsNotOurs(t *testing.T) {
	const theirID = 999
	f := newFakeNet(4, ModeRaw, 7, nil)
	f.answer = func(req sent) []fakeRead {
		id, seq := req.echo.ID, req.echo.Seq
		notOurs := []fakeRead{
			echo(t, 4, false, id, seq, req.echo.Data, lo4, 0),                   // our own request, looped back
			echo(t, 4, false, theirID, seq, []byte("their data"), other, 0),     // another pinger's request
			echo(t, 4, true, theirID, seq, req.echo.Data, lo4, 0),               // another pinger's reply
			echo(t, 4, true, id, seq, []byte("same id, not our token"), lo4, 0), // same ID, another run
			echo(t, 4, true, id, seq+1000, req.echo.Data, lo4, 0),               // a sequence never sent
			timeExceeded(t, req, other),                                         // about an echo to elsewhere
			timeExceeded(t, sent{echo: &icmp.Echo{ID: theirID, Seq: seq, Data: req.echo.Data}}, lo4),
			{m: &ICMPMessage{IPVersion: 4, Err: errors.New("not ICMP"), From: lo4}},
		}
		if seq == 2 {
			return notOurs
		}
		return append(notOurs, replyTo(t, 4, req))
	}
	st, events, err := ping(t, f, PingOptions{Count: 3, Size: 56, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	checkStats(t, st, 3, 2, 0, 0, 0)
	for _, e := range kinds(events, EventReply) {
		if e.Seq == 2 {
			t.Errorf("counted a reply for seq 2 that was not ours: %+v", e)
		}
	}
	if errs := kinds(events, EventError); len(errs) != 0 {
		t.Errorf("errors about other echoes were counted: %+v", errs)
	}
}

// TestPingDgramMatchesByData: a datagram socket reads only replies to its
// own ID (the kernel rewrote it), so the pinger tells runs apart by data.
func TestPingDgramMatchesByData(t *testing.T) {
	f := newFakeNet(4, ModeDgram, 5000, nil)
	f.answer = func(req sent) []fakeRead {
		return []fakeRead{echo(t, 4, true, req.echo.ID, req.echo.Seq, []byte("an earlier run's data"), lo4, 0), replyTo(t, 4, req)}
	}
	st, _, err := ping(t, f, PingOptions{Count: 2, Size: 56})
	if err != nil {
		t.Fatal(err)
	}
	checkStats(t, st, 2, 2, 0, 0, 0)
}

// TestPingErrors: a router's time exceeded, read as a message on a raw
// socket or from the error queue of a datagram socket, counts the same.
func TestPingErrors(t *testing.T) {
	for _, tc := range []struct {
		mode  Mode
		error func(req sent) fakeRead
	}{
		{ModeRaw, func(req sent) fakeRead { return timeExceeded(t, req, req.to) }},
		{ModeDgram, func(req sent) fakeRead { return queuedTimeExceeded(req, req.to) }},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			f := newFakeNet(4, tc.mode, 1234, func(req sent) []fakeRead { return []fakeRead{tc.error(req)} })
			st, events, err := ping(t, f, PingOptions{Count: 2, Size: 56, Timeout: 2 * time.Second})
			if !errors.Is(err, ErrNoReply) {
				t.Errorf("ping with only errors: %v, want ErrNoReply", err)
			}
			checkStats(t, st, 2, 0, 0, 2, 0)
			errs := kinds(events, EventError)
			if len(errs) != 2 {
				t.Fatalf("want 2 error events: %+v", events)
			}
			for i, e := range errs {
				if e.Seq != i+1 || e.From != "10.0.0.1" || e.Type != 11 || e.Text != "Time to live exceeded" {
					t.Errorf("error event %+v", e)
				}
			}
			if !strings.Contains(st.Summary(), "2 packets transmitted, 0 received, +2 errors, 100% packet loss") {
				t.Errorf("summary:\n%s", st.Summary())
			}
		})
	}
}

// TestPingLocalError: a local error queued for a send (EMSGSIZE) counts
// as an error with its text, and the pinger keeps reading.
func TestPingLocalError(t *testing.T) {
	f := newFakeNet(4, ModeDgram, 1, nil)
	f.answer = func(req sent) []fakeRead {
		if req.echo.Seq == 1 {
			return []fakeRead{{err: sendError(f.Spec(), "127.0.0.1", &net.OpError{Op: "write", Err: os.NewSyscallError("sendto", syscall.EMSGSIZE)})}}
		}
		return []fakeRead{replyTo(t, 4, req)}
	}
	st, events, err := ping(t, f, PingOptions{Count: 2, Size: 56, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	checkStats(t, st, 2, 1, 0, 1, 0)
	if errs := kinds(events, EventError); len(errs) != 1 || !strings.Contains(errs[0].Text, "message too long") {
		t.Errorf("local error event: %+v", errs)
	}
}

// TestPingFlood: with -f the next request goes out as soon as the reply
// comes, not at the interval (an hour here).
func TestPingFlood(t *testing.T) {
	f := newFakeNet(4, ModeRaw, 3, func(req sent) []fakeRead { return []fakeRead{replyTo(t, 4, req)} })
	st, _, err := ping(t, f, PingOptions{Count: 5, Size: 8, Flood: true, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	checkStats(t, st, 5, 5, 0, 0, 0)
}

// TestPingCountWithDeadline: -c with -w stops after -c replies, however
// many requests that took.
func TestPingCountWithDeadline(t *testing.T) {
	f := newFakeNet(4, ModeRaw, 3, func(req sent) []fakeRead {
		if req.echo.Seq%2 == 1 {
			return nil // every other request is lost
		}
		return []fakeRead{replyTo(t, 4, req)}
	})
	st, _, err := ping(t, f, PingOptions{Count: 2, Size: 8, Deadline: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if st.Received != 2 || st.Transmitted < 4 || st.TimeMS >= 10000 {
		t.Errorf("-c 2 -w 10 with every other reply lost: %+v", st)
	}
}

// TestPingPrinter checks the printer against iputils ping's text.
func TestPingPrinter(t *testing.T) {
	var out, notes strings.Builder
	pr := &PingPrinter{W: &out, Notes: &notes, Host: "localhost", IPVersion: 4, Size: 56}
	for _, e := range []PingEvent{
		{Event: EventStart, Target: "127.0.0.1", Socket: "socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)", Mode: "dgram", ID: 4242},
		{Event: EventSent, Seq: 1},
		{Event: EventReply, Seq: 1, From: "127.0.0.1", Bytes: 64, TTL: 64, RTT: 0.0456},
		{Event: EventReply, Seq: 1, From: "127.0.0.1", Bytes: 64, TTL: 64, RTT: 12.345, Dup: true},
		{Event: EventReply, Seq: 2, From: "127.0.0.1", Bytes: 64, TTL: -1, RTT: 1234.5, Late: true},
		{Event: EventError, Seq: 3, From: "10.0.0.1", Text: "Time to live exceeded"},
		{Event: EventError, Text: "send socket(...): message too long"},
	} {
		pr.Event(e)
	}
	pr.Summary(&PingStats{Target: "127.0.0.1", Transmitted: 3, Received: 2, Duplicates: 1, Errors: 1, Loss: 100.0 / 3, TimeMS: 2003, MinMS: 0.0456, AvgMS: 1, MaxMS: 1234.5, MdevMS: 0.5})
	want := `PING localhost (127.0.0.1) 56(84) bytes of data.
64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.046 ms
64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=12.3 ms (DUP!)
64 bytes from 127.0.0.1: icmp_seq=2 time=1234 ms (late)
From 10.0.0.1 icmp_seq=3 Time to live exceeded
send socket(...): message too long

--- 127.0.0.1 ping statistics ---
3 packets transmitted, 2 received, +1 duplicates, +1 errors, 33.3333% packet loss, time 2003ms
rtt min/avg/max/mdev = 0.046/1.000/1234.500/0.500 ms
`
	if out.String() != want {
		t.Errorf("printer wrote:\n%s\nwant:\n%s", out.String(), want)
	}
	if n := notes.String(); n != "socklab: socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) (dgram mode), echo id 4242 (0x1092) on the wire\n" {
		t.Errorf("notes: %q", n)
	}
	out.Reset()
	flood := &PingPrinter{W: &out, Host: "::1", IPVersion: 6, Size: 8, Flood: true}
	for _, e := range []PingEvent{{Event: EventStart, Target: "::1"}, {Event: EventSent}, {Event: EventReply}, {Event: EventSent}, {Event: EventError}} {
		flood.Event(e)
	}
	flood.Flush() // the dots wait up to floodFlush: ping's bytes, fewer writes
	if got := out.String(); got != "PING ::1 (::1) 8 data bytes\n.\b \b.\bE" {
		t.Errorf("flood printer wrote %q", got)
	}
}

func TestQueuedErrorIsAnICMPMessage(t *testing.T) {
	b, _ := marshalEcho(icmpEchoRequest(4), 77, 5, []byte("token"))
	m := queuedError(4, 3, 4, 1400, b, lo4)
	if !m.IsError() || !m.Queued || m.TypeName != "destination unreachable" || m.Info != 1400 ||
		m.Quoted == nil || m.Quoted.ID != 77 || m.Quoted.Seq != 5 || !m.Quoted.Dst.Equal(lo4) || string(m.Quoted.Data) != "token" {
		t.Errorf("queued error %+v quoted %+v", m, m.Quoted)
	}
	if got := ErrorText(4, m.Type, m.Code, m.Info); got != "Frag needed and DF set (mtu = 1400)" {
		t.Errorf("text %q", got)
	}
}

func icmpEchoRequest(v int) icmp.Type {
	req, _ := echoTypes(v)
	return req
}

// TestPingLingersAnInterval: after the last request ping waits twice the
// longest round trip but at least one interval, as iputils does, so a
// last reply slower than the fast ones before it still counts.
func TestPingLingersAnInterval(t *testing.T) {
	f := newFakeNet(4, ModeRaw, 3, nil)
	f.answer = func(req sent) []fakeRead {
		if req.echo.Seq == 1 {
			return []fakeRead{replyTo(t, 4, req)}
		}
		time.AfterFunc(20*time.Millisecond, func() { f.in <- replyTo(t, 4, req) })
		return nil
	}
	st, _, err := ping(t, f, PingOptions{Count: 2, Size: 8, Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	checkStats(t, st, 2, 2, 0, 0, 0)
}
