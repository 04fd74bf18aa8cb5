package rawsock

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"time"
	"unsafe"

	"github.com/socklab/socklab/families"
	"golang.org/x/net/icmp"
	"golang.org/x/sys/unix"
)

// floodReader is the read side of a flood on a raw ICMP socket, iputils'
// loop in Go: recvmsg without waiting, and on EAGAIN a wait in ppoll that
// ends when the next echo is due. It never parks in Go's netpoller and
// sets no Go timer, so no idle thread of the runtime sleeps in epoll_wait
// on the socket, to be woken by every packet that the socket receives or
// sends (two wake-ups on the other CPU per echo). An echo reply is decoded
// in place, without allocating; everything else goes through DecodeICMP,
// as ReadICMP would.
type floodReader struct {
	fd    int
	ver   int
	buf   []byte
	oob   []byte
	from  [16]byte
	name  [unix.SizeofSockaddrAny]byte
	msg   ICMPMessage
	echo  icmp.Echo
	reply int // the echo reply type of ver
	fds   [1]unix.PollFd
	ts    unix.Timespec       // the waits' timeout
	to    unix.RawSockaddrAny // the destination
	tolen uint32
}

// newFloodReader returns the flood reader of c, which sends to dst with
// the IPv6 flow label label (0: none), or
// nil when c is not a raw ICMP socket of this system (a datagram socket
// has an error queue to read, and fakes have no descriptor), dst has a
// zone, or a families Capture is set (--pcap, -x, -v: the Conn's path
// reports each datagram): the pinger then reads with ReadICMP and sends
// with WriteTo. c
// must stay open while the reader is used.
func newFloodReader(c PingConn, dst *net.IPAddr, label uint32) *floodReader {
	ic, ok := c.(*ICMPConn)
	if !ok || ic.Mode() != ModeRaw || dst.Zone != "" || families.Capturing() {
		return nil
	}
	r := &floodReader{fd: -1, ver: ic.ver, buf: make([]byte, 65536), oob: make([]byte, 64)}
	if !r.setDestination(dst.IP, label) {
		return nil
	}
	families.Control(ic.Conn, func(fd int) error { r.fd = fd; return nil })
	if r.fd < 0 {
		return nil
	}
	_, rep := echoTypes(r.ver)
	r.reply = typeNumber(rep)
	return r
}

// errWait is read's EAGAIN: nothing to read now.
var errWait = errors.New("nothing to read")

// read reads the next message without waiting: errWait when there is
// none. The message and its data are the reader's, valid until the next
// read.
func (r *floodReader) read() (*ICMPMessage, error) {
	n, oobn, err := r.recvmsg()
	if err != nil {
		return nil, err
	}
	at := time.Now()
	b, ttl, from, ok := r.strip(n, oobn)
	if !ok {
		return &ICMPMessage{IPVersion: r.ver, Err: errBadHeader, From: from, Time: at}, nil
	}
	if m := r.decodeReply(b); m != nil {
		m.From, m.TTL, m.Size, m.Time = from, ttl, len(b), at
		return m, nil
	}
	m, err := DecodeICMP(r.ver, b)
	if err != nil {
		m = &ICMPMessage{IPVersion: r.ver, Err: err}
	}
	m.From, m.TTL, m.Size, m.Time = net.IP(append([]byte(nil), from...)), ttl, len(b), at
	return m, nil
}

// recvmsg is one recvmsg(2) with MSG_DONTWAIT.
func (r *floodReader) recvmsg() (n, oobn int, err error) {
	iov := unix.Iovec{Base: &r.buf[0]}
	iov.SetLen(len(r.buf))
	h := unix.Msghdr{Name: &r.name[0], Namelen: uint32(len(r.name)), Iov: &iov, Iovlen: 1, Control: &r.oob[0]}
	h.SetControllen(len(r.oob))
	for {
		n, err = recvmsg(r.fd, &h, unix.MSG_DONTWAIT)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, 0, errWait
		case err != nil:
			return 0, 0, &families.Error{Op: "read", Spec: ICMPSpec(r.ver, ModeRaw), Err: err}
		}
		return n, int(h.Controllen), nil
	}
}

// strip finds the ICMP message in the n bytes read, with its TTL and
// sender: a raw IPv4 socket delivers the IP header (the TTL is in it), a
// raw IPv6 socket the message alone (the hop limit comes as ancillary
// data, the sender as its address). from is the reader's.
func (r *floodReader) strip(n, oobn int) (b []byte, ttl int, from net.IP, ok bool) {
	if r.ver == 6 {
		copy(r.from[:], r.name[8:24]) // sockaddr_in6.sin6_addr
		ttl = -1
		if t, ok := families.CmsgUint32(r.oob[:oobn], unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT); ok {
			ttl = int(int32(t))
		}
		return r.buf[:min(n, len(r.buf))], ttl, r.from[:16], true
	}
	got := min(n, len(r.buf))
	if got < 20 || r.buf[0]>>4 != 4 || int(r.buf[0]&0x0f)*4 > got {
		return nil, -1, nil, false
	}
	copy(r.from[:4], r.buf[12:16])
	return r.buf[int(r.buf[0]&0x0f)*4 : got], int(r.buf[8]), r.from[:4], true
}

// decodeReply decodes b in place if it is an echo reply, as DecodeICMP
// would for the fields a pinger reads; nil for anything else.
func (r *floodReader) decodeReply(b []byte) *ICMPMessage {
	if len(b) < 8 || int(b[0]) != r.reply {
		return nil
	}
	r.echo = icmp.Echo{ID: int(binary.BigEndian.Uint16(b[4:])), Seq: int(binary.BigEndian.Uint16(b[6:])), Data: b[8:]}
	r.msg = ICMPMessage{IPVersion: r.ver, Type: r.reply, Code: int(b[1]), Echo: &r.echo}
	return &r.msg
}

// setDestination makes ip, with an IPv6 flow label, the destination of
// send.
func (r *floodReader) setDestination(ip net.IP, label uint32) bool {
	if ip4 := ip.To4(); r.ver == 4 && ip4 != nil {
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&r.to))
		sa.Family = unix.AF_INET
		copy(sa.Addr[:], ip4)
		r.tolen = unix.SizeofSockaddrInet4
		return true
	}
	if ip16 := ip.To16(); r.ver == 6 && ip16 != nil && ip.To4() == nil {
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&r.to))
		sa.Family = unix.AF_INET6
		copy(sa.Addr[:], ip16)
		binary.BigEndian.PutUint32((*[4]byte)(unsafe.Pointer(&sa.Flowinfo))[:], label&families.MaxFlowLabel)
		r.tolen = unix.SizeofSockaddrInet6
		return true
	}
	return false
}

// send sends b to the destination with sendto(2), as ICMPConn.WriteTo
// does but without its allocations. The socket does not block (a full
// send buffer waits in ppoll), so the call is a raw one: the runtime
// never hands the goroutine's P to another thread for it, which on a busy
// CPU would move the flood from thread to thread.
func (r *floodReader) send(b []byte) error {
	for {
		errno := families.Sendto(r.fd, b, &r.to, r.tolen, icmpNetwork(r.ver))
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
		case unix.EAGAIN:
			r.fds[0] = unix.PollFd{Fd: int32(r.fd), Events: unix.POLLOUT}
			families.Ppoll(r.fds[:], time.Now().Add(maxFloodWait).UnixNano(), &r.ts)
		default:
			return os.NewSyscallError("sendto", errno)
		}
	}
}

// wait waits up to d for something to read, as the batch path waits
// (families.Ppoll): keeping the goroutine's P, which a pinned flood
// would otherwise hand over and wait for at each reply.
func (r *floodReader) wait(d time.Duration) {
	r.fds[0] = unix.PollFd{Fd: int32(r.fd), Events: unix.POLLIN}
	// At least 1 ns: a deadline of 0 would mean none.
	families.Ppoll(r.fds[:], time.Now().Add(max(d, 1)).UnixNano(), &r.ts)
}

// recvmsg is recvmsg(2), without the allocations of unix.Recvmsg; a raw
// call, as send's, for a read that does not block.
func recvmsg(fd int, h *unix.Msghdr, flags int) (int, error) {
	n, errno := families.Recvmsg(fd, h, flags, "ip")
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
