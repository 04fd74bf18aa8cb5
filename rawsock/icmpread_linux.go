package rawsock

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
	"golang.org/x/sys/unix"
)

// ReadMsg reads one ICMP message into b: see families.Conn. On a socket
// an ICMP family opened (families.Definition.Open), ReadMsg skips the
// copies of the socket's own messages that loopback hands back (see
// ownCopies); ReadICMP reads everything. A raw IPv4
// socket delivers each message behind its IPv4 header; ReadMsg reads the
// header apart and drops it, so n and size count the ICMP message alone, as
// on every other ICMP socket. (When the header has options, they take room
// in b: a message that fills b is cut that much shorter.) A datagram
// socket's recvmsg does not tell a message's full length: ReadMsg reads
// what does not fit b into a buffer of its own to count it.
func (c *ICMPConn) ReadMsg(b []byte) (n, size int, addr net.Addr, err error) {
	for {
		m, _, err := c.recv(b, nil, 0)
		if err == nil && c.own != nil && c.own.isOwn(b[:m.N], time.Now()) {
			continue // our own message, handed back by loopback
		}
		return m.N, m.Size, m.Addr, err
	}
}

// ReadICMP waits for the next ICMP message, reads it into b and decodes it,
// with the TTL it arrived with; its Echo and Quoted data alias b. On a
// datagram socket an error the kernel queued for one of our echoes comes
// first, as a message with Queued set. A message that does not parse comes
// back with Err set. The error, an *families.Error, has Op "send" for a
// local error queued for a send (EMSGSIZE ...), "read" otherwise.
func (c *ICMPConn) ReadICMP(b []byte) (*ICMPMessage, error) {
	if m, err := c.readQueued(b); m != nil || err != nil {
		return m, err
	}
	oob := make([]byte, 128)
	r, h, err := c.recv(b, oob, 0)
	if err != nil {
		if c.errq && pendingError(err) {
			// The socket's pending error stands for a queued one.
			if m, err := c.readQueued(b); m != nil || err != nil {
				return m, err
			}
		}
		return nil, c.readError(err)
	}
	at := time.Now()
	m, err := DecodeICMP(c.ver, b[:r.N])
	if err != nil {
		m = &ICMPMessage{IPVersion: c.ver, Err: err}
	}
	m.From, m.Size, m.Time, m.TTL, m.Dst = ipOf(r.Addr), r.Size, at, h.ttl, h.dst
	if ia, ok := r.Addr.(*net.IPAddr); ok {
		m.Zone = ia.Zone
	}
	if t, ok := cmsgTTL(oob[:r.OOBN]); ok {
		m.TTL = t
	}
	if dst := cmsgDst(oob[:r.OOBN]); dst != nil {
		m.Dst = dst
	}
	return m, nil
}

func (c *ICMPConn) readError(err error) error {
	return &families.Error{Op: "read", Spec: c.Spec(), Err: families.Cause(err)}
}

// pendingError reports whether a read failed with the errno of an ICMP
// error (sk_err), which a socket with IP_RECVERR also queues.
func pendingError(err error) bool {
	errno, ok := families.Errno(err)
	return ok && errno != unix.EAGAIN
}

// cmsgTTL is the TTL or hop limit in a read's control messages.
func cmsgTTL(oob []byte) (int, bool) {
	if t, ok := families.CmsgUint32(oob, unix.IPPROTO_IP, unix.IP_TTL); ok {
		return int(int32(t)), true
	}
	t, ok := families.CmsgUint32(oob, unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT)
	return int(int32(t)), ok
}

// cmsgDst is the destination address in a read's IPV6_PKTINFO (struct
// in6_pktinfo: the address, then the interface index), or nil.
func cmsgDst(oob []byte) net.IP {
	if d := families.Cmsg(oob, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO); len(d) >= net.IPv6len {
		return net.IP(append([]byte(nil), d[:net.IPv6len]...))
	}
	return nil
}

// readQueued reads one entry of a datagram socket's error queue, or
// returns nil, nil when there is none.
func (c *ICMPConn) readQueued(b []byte) (*ICMPMessage, error) {
	if !c.errq {
		return nil, nil
	}
	oob := make([]byte, 512)
	r, _, err := c.recv(b, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
	if errors.Is(err, unix.EAGAIN) {
		return nil, nil
	}
	if err != nil {
		return nil, c.readError(err)
	}
	return c.queued(b[:r.N], oob[:r.OOBN], ipOf(r.Addr))
}

// sizeofSockExtendedErr is sizeof(struct sock_extended_err).
const sizeofSockExtendedErr = 16

// queued decodes an error queue entry: data is the echo we sent, to dst,
// and oob holds a sock_extended_err with the ICMP type and code, followed
// by the address of the router that sent it (SO_EE_OFFENDER).
func (c *ICMPConn) queued(data, oob []byte, dst net.IP) (*ICMPMessage, error) {
	ee := families.Cmsg(oob, unix.IPPROTO_IP, unix.IP_RECVERR)
	if ee == nil {
		ee = families.Cmsg(oob, unix.IPPROTO_IPV6, unix.IPV6_RECVERR)
	}
	if len(ee) < sizeofSockExtendedErr {
		return nil, &families.Error{Op: "read", Spec: c.Spec(), Err: errors.New("error queue entry without IP_RECVERR data")}
	}
	if origin := ee[4]; origin != unix.SO_EE_ORIGIN_ICMP && origin != unix.SO_EE_ORIGIN_ICMP6 {
		// A local error, such as EMSGSIZE on send: report its errno.
		errno := syscall.Errno(binary.NativeEndian.Uint32(ee))
		return nil, &families.Error{Op: "send", Spec: c.Spec(), Err: os.NewSyscallError("sendto", errno), Hint: sendHint(errno)}
	}
	m := queuedError(c.ver, int(ee[5]), int(ee[6]), int(binary.NativeEndian.Uint32(ee[8:])), data, dst)
	m.From, m.Time = offender(ee[sizeofSockExtendedErr:]), time.Now()
	return m, nil
}

// offender reads the sockaddr after a sock_extended_err.
func offender(sa []byte) net.IP {
	if len(sa) < 8 {
		return nil
	}
	switch binary.NativeEndian.Uint16(sa) {
	case unix.AF_INET:
		return net.IP(append([]byte(nil), sa[4:8]...))
	case unix.AF_INET6:
		if len(sa) >= 24 {
			return net.IP(append([]byte(nil), sa[8:24]...))
		}
	}
	return nil
}
