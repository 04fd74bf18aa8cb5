package rawsock

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socklab/socklab/families"
)

// pinger is one run of PingOn: a loop that sends the echoes on time, and
// one that reads and matches what comes back. With -f the reading loop
// sends the next echo itself as soon as a reply comes, so a flood costs
// no hand-over between goroutines; the sending loop then only sends when
// no reply came for an interval, and ends the run.
type pinger struct {
	o     PingOptions
	c     PingConn
	dst   *net.IPAddr
	to    net.Addr // dst as the requests are sent to it: with the flow label, if any
	id    int
	token []byte        // this run's mark, at the start of every echo's data
	req   []byte        // the echo request: header, token, ping's pattern
	ack   chan struct{} // wakes sendLoop: a send failed, all are sent, -c replies came, or a reply while lingering
	start time.Time
	fast  *floodReader // reads a flood on a raw socket, and sends it; nil: ReadICMP

	mu        sync.Mutex // guards what follows, serializes OnEvent, and holds a send and its event together
	slots     []slot     // by sequence number
	next      int        // the next echo's number, from 1
	lastSend  time.Time
	sendErr   error // why sending stopped early
	lingering bool  // the send loop ended: no more echoes, and it wants a signal for every answer
	stats     PingStats
	rtt       rttStats
	stopped   atomic.Bool // read by floodLoop without p.mu
	from      net.IP      // the last sender, and its text
	fromText  string
}

// slot is what the pinger knows of one sequence number: when its latest
// echo went out (since start) and whether it was answered. A reply to a
// number that wrapped round matches the latest echo, as with ping.
type slot struct {
	at        time.Duration
	sent, got bool
}

func newPinger(c PingConn, dst *net.IPAddr, o PingOptions) *pinger {
	p := &pinger{o: o, c: c, dst: dst, to: flowDst(dst, o.IP.FlowLabel), id: c.ID(), ack: make(chan struct{}, 1), slots: make([]slot, 1<<16), next: 1}
	if c.Mode() == ModeRaw && p.id == 0 {
		p.id = RandomID() // a raw socket sends the ID we write
	}
	p.token = make([]byte, 8)
	rand.Read(p.token)
	data := Pattern(o.Size)
	copy(data, p.token)
	req, _ := echoTypes(o.IPVersion)
	p.req = append([]byte{byte(typeNumber(req)), 0, 0, 0, byte(p.id >> 8), byte(p.id), 0, 0}, data...)
	hdr := headerOf(o.IP)
	p.stats = PingStats{Event: EventSummary, Target: dst.String(), Socket: c.Spec().String(), Mode: c.Mode().String(), ID: p.id, PingHeader: hdr}
	if o.Flood {
		p.fast = newFloodReader(c, dst, o.IP.FlowLabel)
	}
	p.start = time.Now()
	p.event(PingEvent{Event: EventStart, Socket: p.stats.Socket, Mode: p.stats.Mode, ID: p.id, Target: p.stats.Target, Size: o.Size, PingHeader: hdr})
	return p
}

// flowDst is dst as a request to it is sent: a families.FlowAddr that
// carries the flow label, if there is one.
func flowDst(dst *net.IPAddr, label uint32) net.Addr {
	if label == 0 {
		return dst
	}
	return &families.FlowAddr{UDPAddr: &net.UDPAddr{IP: dst.IP, Zone: dst.Zone}, Label: label}
}

// request is the echo request of seq, in p.req: only the sequence number
// and the checksum change. The kernel writes the checksum of ICMPv6 (from
// the pseudo-header) and of every datagram ICMP socket's messages.
func (p *pinger) request(seq int) []byte {
	b := p.req
	binary.BigEndian.PutUint16(b[6:], uint16(seq))
	if p.o.IPVersion == 4 {
		b[2], b[3] = 0, 0
		binary.BigEndian.PutUint16(b[2:], Checksum(b, 0))
	}
	return b
}

// emit hands e to OnEvent, stamped with at; p.mu is held.
func (p *pinger) emit(e PingEvent, at time.Time) {
	if p.o.OnEvent == nil {
		return
	}
	e.Time = at
	p.o.OnEvent(e)
}

func (p *pinger) event(e PingEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emit(e, time.Now())
}

// stopReading ends readLoop: what it reads from now on is not counted.
func (p *pinger) stopReading() {
	p.stopped.Store(true)
	p.c.SetReadDeadline(time.Unix(1, 0))
}

func (p *pinger) readLoop() {
	if p.fast != nil {
		p.floodLoop()
		return
	}
	b := make([]byte, 65536)
	for {
		m, err := p.c.ReadICMP(b)
		switch {
		case err == nil:
			p.handle(m)
		case p.isStopped() || errors.Is(err, net.ErrClosed):
			return
		case isSendError(err):
			p.localError(err) // a local error for an echo we sent (EMSGSIZE ...)
		default:
			return
		}
	}
}

// floodLoop is readLoop with a floodReader: it also sends the echoes,
// each as the reply to the last comes (handle), or when none came for an
// interval.
func (p *pinger) floodLoop() {
	for !p.isStopped() {
		m, err := p.fast.read()
		switch {
		case err == nil:
			p.handle(m)
		case err != errWait:
			return
		default:
			if wait, sent := p.floodTick(); !sent {
				p.fast.wait(wait)
			}
		}
	}
}

func (p *pinger) isStopped() bool { return p.stopped.Load() }

func isSendError(err error) bool {
	var fe *families.Error
	return errors.As(err, &fe) && fe.Op == "send"
}

// handle counts m if it is the reply to one of our echoes, or an error
// about one.
func (p *pinger) handle(m *ICMPMessage) {
	switch {
	case m.Err != nil:
	case m.Echo != nil:
		if p.isOurReply(m) {
			p.reportReply(m)
		}
	case m.IsError() && p.isOurEcho(m.Quoted):
		p.reportError(m)
	}
}

// isOurReply reports whether m, an echo, is a reply to this run: not our
// own request, or another pinger's, that a raw socket reads too, nor
// another pinger's reply. A datagram socket reads only replies to its own
// ID, which the kernel rewrote: the data tells.
func (p *pinger) isOurReply(m *ICMPMessage) bool {
	if !m.isEchoReply() || p.c.Mode() == ModeRaw && m.Echo.ID != p.id {
		return false
	}
	return bytes.HasPrefix(m.Echo.Data, p.token[:min(len(p.token), p.o.Size)])
}

// isOurEcho reports whether q, the echo an error quotes, is one we sent to
// dst; a quote may cut the data short.
func (p *pinger) isOurEcho(q *QuotedEcho) bool {
	return q != nil && q.ID == p.id && p.dst.IP.Equal(q.Dst) && bytes.HasPrefix(q.Data, p.token[:min(len(p.token), len(q.Data), p.o.Size)])
}

func (p *pinger) reportReply(m *ICMPMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := &p.slots[uint16(m.Echo.Seq)]
	if !s.sent || p.isStopped() {
		return // never sent by this run
	}
	rtt := m.Time.Sub(p.start) - s.at
	e := PingEvent{Event: EventReply, Seq: m.Echo.Seq, ID: p.id, From: p.fromString(m.From), Bytes: m.Size, TTL: m.TTL, RTT: float64(rtt) / float64(time.Millisecond)}
	first := !s.got
	if first {
		s.got = true
		p.stats.Received++
		e.Late = p.o.Timeout > 0 && rtt > p.o.Timeout
	} else {
		e.Dup = true
		p.stats.Duplicates++
	}
	if e.Late {
		p.stats.Late++
	}
	p.rtt.add(e.RTT)
	p.emit(e, m.Time)
	if first && p.o.Flood {
		p.sendOnReply()
	}
	p.answered()
}

// fromString is ipString(ip), remembered for the last sender: a flood's
// replies all come from one; p.mu is held.
func (p *pinger) fromString(ip net.IP) string {
	if p.from == nil || !ip.Equal(p.from) {
		p.from, p.fromText = append(p.from[:0], ip...), ipString(ip)
	}
	return p.fromText
}

func (p *pinger) reportError(m *ICMPMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.slots[uint16(m.Quoted.Seq)].sent || p.isStopped() {
		return
	}
	p.stats.Errors++
	p.emit(PingEvent{Event: EventError, Seq: m.Quoted.Seq, ID: p.id, From: ipString(m.From), Type: m.Type, Code: m.Code,
		Text: ErrorText(p.o.IPVersion, m.Type, m.Code, m.Info)}, m.Time)
	if p.o.Flood {
		p.sendOnReply()
	}
	p.answered()
}

// localError counts a local error a datagram socket queued for a send:
// not when a send failed, which the socket queues too (EMSGSIZE past the
// path MTU with DF set): that failure ends the run and is told once, as
// the send's error.
func (p *pinger) localError(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sendErr != nil {
		return
	}
	p.stats.Errors++
	p.emit(PingEvent{Event: EventError, Text: err.Error()}, time.Now())
}

// answered wakes sendLoop when an answer matters to it: while it lingers
// for the last replies, or when -c replies came within -w; p.mu is held.
func (p *pinger) answered() {
	if p.lingering || p.enough() {
		p.signal()
	}
}

// signal wakes sendLoop, without waiting.
func (p *pinger) signal() {
	select {
	case p.ack <- struct{}{}:
	default:
	}
}

func (p *pinger) finish() *PingStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.TimeMS = time.Since(p.start).Milliseconds()
	if s.Transmitted > 0 {
		s.Loss = float64(s.Transmitted-s.Received) * 100 / float64(s.Transmitted)
	}
	p.rtt.fill(&s)
	return &s
}
