package echo

import (
	"bytes"
	"net"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/socklab/socklab/families"
)

// The peer's share of a round trip. The kernel's timestamps tell the time
// from a datagram leaving this host's stack to its reply entering it:
// both directions on the wire and the time in the peer. To split them, a
// bench with timestamps also sends, a few times a second, a small datagram
// to a closed port of the peer (WireProbePort): the peer's kernel answers
// "port unreachable" itself, from its softirq, with no program involved.
// From the probe's send timestamp to the ICMP error's receive timestamp is
// the wire both ways and the peer's stack up to its UDP demultiplexing;
// the rest of the middle part is the peer's socket queue, its program and
// its sending stack.

// WireProbePort is where wire probes go: traceroute's first port, which
// is rarely open.
const WireProbePort = 33434

// wireEvery is how often a probe goes out. A peer that is not this host
// answers about one a second (net.ipv4.icmp_ratelimit), after a burst of
// six; loopback answers all.
const wireEvery = int64(200 * time.Millisecond)

// probeMagic starts a probe's payload, before its sequence in hex.
const probeMagic = "~sLw"

// wireProbe is the state of the probes of one bench.
type wireProbe struct {
	to        net.Addr
	buf       []byte
	seq       uint64
	next      int64 // when the next probe is due, Unix ns
	tx        int64 // the send timestamp of probe seq; 0: not yet
	sent, got uint64
	hist      *hdrhistogram.Histogram
}

func newWireProbe(peer net.Addr) *wireProbe {
	ua, ok := peer.(*net.UDPAddr)
	if fa, isFlow := peer.(*families.FlowAddr); isFlow {
		ua, ok = fa.UDPAddr, true
	}
	if !ok {
		return nil
	}
	return &wireProbe{to: &net.UDPAddr{IP: ua.IP, Port: WireProbePort, Zone: ua.Zone},
		buf: make([]byte, len(probeMagic)+16), hist: newLatencyHist()}
}

// maybeSend sends the next probe when one is due.
func (w *wireProbe) maybeSend(c families.Conn, now int64) {
	if w == nil || now < w.next {
		return
	}
	w.next = now + wireEvery
	w.seq++
	copy(w.buf, probeMagic)
	putHex(w.buf[len(probeMagic):], w.seq)
	w.tx = 0
	if _, err := c.WriteTo(w.buf, w.to); err == nil {
		w.sent++
	}
}

// take looks at one error-queue report: the probe's send timestamp, or
// the peer kernel's answer to it. It reports whether it was the probe's.
func (w *wireProbe) take(data []byte, rep families.ErrReport, sw time.Time) bool {
	i := bytes.Index(data, []byte(probeMagic))
	if w == nil || i < 0 || len(data)-i < len(w.buf) || sw.IsZero() {
		return false
	}
	seq, ok := getHex(data[i+len(probeMagic):])
	if !ok || seq != w.seq {
		return true
	}
	switch {
	case rep.Origin == stampOrigin:
		w.tx = sw.UnixNano()
	case w.tx != 0 && sw.UnixNano() > w.tx:
		w.hist.RecordValue(sw.UnixNano() - w.tx)
		w.got++
		w.tx = 0
	}
	return true
}

// stampOrigin is SO_EE_ORIGIN_TIMESTAMPING: the report is a send
// timestamp.
const stampOrigin = 4

// reset forgets the warm-up's probes.
func (w *wireProbe) reset() {
	if w != nil {
		w.hist.Reset()
		w.sent, w.got = 0, 0
	}
}

// fill adds the wire and the peer to a report whose middle part is known.
func (w *wireProbe) fill(r *StampReport) {
	if w == nil {
		r.WireNote = "no probe: the peer is not an IP address"
		return
	}
	r.WireProbes, r.WireAnswered = w.sent, w.got
	if w.got == 0 {
		r.WireNote = "unknown: the peer's kernel answered no probe to port " + strconv.Itoa(WireProbePort) + " (open there, or ICMP filtered)"
		return
	}
	wire := latency(w.hist)
	r.Wire = &wire
	r.PeerP50 = max(r.WireAndPeer.P50-wire.P50, 0)
}
