package echo

import (
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/socklab/socklab/families"
)

// StampReport splits the round trips of a bench by the kernel's
// timestamps (BenchConfig.Timestamps), in microseconds: from the program's
// send to the packet leaving for the device (SenderStack), from there to
// the reply entering this host's stack (WireAndPeer: both ways on the
// wire or loopback, and the peer's stack and program), and from there to
// the program's read (ReceiverStack).
type StampReport struct {
	// Matched counts the replies whose three parts were all known;
	// Missing those where a timestamp did not come.
	Matched       uint64  `json:"matched"`
	Missing       uint64  `json:"missing"`
	SenderStack   Latency `json:"sender_stack_us"`
	WireAndPeer   Latency `json:"wire_and_peer_us"`
	ReceiverStack Latency `json:"receiver_stack_us"`
	// Hardware says whether the card stamped packets, or why not.
	Hardware string `json:"hardware"`
	// Wire is the round trip the peer's kernel answers by itself (see
	// WireProbePort): the wire both ways and the peer's stack up to UDP;
	// PeerP50 is the median of WireAndPeer less the median of Wire: the
	// peer's socket, program and sending stack. Nil and 0, with WireNote
	// saying why, when no probe was answered.
	Wire         *Latency `json:"wire_us,omitempty"`
	PeerP50      float64  `json:"peer_p50_us"`
	WireProbes   uint64   `json:"wire_probes"`
	WireAnswered uint64   `json:"wire_probes_answered"`
	WireNote     string   `json:"wire_note,omitempty"`
}

// stampSlots is the ring of send times, by sequence number.
const stampSlots = 1 << 16

// stampIO is the plain path with SO_TIMESTAMPING: one sendto and one
// recvmsg per datagram, the send timestamps read back from the error queue
// after each send, the receive timestamp from each reply.
type stampIO struct {
	c                  families.MsgConn
	peer               net.Addr
	size               int
	buf, oob, eb, eoob []byte
	n                  int
	trunc              bool
	rx, read           int64 // the last reply's kernel receive time and read time, Unix ns
	hwSeen             bool

	ring              []stampSlot
	matched, miss     uint64
	hSnd, hNet, hRecv *hdrhistogram.Histogram
	hardware          string
	wire              *wireProbe
	probeRefused      bool // the last ICMP error queued answered a wire probe
}

// stampSlot is what is known of one datagram's send.
type stampSlot struct {
	seq        uint64
	user, kern int64 // before sendto; the kernel's send timestamp (0: none yet)
}

// newStampIO turns on timestamps on c, or returns nil when it cannot.
func newStampIO(c families.Conn, peer net.Addr, size, rxsize int) *stampIO {
	mc, ok := c.(families.MsgConn)
	if !ok || families.EnableTimestamps(c) != nil {
		return nil
	}
	// The wire probes' answers are ICMP errors, queued only with
	// IP_RECVERR on an unconnected socket.
	families.ReportICMPErrors(c)
	return &stampIO{c: mc, peer: peer, size: size, buf: make([]byte, rxsize), oob: make([]byte, families.RecvInfoSpace),
		eb: make([]byte, rxsize+256), eoob: make([]byte, families.RecvInfoSpace), ring: make([]stampSlot, stampSlots),
		hSnd: newLatencyHist(), hNet: newLatencyHist(), hRecv: newLatencyHist(), hardware: families.HardwareStamps(c.Spec().Family, peer), wire: newWireProbe(peer)}
}

func (s *stampIO) name() string { return "sendto/recvmsg with SO_TIMESTAMPING" }

// send writes each datagram, noting the time just before, and reads back
// its send timestamp.
func (s *stampIO) send(bufs [][]byte) (int, error) {
	s.wire.maybeSend(s.c, time.Now().UnixNano())
	for i, b := range bufs {
		seq, _ := getHex(b[len(BenchMagic):])
		slot := &s.ring[seq%stampSlots]
		*slot = stampSlot{seq: seq, user: time.Now().UnixNano()}
		if err := s.write(b); err != nil {
			if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOBUFS) {
				return i, nil
			}
			return i, err
		}
		s.drain()
	}
	return len(bufs), nil
}

// write sends one datagram. A wire probe's "port unreachable" is also
// the socket's pending error, which the next send returns: that send is
// made again.
func (s *stampIO) write(b []byte) error {
	_, err := s.c.WriteTo(b, s.peer)
	if err != nil && errors.Is(err, syscall.ECONNREFUSED) {
		s.drain()
		if s.probeRefused {
			_, err = s.c.WriteTo(b, s.peer)
		}
	}
	return err
}

// drain reads the send timestamps queued so far.
func (s *stampIO) drain() {
	for {
		data, rep, sw, hw, ok := families.ReadErrQueueStamped(s.c, s.eb, s.eoob)
		if !ok {
			return
		}
		probe := s.wire.take(data, rep, sw)
		if rep.Origin != stampOrigin {
			s.probeRefused = probe // the last ICMP error: the probe's, or a datagram's
		}
		if probe || rep.Origin != stampOrigin {
			continue
		}
		seq, _, found := ParseBenchReply(data, s.size)
		slot := &s.ring[seq%stampSlots]
		if found && slot.seq == seq && !sw.IsZero() {
			slot.kern = sw.UnixNano()
		}
		s.hwSeen = s.hwSeen || !hw.IsZero()
	}
}

// recv reads one reply with its receive timestamp.
func (s *stampIO) recv() (int, error) {
	m, err := s.c.RecvMsg(s.buf, s.oob, 0)
	s.read = time.Now().UnixNano()
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) {
			return 0, nil
		}
		return 0, err
	}
	s.n, s.trunc = m.N, m.Size > m.N
	sw, hw := families.ParseTimestamps(s.oob[:m.OOBN])
	s.rx = 0
	if !sw.IsZero() {
		s.rx = sw.UnixNano()
	}
	s.hwSeen = s.hwSeen || !hw.IsZero()
	s.drain()
	return 1, nil
}

func (s *stampIO) reply(int) ([]byte, bool) { return s.buf[:s.n], s.trunc }

// record splits the round trip of seq, whose reply recv just read.
func (s *stampIO) record(seq uint64) {
	slot := s.ring[seq%stampSlots]
	if slot.seq != seq || slot.kern == 0 || s.rx == 0 || s.rx < slot.kern {
		s.miss++
		return
	}
	s.matched++
	s.hSnd.RecordValue(max(slot.kern-slot.user, 1))
	s.hNet.RecordValue(max(s.rx-slot.kern, 1))
	s.hRecv.RecordValue(max(s.read-s.rx, 1))
}

// measureFrom forgets the warm-up's timestamps.
func (s *stampIO) measureFrom() {
	s.matched, s.miss = 0, 0
	s.hSnd.Reset()
	s.hNet.Reset()
	s.hRecv.Reset()
	s.wire.reset()
}

// report is the split of the measured round trips.
func (s *stampIO) report() *StampReport {
	r := &StampReport{Matched: s.matched, Missing: s.miss, Hardware: s.hardware}
	if s.hwSeen {
		r.Hardware = "used: the card stamped packets"
	}
	if s.matched > 0 {
		r.SenderStack, r.WireAndPeer, r.ReceiverStack = latency(s.hSnd), latency(s.hNet), latency(s.hRecv)
	}
	s.wire.fill(r)
	return r
}
