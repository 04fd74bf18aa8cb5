package families

import (
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// credSpace is the room SCM_CREDENTIALS takes in a control buffer.
const credSpace = cmsgHdrLen + (sizeofUcred+cmsgAlign-1)&^(cmsgAlign-1)

func (c *conn) ReadFrom(b []byte) (int, net.Addr, error) {
	m, err := c.RecvMsg(b, nil, 0)
	return m.N, m.Addr, err
}

func (c *conn) ReadMsg(b []byte) (n, size int, addr net.Addr, err error) {
	m, err := c.RecvMsg(b, nil, 0)
	return m.N, m.Size, m.Addr, err
}

// ReadMsgCred is ReadMsg that also returns a unix sender's credentials
// (SCM_CREDENTIALS), zero when they are not known: see CredReader.
func (c *conn) ReadMsgCred(b []byte) (n, size int, addr net.Addr, cred Cred, err error) {
	var oob []byte
	if c.creds.Load() {
		oob = make([]byte, credSpace)
	}
	m, err := c.RecvMsg(b, oob, 0)
	if err != nil {
		return 0, 0, nil, Cred{}, err
	}
	cred, _ = ParseCred(oob[:m.OOBN])
	return m.N, m.Size, m.Addr, cred, nil
}

// RecvMsg reads one datagram and its control messages: see MsgConn.
func (c *conn) RecvMsg(b, oob []byte, flags int) (Msg, error) {
	return c.RecvMsgBuffers([][]byte{b}, oob, flags)
}

// RecvMsgBuffers is RecvMsg into several buffers in turn: see MsgConn.
func (c *conn) RecvMsgBuffers(bufs [][]byte, oob []byte, flags int) (Msg, error) {
	rc, err := c.poller()
	if err != nil {
		return Msg{}, c.opError("read", nil, err)
	}
	var from rawAddr
	var h unix.Msghdr
	iovs := make([]unix.Iovec, len(bufs))
	total := 0
	for i, b := range bufs {
		if len(b) > 0 {
			iovs[i].Base = &b[0]
			iovs[i].SetLen(len(b))
		}
		total += len(b)
	}
	if len(iovs) > 0 {
		h.Iov = &iovs[0]
		h.SetIovlen(len(iovs))
	}
	if len(oob) > 0 {
		h.Control = &oob[0]
		h.SetControllen(len(oob))
	}
	h.Name = (*byte)(from.ptr())
	var r int
	var errno syscall.Errno
	dontwait := flags&unix.MSG_DONTWAIT != 0
	err = rc.Read(func(fd uintptr) bool {
		for {
			h.Namelen = unix.SizeofSockaddrAny
			// MSG_TRUNC makes recvmsg return the datagram's real length.
			r, errno = c.recvmsg(int(fd), &h, unix.MSG_TRUNC|flags, &from, bufs)
			if errno != unix.EINTR {
				return dontwait || errno != unix.EAGAIN
			}
		}
	})
	if err == nil && errno != 0 {
		err = os.NewSyscallError("recvmsg", errno)
	}
	if err != nil {
		return Msg{}, c.opError("read", nil, err)
	}
	from.n = h.Namelen
	m := Msg{Size: r, N: min(r, total), OOBN: int(h.Controllen), Flags: int(h.Flags)}
	if from.named() {
		m.Addr = from.addr(c.network)
	}
	return m, nil
}

// WriteTo sends b as one datagram to addr: a *net.UDPAddr or *net.IPAddr
// for IP sockets of any type, a *net.UnixAddr for unix sockets. It waits
// for room in the send buffer until the write deadline.
func (c *conn) WriteTo(b []byte, addr net.Addr) (int, error) { return c.WriteMsg(b, nil, addr) }

// WriteMsg is WriteTo with control messages (sendmsg): see MsgConn.
func (c *conn) WriteMsg(b, oob []byte, addr net.Addr) (int, error) {
	return c.writeMsg(b, oob, addr, true)
}

// SendNow is WriteMsg that never waits: when the socket (or a unix peer's
// queue) has no room it returns syscall.EAGAIN at once. A unix socket
// cannot wait for room in a peer's queue with poll, which says writable as
// long as its own buffer is; a caller that wants to wait for it tries
// again after a sleep.
func SendNow(c Conn, b, oob []byte, addr net.Addr) (int, error) {
	cc, ok := c.(*conn)
	if !ok {
		return 0, ErrUnsupported
	}
	return cc.writeMsg(b, oob, addr, false)
}

func (c *conn) writeMsg(b, oob []byte, addr net.Addr, wait bool) (int, error) {
	var to rawAddr
	if err := to.set(c.spec.Family, addr); err != nil {
		return 0, c.opError("write", addr, err)
	}
	rc, err := c.poller()
	if err != nil {
		return 0, c.opError("write", addr, err)
	}
	var h unix.Msghdr
	var iov unix.Iovec
	if len(b) > 0 {
		iov.Base = &b[0]
		iov.SetLen(len(b))
	}
	h.Iov, h.Iovlen = &iov, 1
	if len(oob) > 0 {
		h.Control = &oob[0]
		h.SetControllen(len(oob))
	}
	h.Name, h.Namelen = (*byte)(to.ptr()), to.n
	var r int
	var errno syscall.Errno
	err = rc.Write(func(fd uintptr) bool {
		for {
			r, errno = c.sendmsg(int(fd), &h, &to, b, oob, addr)
			if errno != unix.EINTR {
				return !wait || errno != unix.EAGAIN
			}
		}
	})
	if err == nil && errno == unix.EAGAIN && !wait {
		return 0, errno
	}
	if err == nil && errno != 0 {
		err = os.NewSyscallError("sendmsg", errno)
	}
	if err != nil {
		return 0, c.opError("write", addr, err)
	}
	return r, nil
}
