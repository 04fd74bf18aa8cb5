package families

import (
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// RecvBatch is the arena of one recvmmsg: see the package's notes on
// batches. Its methods take a slot index below Len().
type RecvBatch struct {
	hdrs    []unix.Mmsghdr
	iovs    []unix.Iovec
	names   []rawAddr
	ctrl    []byte
	ctrlLen int
	data    [][]byte // each slot's buffer, bufsize bytes: see slotBuffers
	bufsize int
	network string // of the Conn that read it, for Addr
	conn    *conn  // the Conn that reads it, for a Capture

	// peer is every datagram's sender while the socket is connected
	// (see SetConnected); connected says it is.
	peer      rawAddr
	connected bool

	n     int // datagrams the last ReadBatch read
	errno syscall.Errno
	// wakeOnRoom makes a ReadBatch that waits end also when the socket
	// has room to send (see SetWakeOnRoom); room says the last one did.
	wakeOnRoom, room bool
	fn               func(fd uintptr) bool // b.recv, made once: a method value per call would allocate
}

// NewRecvBatch allocates a RecvBatch of slots datagrams of at most bufsize
// bytes each, with ctrl bytes of control space per slot (0 for none;
// BatchControlSpace for credentials).
func NewRecvBatch(slots, bufsize, ctrl int) *RecvBatch {
	b := &RecvBatch{
		hdrs: make([]unix.Mmsghdr, slots), iovs: make([]unix.Iovec, slots), names: make([]rawAddr, slots),
		ctrl: make([]byte, max(slots*ctrl, 1)), ctrlLen: ctrl, data: slotBuffers(slots, bufsize), bufsize: bufsize,
	}
	for i := range b.hdrs {
		if bufsize > 0 {
			b.iovs[i].Base = &b.data[i][0]
			b.iovs[i].SetLen(bufsize)
		}
		h := &b.hdrs[i].Hdr
		h.Name = (*byte)(b.names[i].ptr())
		h.Iov, h.Iovlen = &b.iovs[i], 1
		if ctrl > 0 {
			h.Control = &b.ctrl[i*ctrl]
		}
	}
	b.fn = b.recv
	return b
}

// slotChunk bounds one allocation of slot buffers.
const slotChunk = 64 << 10

// slotBuffers allocates the data buffers of slots slots of bufsize bytes, in
// allocations of at most slotChunk bytes (or one slot, when larger): never
// one arena of slots*bufsize (4 MiB at 64 slots of 64 KiB). The kernel
// writes only a datagram's own bytes, so most of a slot's pages are never
// touched; but the runtime zeroes a large allocation that reuses any page
// freed earlier (by startup's garbage) whole, so one arena could become
// resident at once (measured: an idle udp4 serve's peak RSS 3-4 MB higher
// in the runs where that happened). In chunks, only the chunks that land on
// reused pages are zeroed, and those pages were resident already.
func slotBuffers(slots, bufsize int) [][]byte {
	data := make([][]byte, slots)
	if bufsize <= 0 {
		return data
	}
	per := max(1, slotChunk/bufsize)
	var chunk []byte
	for i := range data {
		if i%per == 0 {
			chunk = make([]byte, min(per, slots-i)*bufsize)
		}
		data[i], chunk = chunk[:bufsize:bufsize], chunk[bufsize:]
	}
	return data
}

// Slots is how many datagrams one ReadBatch can read.
func (b *RecvBatch) Slots() int { return len(b.hdrs) }

// Len is how many datagrams the last ReadBatch read.
func (b *RecvBatch) Len() int { return b.n }

// Size is datagram i's full length; more than len(Data(i)) when truncated.
func (b *RecvBatch) Size(i int) int { return int(b.hdrs[i].Len) }

// Data is what was read of datagram i; valid until the next ReadBatch.
func (b *RecvBatch) Data(i int) []byte {
	return b.data[i][:min(b.Size(i), b.bufsize)]
}

// Truncated reports whether datagram i was longer than the slot.
func (b *RecvBatch) Truncated(i int) bool {
	return b.Size(i) > b.bufsize || b.hdrs[i].Hdr.Flags&unix.MSG_TRUNC != 0
}

// Named reports whether datagram i's sender has an address to answer: an
// unbound unix socket has none.
func (b *RecvBatch) Named(i int) bool { return b.name(i).named() }

// Name is datagram i's sender address as the kernel wrote it (or the
// peer, see SetConnected): a map key that costs no allocation.
func (b *RecvBatch) Name(i int) []byte { return b.name(i).bytes() }

// AddrPort is datagram i's sender as an IP address and port, with no
// allocation (an IPv6 zone is left out); false for other families.
func (b *RecvBatch) AddrPort(i int) (netip.AddrPort, bool) {
	return b.name(i).addrPort()
}

// Addr builds the Go address of datagram i's sender, nil when it has none.
// It allocates: for reports, not for every datagram.
func (b *RecvBatch) Addr(i int) net.Addr {
	if !b.Named(i) {
		return nil
	}
	return b.name(i).addr(b.network)
}

// name is datagram i's sender: the peer of a connected socket, or what
// the kernel wrote.
func (b *RecvBatch) name(i int) *rawAddr {
	if b.connected {
		return &b.peer
	}
	return &b.names[i]
}

// SetConnected says that the socket that reads b is connected to peer, a
// socket of family, so that every datagram comes from it: the kernel then
// writes no sender address per datagram, and Named, Name, AddrPort and
// Addr report peer. For unix the kernel reads that address from the
// sending socket: a unix bench measured 1.12-1.13x without it. A nil peer
// goes back to asking the kernel.
func (b *RecvBatch) SetConnected(family int, peer net.Addr) error {
	if peer != nil {
		if err := b.peer.set(family, peer); err != nil {
			return err
		}
	}
	b.connected = peer != nil
	for i := range b.hdrs {
		h := &b.hdrs[i].Hdr
		h.Name, h.Namelen = (*byte)(b.names[i].ptr()), unix.SizeofSockaddrAny
		if b.connected {
			h.Name, h.Namelen = nil, 0
		}
	}
	return nil
}

// SetWakeOnRoom makes the ReadBatch calls that follow, when they wait,
// also end, having read nothing, as soon as the socket has room to send
// (POLLOUT), and Room report it: for a sender whose send would block, so
// that it sends again the moment it can instead of when a reply comes. On
// a connected unix datagram socket room means the peer's receive queue,
// which holds only net.unix.max_dgram_qlen datagrams, has drained. Set it
// when a send would block: a socket with room ends such a wait at once,
// so the first ReadBatch that reports room turns it off again, and a
// sender that does not send then (its pace, its window) waits for replies
// instead of spinning. A Conn that waits in the netpoller
// (WaitInNetpoller) ignores it.
func (b *RecvBatch) SetWakeOnRoom(on bool) { b.wakeOnRoom = on }

// Room reports whether the last ReadBatch ended, having read nothing,
// because the socket had room to send (see SetWakeOnRoom).
func (b *RecvBatch) Room() bool { return b.room }

// Control is the control messages the kernel wrote for datagram i.
func (b *RecvBatch) Control(i int) []byte {
	n := min(int(b.hdrs[i].Hdr.Controllen), b.ctrlLen)
	return b.ctrl[i*b.ctrlLen : i*b.ctrlLen+n]
}

// recv is the poller callback: one recvmmsg, false (wait) on EAGAIN.
// MSG_TRUNC makes each msg_len the datagram's full length (checked on Linux
// 6.18 for UDP and unix sockets). The call never blocks, so it goes through
// RawSyscall6: with Syscall6 a call of a few dozen datagrams outlasts
// sysmon's 20µs and the runtime hands the P to another thread and back.
func (b *RecvBatch) recv(fd uintptr) bool {
	for {
		r, e := sysRecvmmsg(fd, b.hdrs)
		switch e {
		case 0:
			b.n = int(r)
			if cp := capture.Load(); cp != nil {
				b.conn.captureBatch(cp, b)
			}
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		b.errno = e
		return true
	}
}

// reset readies the headers for the kernel to fill.
func (b *RecvBatch) reset() {
	for i := range b.hdrs {
		h := &b.hdrs[i].Hdr
		if !b.connected {
			h.Namelen = unix.SizeofSockaddrAny
		}
		h.SetControllen(b.ctrlLen)
		h.Flags = 0
	}
	b.n, b.errno, b.room = 0, 0, false
}

// ReadBatch reads a batch: see BatchConn.
func (c *conn) ReadBatch(b *RecvBatch) (int, error) {
	b.reset()
	b.network, b.conn = c.network, c
	events := int16(unix.POLLIN)
	if b.wakeOnRoom {
		events |= unix.POLLOUT
	}
	if err := c.batchIO(b.fn, events); err != nil {
		return 0, c.opError("read", nil, err)
	}
	if b.errno != 0 {
		return 0, c.opError("read", nil, os.NewSyscallError("recvmmsg", b.errno))
	}
	if b.room = b.wakeOnRoom && b.n == 0; b.room {
		b.wakeOnRoom = false
	}
	for i := 0; i < b.n && !b.connected; i++ {
		b.names[i].n = b.hdrs[i].Hdr.Namelen
	}
	return b.n, nil
}

// batchIO runs fn, a batch's poller callback, to read (events POLLIN,
// or POLLIN|POLLOUT: read, or end when there is room to send) or to write
// (POLLOUT) until the deadline of that direction: bare while the
// descriptor is not in the netpoller, on the netpoller once it is, where
// a read waits for POLLIN only.
func (c *conn) batchIO(fn func(fd uintptr) bool, events int16) error {
	dl := &c.rdl
	if events == unix.POLLOUT {
		dl = &c.wdl
	}
	if err, done := c.bare(fn, events, dl); done {
		return err
	}
	rc, err := c.poller()
	if err != nil {
		return err
	}
	if events == unix.POLLOUT {
		return rc.Write(fn)
	}
	return rc.Read(fn)
}

// bare runs fn, a poller callback, on the descriptor while it is not in
// the netpoller: when fn returns false (the socket would block) it waits in
// ppoll for events until the deadline dl. A deadline that has passed ends
// the call before fn runs, as the netpoller's do. done is false when the
// descriptor is (or has just been) registered: the caller goes on with the
// poller.
func (c *conn) bare(fn func(fd uintptr) bool, events int16, dl *atomic.Int64) (err error, done bool) {
	if c.registered() {
		return nil, false
	}
	c.ops.RLock()
	defer c.ops.RUnlock()
	var spinUntil int64
	for {
		switch {
		case c.registered():
			return nil, false
		case c.closed.Load():
			return net.ErrClosed, true
		case expired(dl.Load()):
			return os.ErrDeadlineExceeded, true
		case fn(uintptr(c.fd)):
			return nil, true
		case c.spinning(&spinUntil):
			// Try again at once: see SetSpin.
		case c.wait.poll(c.fd, events, dl, c.stopWait):
			return os.ErrDeadlineExceeded, true
		case events == unix.POLLIN|unix.POLLOUT && c.wait.ready&(unix.POLLIN|unix.POLLOUT) == unix.POLLOUT:
			// A read that also waits for room: there is room. fn
			// has read nothing.
			return nil, true
		}
	}
}

// spinning reports whether a bare wait tries its call again at once
// instead of sleeping in ppoll: for the spin SetSpin set, from the first
// try that would have slept (until), or for ever with a negative spin.
func (c *conn) spinning(until *int64) bool {
	spin := c.spin.Load()
	switch {
	case spin == 0:
		return false
	case spin < 0:
		return true
	}
	now := time.Now().UnixNano()
	if *until == 0 {
		*until = now + spin
	}
	return now < *until
}

// stopWait reports whether a bare wait must end: the conn was closed or
// registered with the netpoller.
func (c *conn) stopWait() bool { return c.closed.Load() || c.registered() }

// expired reports whether the deadline dl (Unix nanoseconds, 0: none) has
// passed.
func expired(dl int64) bool { return dl != 0 && dl <= time.Now().UnixNano() }

// sendCtrlSpace is the control space of one message of a SendBatch: a
// reply's source (IP_PKTINFO, IPV6_PKTINFO) and a UDP_SEGMENT size.
const sendCtrlSpace = pktinfoSpace + cmsgHdrLen + 8

// SendBatch is the arena of one sendmmsg: see the package's notes on
// batches.
type SendBatch struct {
	hdrs []unix.Mmsghdr
	iovs []unix.Iovec // two per message: prefix, data
	ctrl []byte       // sendCtrlSpace per message: where a reply goes out from, UDP_SEGMENT
	peer rawAddr      // where Add sends; no address when n is 0
	n    int          // messages added
	off  int          // messages sent (or skipped)

	wait  bool // the WriteBatch call waits for room when it sent nothing
	start int  // off when the WriteBatch call began
	errno syscall.Errno
	fn    func(fd uintptr) bool // b.send, made once
	conn  *conn                 // the Conn that sends it, for a Capture
}

// NewSendBatch allocates a SendBatch of at most slots messages.
func NewSendBatch(slots int) *SendBatch {
	b := &SendBatch{hdrs: make([]unix.Mmsghdr, slots), iovs: make([]unix.Iovec, 2*slots), ctrl: make([]byte, slots*sendCtrlSpace)}
	b.fn = b.send
	return b
}

// SetPeer sets where Add sends: addr, for a socket of family, or nobody
// when addr is nil (the socket is connected).
func (b *SendBatch) SetPeer(family int, addr net.Addr) error {
	if addr == nil {
		b.peer = rawAddr{}
		return nil
	}
	return b.peer.set(family, addr)
}

// Reset empties b.
func (b *SendBatch) Reset() { b.n, b.off = 0, 0 }

// Len is how many messages b holds.
func (b *SendBatch) Len() int { return b.n }

// Full reports whether b has no room for another message.
func (b *SendBatch) Full() bool { return b.n == len(b.hdrs) }

// Sent is how many of b's messages were sent or skipped: the index of the
// next one to send.
func (b *SendBatch) Sent() int { return b.off }

// Skip gives up the message at Sent(), after WriteBatch reported it failed.
func (b *SendBatch) Skip() { b.off++ }

// Add appends a message of prefix then data (either may be empty) to the
// peer. The buffers must stay unchanged until the message is sent.
func (b *SendBatch) Add(prefix, data []byte) { b.add(&b.peer, prefix, data) }

// AddReply appends a message of prefix then data to the sender of rx's
// datagram i, which must be Named. When the datagram carries its
// destination (RecvDestination), the reply goes out from it.
func (b *SendBatch) AddReply(rx *RecvBatch, i int, prefix, data []byte) {
	k := b.n
	b.add(rx.name(i), prefix, data)
	slot := b.ctrl[k*sendCtrlSpace : k*sendCtrlSpace : (k+1)*sendCtrlSpace]
	if ctl := ReplyControl(slot, rx.Control(i)); len(ctl) > 0 {
		h := &b.hdrs[k].Hdr
		h.Control = &ctl[0]
		h.SetControllen(len(ctl))
	}
}

func (b *SendBatch) add(to *rawAddr, prefix, data []byte) {
	h := &b.hdrs[b.n].Hdr
	*h = unix.Msghdr{}
	if to.n > 0 {
		h.Name, h.Namelen = (*byte)(to.ptr()), to.n
	}
	iov := b.iovs[2*b.n : 2*b.n+2]
	k := 0
	for _, p := range [2][]byte{prefix, data} {
		if len(p) > 0 {
			iov[k].Base = &p[0]
			iov[k].SetLen(len(p))
			k++
		}
	}
	h.Iov = &iov[0]
	h.SetIovlen(k)
	b.n++
}

// send is the poller callback: sendmmsg from off, until all are sent, the
// socket is full or a message fails. On a full socket it returns false (wait
// for room) only when the call has sent nothing yet and wait is set, so a
// caller decides again, message by message, whether a peer is worth a wait.
func (b *SendBatch) send(fd uintptr) bool {
	for b.off < b.n {
		r, e := b.sendmmsg(fd)
		switch e {
		case 0:
			b.off += int(r)
		case unix.EINTR:
		case unix.EAGAIN:
			if b.wait && b.off == b.start {
				return false
			}
			b.errno = e
			return true
		default:
			b.errno = e
			return true
		}
	}
	return true
}

// WriteBatch sends a batch: see BatchConn.
func (c *conn) WriteBatch(b *SendBatch, wait bool) error {
	b.wait, b.start, b.errno, b.conn = wait, b.off, 0, c
	if err := c.batchIO(b.fn, unix.POLLOUT); err != nil {
		return c.opError("write", nil, err)
	}
	if b.errno != 0 {
		return b.errno
	}
	return nil
}
