package rawsock

import (
	"errors"
	"net"
	"sync"

	"github.com/socklab/socklab/families"
	"golang.org/x/net/ipv4"
)

// ipHeader is what a raw IPv4 socket's header tells of a message: its
// TTL and destination. The other sockets leave them to control messages
// (see cmsgTTL): ttl is -1 and dst nil.
type ipHeader struct {
	ttl int
	dst net.IP
}

var noHeader = ipHeader{ttl: -1}

// recv reads one message with its control messages, with recvmsg flags.
func (c *ICMPConn) recv(b, oob []byte, flags int) (m families.Msg, h ipHeader, err error) {
	switch {
	case flags != 0:
	case c.mode == ModeRaw && c.ver == 4:
		return c.recvIPv4(b, oob)
	case c.mode == ModeDgram:
		m, err = c.recvDgram(b, oob)
		return m, noHeader, err
	}
	mc, ok := c.Conn.(families.MsgConn)
	if !ok {
		return m, noHeader, &net.OpError{Op: "read", Err: families.ErrUnsupported}
	}
	m, err = mc.RecvMsg(b, oob, flags)
	return m, noHeader, err
}

// recvIPv4 reads one packet of a raw IPv4 socket into two buffers: the
// fixed 20 bytes of its header, then b.
func (c *ICMPConn) recvIPv4(b, oob []byte) (families.Msg, ipHeader, error) {
	hdr := make([]byte, ipv4.HeaderLen)
	m, err := c.recvmsg([][]byte{hdr, b}, oob)
	if err == nil {
		err = stripIPv4Header(&m, hdr, b)
	}
	if err != nil {
		return families.Msg{}, noHeader, c.opError(err)
	}
	return m, ipHeader{ttl: int(hdr[8]), dst: net.IP(hdr[16:20])}, nil
}

var errBadHeader = errors.New("bad IPv4 header from the raw socket")

// stripIPv4Header sets m's N and Size to the ICMP message's after a read
// that put the first 20 bytes of the packet in hdr and the rest in b. A
// header with options left them at the start of b: the message moves down
// over them.
func stripIPv4Header(m *families.Msg, hdr, b []byte) error {
	ihl := int(hdr[0]&0x0f) * 4
	got := min(m.Size, len(hdr)+len(b)) - len(hdr) // bytes in b
	opts := ihl - len(hdr)
	if m.Size < len(hdr) || hdr[0]>>4 != 4 || opts < 0 || opts > got {
		return errBadHeader
	}
	copy(b, b[opts:got])
	m.N = got - opts
	m.Size -= ihl
	return nil
}

// spills hold what of a datagram ICMP message does not fit the caller's
// buffer: an ICMP message is at most 65535 bytes.
var spills = sync.Pool{New: func() any { return new([65536]byte) }}

// recvDgram reads one message of a datagram ICMP socket. Its recvmsg
// returns the bytes it copied, not the message's length, even with
// MSG_TRUNC (ping_recvmsg), so the rest of a message longer than b goes to
// a spill buffer, to count it.
func (c *ICMPConn) recvDgram(b, oob []byte) (families.Msg, error) {
	spill := spills.Get().(*[65536]byte)
	defer spills.Put(spill)
	m, err := c.recvmsg([][]byte{b, spill[:]}, oob)
	if err != nil {
		return families.Msg{}, c.opError(err)
	}
	m.N = min(m.Size, len(b))
	return m, nil
}

// recvmsg reads one message into bufs with recvmsg(2), waiting in Go's
// poller; Size is what recvmsg returned. The error is the cause, for
// opError to put in this Conn's terms.
func (c *ICMPConn) recvmsg(bufs [][]byte, oob []byte) (families.Msg, error) {
	mc, ok := c.Conn.(families.MsgConn)
	if !ok {
		return families.Msg{}, families.ErrUnsupported
	}
	m, err := mc.RecvMsgBuffers(bufs, oob, 0)
	if oe, ok := err.(*net.OpError); ok {
		err = oe.Err
	}
	return m, err
}

// opError is err as a Conn's read returns it.
func (c *ICMPConn) opError(err error) error {
	return &net.OpError{Op: "read", Net: icmpNetwork(c.ver), Source: c.LocalAddr(), Err: err}
}
