package families

import (
	"net"
	"net/netip"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The capture hooks: the I/O paths call these only when a Capture is set.

// captureRecv reports the datagram one recvmsg read into bufs.
func (c *conn) captureRecv(cp *Capture, bufs [][]byte, m Msg, oob []byte) {
	d := c.datagram("recvmsg", false)
	d.Data, d.Size, d.Peer, d.Control = gather(bufs, m.N), m.Size, m.Addr, oob
	d.Local = c.localFor(oob)
	(*cp)(d)
}

// captureSend reports the datagram one sendmsg sent to addr.
func (c *conn) captureSend(cp *Capture, b, oob []byte, n int, addr net.Addr) {
	d := c.datagram("sendmsg", true)
	d.Data, d.Size, d.Peer, d.Control = b[:min(n, len(b))], n, addr, oob
	d.Local = c.localFor(oob)
	(*cp)(d)
}

// captureBatch reports each datagram of the batch ReadBatch read.
func (c *conn) captureBatch(cp *Capture, b *RecvBatch) {
	d := c.datagram("recvmmsg", false)
	for i := range b.n {
		d.Index, d.Data, d.Size, d.Control = i, b.Data(i), b.Size(i), b.Control(i)
		d.Peer, d.Local = b.Addr(i), c.localFor(d.Control)
		(*cp)(d)
	}
}

// captureSent reports each message of b that the WriteBatch call sent.
func (c *conn) captureSent(cp *Capture, b *SendBatch) {
	d := c.datagram("sendmmsg", true)
	for k := b.start; k < b.off; k++ {
		h := &b.hdrs[k].Hdr
		d.Index, d.Data = k-b.start, gather(iovecs(h), int(b.hdrs[k].Len))
		d.Size, d.Control = len(d.Data), nil
		if h.Controllen > 0 {
			d.Control = unsafe.Slice(h.Control, int(h.Controllen))
		}
		d.Peer = c.peerOf(h)
		d.Local = c.localFor(d.Control)
		(*cp)(d)
	}
}

func (c *conn) datagram(call string, sent bool) *Datagram {
	return &Datagram{Time: time.Now(), Call: call, Fd: c.fd, Spec: c.spec, Sent: sent, Conn: c}
}

// gather is the first n bytes of bufs, in one slice.
func gather(bufs [][]byte, n int) []byte {
	if len(bufs) == 1 {
		return bufs[0][:min(n, len(bufs[0]))]
	}
	out := make([]byte, 0, n)
	for _, b := range bufs {
		out = append(out, b[:min(len(b), n-len(out))]...)
	}
	return out
}

// iovecs are the buffers of a message header.
func iovecs(h *unix.Msghdr) [][]byte {
	var bufs [][]byte
	for _, v := range unsafe.Slice(h.Iov, int(h.Iovlen)) {
		bufs = append(bufs, unsafe.Slice(v.Base, int(v.Len)))
	}
	return bufs
}

// peers holds the address each connected conn sends to, read once
// (getpeername) for the sendmmsg batches that name no address.
var peers sync.Map // *conn → net.Addr

// peerOf is where message h goes: its address, or the connected peer's.
func (c *conn) peerOf(h *unix.Msghdr) net.Addr {
	if h.Namelen > 0 {
		var a rawAddr
		a.n = h.Namelen
		copy(unsafe.Slice((*byte)(a.ptr()), unix.SizeofSockaddrAny), unsafe.Slice(h.Name, int(h.Namelen)))
		return a.addr(c.network)
	}
	if p, ok := peers.Load(c); ok {
		return p.(net.Addr)
	}
	var p net.Addr
	c.control(func(fd int) { p = peername(fd, c.network) })
	if p != nil {
		peers.Store(c, p)
	}
	return p
}

// localFor is this end of a datagram with control messages oob: the
// destination (or source) IP_PKTINFO gives, with the socket's port, or
// the address the socket was bound to.
func (c *conn) localFor(oob []byte) net.Addr {
	ip, ok := pktinfoAddr(oob)
	if !ok {
		return c.laddr
	}
	port := 0
	if ua, ok := c.laddr.(*net.UDPAddr); ok {
		port = ua.Port
	}
	return ipAddr(c.network, net.IP(ip.AsSlice()), port, "")
}

// pktinfoAddr reads the address of IP_PKTINFO or IPV6_PKTINFO in oob: a
// received datagram's destination, or the source a reply is sent from.
func pktinfoAddr(oob []byte) (netip.Addr, bool) {
	if d := Cmsg(oob, unix.IPPROTO_IP, unix.IP_PKTINFO); len(d) >= unix.SizeofInet4Pktinfo {
		// in_pktinfo: ifindex, spec_dst, addr. A received datagram's
		// header destination is addr; a reply's source is spec_dst.
		var a [4]byte
		copy(a[:], d[8:12])
		if a == [4]byte{} {
			copy(a[:], d[4:8])
		}
		return netip.AddrFrom4(a), true
	}
	if d := Cmsg(oob, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO); len(d) >= unix.SizeofInet6Pktinfo {
		return netip.AddrFrom16([16]byte(d[:16])), true
	}
	return netip.Addr{}, false
}
