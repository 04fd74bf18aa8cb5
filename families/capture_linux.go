package families

import (
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The capture hooks: each I/O call hands what it moved to the Capture
// from inside its system call's callback, where the descriptor is held,
// and only when a Capture is set.
//
// capMu orders the Capture's calls as the datagrams went: a send holds it
// from before its system call until its datagrams are reported, and a
// receive takes it to report. A reply to a datagram cannot be read before
// that datagram was sent, so it cannot be reported before it either, even
// when another goroutine reads it (ping's reader) and gets there first.
// The calls under it do not block: the sockets are non-blocking.
var capMu sync.Mutex

// recvmsg is sysRecvmsg into bufs, reporting what it read.
func (c *conn) recvmsg(fd int, h *unix.Msghdr, flags int, from *rawAddr, bufs [][]byte) (int, syscall.Errno) {
	r, e := sysRecvmsg(fd, h, flags, from, c.network)
	if e == 0 && flags&unix.MSG_ERRQUEUE == 0 {
		if cp := capture.Load(); cp != nil {
			capMu.Lock()
			defer capMu.Unlock()
			from.n = h.Namelen
			d := c.datagram("recvmsg", false)
			d.Data, d.Size, d.Peer, d.Control = gather(bufs, r), r, from.quickAddr(c.network), control(h)
			d.Local = c.localFor(d.Control)
			(*cp)(d)
		}
	}
	return r, e
}

// sendmsg is sysSendmsg of b (with control messages oob) to addr,
// reporting it.
func (c *conn) sendmsg(fd int, h *unix.Msghdr, to *rawAddr, b, oob []byte, addr net.Addr) (int, syscall.Errno) {
	cp := capture.Load()
	if cp == nil {
		return sysSendmsg(fd, h, to, c.network)
	}
	capMu.Lock()
	defer capMu.Unlock()
	r, e := sysSendmsg(fd, h, to, c.network)
	if e == 0 {
		d := c.datagram("sendmsg", true)
		d.Data, d.Size, d.Peer, d.Control = b[:min(r, len(b))], r, addr, oob
		d.Local = c.localFor(oob)
		(*cp)(d)
	}
	return r, e
}

// captureBatch reports each datagram of the recvmmsg that filled b.
func (c *conn) captureBatch(cp *Capture, b *RecvBatch) {
	capMu.Lock()
	defer capMu.Unlock()
	d := c.datagram("recvmmsg", false)
	for i := range b.n {
		if !b.connected {
			b.names[i].n = b.hdrs[i].Hdr.Namelen
		}
		d.Index, d.Data, d.Size, d.Control = i, b.Data(i), b.Size(i), b.Control(i)
		d.Peer, d.Local = b.name(i).quickAddr(c.network), c.localFor(d.Control)
		(*cp)(d)
	}
}

// sendmmsg is sysSendmmsg of b's messages from b.off, reporting each one
// it sent.
func (b *SendBatch) sendmmsg(fd uintptr) (int, syscall.Errno) {
	cp := capture.Load()
	if cp == nil {
		return sysSendmmsg(fd, b.hdrs[b.off:b.n])
	}
	capMu.Lock()
	defer capMu.Unlock()
	r, e := sysSendmmsg(fd, b.hdrs[b.off:b.n])
	if e != 0 {
		return r, e
	}
	c := b.conn
	d := c.datagram("sendmmsg", true)
	for k := b.off; k < b.off+r; k++ {
		h := &b.hdrs[k].Hdr
		d.Index, d.Data = k-b.start, gather(iovecs(h), int(b.hdrs[k].Len))
		d.Size, d.Control = len(d.Data), control(h)
		d.Peer = c.peerOf(int(fd), h)
		d.Local = c.localFor(d.Control)
		(*cp)(d)
	}
	return r, e
}

func (c *conn) datagram(call string, sent bool) *Datagram {
	return &Datagram{Time: time.Now(), Call: call, Fd: c.fd, Spec: c.spec, Sent: sent, Conn: c}
}

// quickAddr is a's Go address, nil when it names nobody, with an IPv6
// zone as its interface index: looking its name up is a netlink dump, a
// socket of its own, which a Capture's caller must not wait for (see
// fdMu).
func (a *rawAddr) quickAddr(network string) net.Addr {
	if !a.named() {
		return nil
	}
	if a.sa.Addr.Family != unix.AF_INET6 {
		return a.addr(network)
	}
	sa := (*unix.RawSockaddrInet6)(a.ptr())
	zone := ""
	if sa.Scope_id != 0 {
		zone = strconv.Itoa(int(sa.Scope_id))
	}
	return ipAddr(network, net.IP(append([]byte(nil), sa.Addr[:]...)), ntohs(sa.Port), zone)
}

// control is the control messages the kernel wrote, or was given, in h.
func control(h *unix.Msghdr) []byte {
	if h.Control == nil || h.Controllen == 0 {
		return nil
	}
	return unsafe.Slice(h.Control, int(h.Controllen))
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
func (c *conn) peerOf(fd int, h *unix.Msghdr) net.Addr {
	if h.Namelen > 0 {
		var a rawAddr
		a.n = h.Namelen
		copy(unsafe.Slice((*byte)(a.ptr()), unix.SizeofSockaddrAny), unsafe.Slice(h.Name, int(h.Namelen)))
		return a.quickAddr(c.network)
	}
	if p, ok := peers.Load(c); ok {
		return p.(net.Addr)
	}
	var a rawAddr
	if sysGetpeername(fd, &a, c.network) != nil {
		return nil
	}
	p := a.quickAddr(c.network)
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

// Settings reads what is in force on the socket that moved d, as Settings
// does; it is for the Capture's call, while the socket is held open.
func (d *Datagram) Settings() []Setting { return settingsOf(d.Fd, d.Spec) }
