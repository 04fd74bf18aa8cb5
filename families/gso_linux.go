package families

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// CanGSO reports whether c, a UDP socket, can send with UDP_SEGMENT (the
// option reads back), and if not, why.
func CanGSO(c Conn) error {
	return udpOffload(c, unix.UDP_SEGMENT, "UDP_SEGMENT", "4.18")
}

// SetGRO turns on UDP_GRO on c, a UDP socket: each read may then return
// several datagrams of one peer back to back (GROSegment gives their size).
// The error says why it cannot.
func SetGRO(c Conn) error {
	if err := udpOffload(c, unix.UDP_GRO, "UDP_GRO", "5.0"); err != nil {
		return err
	}
	return Control(c, func(fd int) error {
		return os.NewSyscallError("setsockopt UDP_GRO", SetsockoptInt(fd, unix.IPPROTO_UDP, unix.UDP_GRO, 1))
	})
}

func udpOffload(c Conn, opt int, name, since string) error {
	s := c.Spec()
	if s.Type != SOCK_DGRAM || (s.Family != AF_INET && s.Family != AF_INET6) || (s.Proto != 0 && s.Proto != IPPROTO_UDP) {
		return fmt.Errorf("%s is a UDP option, and this is %s", name, s)
	}
	return Control(c, func(fd int) error {
		if _, err := GetsockoptInt(fd, unix.IPPROTO_UDP, opt); err != nil {
			return fmt.Errorf("this kernel has no %s (it came in Linux %s): getsockopt: %w", name, since, err)
		}
		return nil
	})
}

// GROSegment is the size of each datagram in a buffer read with UDP_GRO
// on, from its control messages; 0 when the kernel did not coalesce it.
func GROSegment(oob []byte) int {
	v, ok := CmsgUint32(oob, unix.IPPROTO_UDP, unix.UDP_GRO)
	if !ok {
		return 0
	}
	return int(v)
}

// IsGSOError reports a send that failed because the device cannot
// segment it (EIO: no checksum offload), where wireguard-go and quic-go
// turn GSO off and send datagram by datagram.
func IsGSOError(err error) bool { return errors.Is(err, unix.EIO) }

// SetSegment makes the last message added to b a UDP_SEGMENT send: its
// bytes go out as datagrams of size bytes each (the last may be shorter).
func (b *SendBatch) SetSegment(size int) {
	k := b.n - 1
	h := &b.hdrs[k].Hdr
	slot := b.ctrl[k*sendCtrlSpace : k*sendCtrlSpace+int(h.Controllen) : (k+1)*sendCtrlSpace]
	var v [2]byte
	binary.NativeEndian.PutUint16(v[:], uint16(size))
	ctl := appendCmsg(slot, unix.IPPROTO_UDP, unix.UDP_SEGMENT, v[:])
	h.Control = &ctl[0]
	h.SetControllen(len(ctl))
}
