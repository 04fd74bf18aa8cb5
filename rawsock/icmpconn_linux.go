package rawsock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// ICMPConn is an ICMP socket, datagram or raw, that reads messages with the
// TTL they arrived with and, on a datagram socket, the ICMP errors the
// kernel queues for the echoes it sent.
type ICMPConn struct {
	conn families.Conn
	rc   syscall.RawConn
	spec families.Spec
	mode Mode
	ver  int
	id   int
	errq bool // IP_RECVERR is on: read the error queue too
	buf  []byte
	oob  []byte
	ebuf []byte
	eoob []byte
	udp  *net.UDPAddr // reused destinations, so a send does not allocate
	ipa  *net.IPAddr
}

// ListenICMP opens an ICMP socket as cfg says. In ModeAuto it tries the
// datagram socket, then the raw one; if both fail the error is an
// *OpenError holding both reasons and their fixes.
func ListenICMP(cfg ICMPConfig) (*ICMPConn, error) {
	if cfg.IPVersion != 6 {
		cfg.IPVersion = 4
	}
	if cfg.Mode != ModeAuto {
		return listenICMP(cfg, cfg.Mode)
	}
	c, derr := listenICMP(cfg, ModeDgram)
	if derr == nil {
		return c, nil
	}
	c, rerr := listenICMP(cfg, ModeRaw)
	if rerr == nil {
		return c, nil
	}
	return nil, &OpenError{IPVersion: cfg.IPVersion, Dgram: derr, Raw: rerr}
}

func listenICMP(cfg ICMPConfig, mode Mode) (*ICMPConn, error) {
	spec := ICMPSpec(cfg.IPVersion, mode)
	addr := cfg.Bind
	var ip net.IP
	if addr != "" {
		ip = net.ParseIP(addr)
		if ip == nil || (cfg.IPVersion == 4) != (ip.To4() != nil) {
			return nil, &families.Error{Op: "bind", Spec: spec, Addr: addr, Err: fmt.Errorf("not an IPv%d address", cfg.IPVersion), Hint: "give a local address of this host, e.g. from ip addr"}
		}
	}
	if cfg.ID < 0 || cfg.ID > 65535 {
		return nil, &families.Error{Op: "bind", Spec: spec, Addr: addr, Err: fmt.Errorf("echo id %d out of range", cfg.ID), Hint: "an echo id is 0 to 65535"}
	}
	fd, err := families.Socket(spec)
	if err != nil {
		return nil, withOpenHint(err)
	}
	fail := func(op string, err error, hint string) (*ICMPConn, error) {
		unix.Close(fd)
		if hint == "" {
			hint = families.Hint(spec, err)
		}
		return nil, &families.Error{Op: op, Spec: spec, Addr: addr, Err: os.NewSyscallError(op, err), Hint: hint}
	}
	v6 := cfg.IPVersion == 6
	if mode == ModeDgram || ip != nil {
		var sa unix.Sockaddr
		if v6 {
			s := &unix.SockaddrInet6{Port: cfg.ID}
			copy(s.Addr[:], ip.To16())
			sa = s
		} else {
			s := &unix.SockaddrInet4{Port: cfg.ID}
			copy(s.Addr[:], ip.To4())
			sa = s
		}
		if mode == ModeRaw {
			sa = zeroPort(sa)
		}
		if err := unix.Bind(fd, sa); err != nil {
			hint := ""
			if errors.Is(err, unix.EADDRINUSE) {
				hint = fmt.Sprintf("another ICMP datagram socket uses echo id %d: choose another -e or leave it to the kernel", cfg.ID)
			}
			if addr == "" {
				addr = fmt.Sprintf("id %d", cfg.ID)
			}
			return fail("bind", err, hint)
		}
	}
	if cfg.TTL > 0 {
		if v6 {
			err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, cfg.TTL)
		} else {
			err = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TTL, cfg.TTL)
		}
		if err != nil {
			return fail("setsockopt", err, "a TTL or hop limit is 1 to 255")
		}
	}
	// The TTL each message arrives with: a raw IPv4 socket has it in the
	// header it delivers; the others need it as ancillary data.
	if v6 {
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1)
	} else if mode == ModeDgram {
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVTTL, 1)
	}
	if err != nil {
		return fail("setsockopt", err, "")
	}
	// A datagram socket gets ICMP errors for its echoes only through the
	// error queue; a raw socket reads them as ordinary ICMP messages.
	errq := mode == ModeDgram
	if errq {
		if v6 {
			err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVERR, 1)
		} else {
			err = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVERR, 1)
		}
		if err != nil {
			return fail("setsockopt", err, "")
		}
	}
	if mode == ModeRaw && !cfg.AllTypes {
		if err := setReplyFilter(fd, v6); err != nil {
			return fail("setsockopt", err, "")
		}
	}
	network := "ip4:icmp"
	switch {
	case v6 && mode == ModeDgram:
		network = "udp6"
	case v6:
		network = "ip6:ipv6-icmp"
	case mode == ModeDgram:
		network = "udp4"
	}
	conn, err := families.NewConn(fd, spec, network)
	if err != nil {
		return nil, err
	}
	c := &ICMPConn{conn: conn, spec: spec, mode: mode, ver: cfg.IPVersion, id: cfg.ID, errq: errq,
		buf: make([]byte, 65536+60), oob: make([]byte, 512), udp: &net.UDPAddr{}, ipa: &net.IPAddr{}}
	if errq {
		c.ebuf, c.eoob = make([]byte, 65536), make([]byte, 512)
	}
	if sc, ok := conn.(syscall.Conn); ok {
		c.rc, err = sc.SyscallConn()
	} else {
		err = fmt.Errorf("%T has no descriptor", conn)
	}
	if err != nil {
		conn.Close()
		return nil, &families.Error{Op: "adopt", Spec: spec, Err: err}
	}
	if mode == ModeDgram {
		switch a := conn.LocalAddr().(type) {
		case *net.UDPAddr:
			c.id = a.Port
		}
	}
	return c, nil
}

// sizeofSockExtendedErr is sizeof(struct sock_extended_err).
const sizeofSockExtendedErr = 16

func zeroPort(sa unix.Sockaddr) unix.Sockaddr {
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		s.Port = 0
	case *unix.SockaddrInet6:
		s.Port = 0
	}
	return sa
}

// setReplyFilter lets through echo replies and the errors a pinger reports,
// so a raw socket on loopback does not read our own echo requests (and
// other pingers' requests) at all. A set bit blocks the type.
func setReplyFilter(fd int, v6 bool) error {
	if v6 {
		var f unix.ICMPv6Filter
		for i := range f.Data {
			f.Data[i] = 0xffffffff
		}
		for _, t := range []int{1, 2, 3, 4, 129} { // unreachable, too big, time exceeded, parameter problem, echo reply
			f.Data[t>>5] &^= 1 << (uint(t) & 31)
		}
		return unix.SetsockoptICMPv6Filter(fd, unix.SOL_ICMPV6, unix.ICMPV6_FILTER, &f)
	}
	allow := uint32(1<<0 | 1<<3 | 1<<4 | 1<<5 | 1<<11 | 1<<12) // reply, unreachable, quench, redirect, time exceeded, parameter problem
	return unix.SetsockoptInt(fd, unix.SOL_RAW, unix.ICMP_FILTER, int(int32(^allow)))
}

// Spec is the socket() triple the conn was opened as.
func (c *ICMPConn) Spec() families.Spec { return c.spec }

// Mode is ModeDgram or ModeRaw: the socket that opened.
func (c *ICMPConn) Mode() Mode { return c.mode }

// ID is the echo identifier: on a datagram socket the bound port, which the
// kernel writes into every echo request it sends.
func (c *ICMPConn) ID() int { return c.id }

// Conn is the underlying families.Conn.
func (c *ICMPConn) Conn() families.Conn { return c.conn }

// Close closes the socket, unblocking a Read.
func (c *ICMPConn) Close() error { return c.conn.Close() }

// SetReadDeadline sets the deadline for Read.
func (c *ICMPConn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// WriteTo sends msg, a marshalled ICMP message, to dst. On a datagram
// socket the kernel replaces the echo identifier with the socket's port
// and computes the checksum.
func (c *ICMPConn) WriteTo(msg []byte, dst *net.IPAddr) error {
	var to net.Addr
	if c.mode == ModeDgram {
		c.udp.IP, c.udp.Zone = dst.IP, dst.Zone
		to = c.udp
	} else {
		c.ipa.IP, c.ipa.Zone = dst.IP, dst.Zone
		to = c.ipa
	}
	if _, err := c.conn.WriteTo(msg, to); err != nil {
		return sendError(c.spec, dst.String(), err)
	}
	return nil
}

// Read waits for the next message. Its Data is valid until the next Read.
// On a datagram socket an ICMP error the kernel queued for one of our
// echoes comes back as an Incoming with Queued set.
func (c *ICMPConn) Read() (Incoming, error) {
	var in Incoming
	var n, oobn, en, eoobn int
	var from unix.Sockaddr
	var serr, eerr error
	queued := false
	err := c.rc.Read(func(fd uintptr) bool {
		for range 4 {
			if c.errq {
				en, eoobn, _, _, eerr = unix.Recvmsg(int(fd), c.ebuf, c.eoob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
				if eerr == nil {
					queued = true
					return true
				}
			}
			n, oobn, _, from, serr = unix.Recvmsg(int(fd), c.buf, c.oob, unix.MSG_TRUNC)
			switch {
			case serr == nil:
				return true
			case serr == unix.EAGAIN:
				return false
			case serr == unix.EINTR:
				continue
			case c.errq:
				// The socket's pending error (sk_err) from a queued ICMP
				// error: read the queue on the next turn.
				continue
			}
			return true
		}
		return false
	})
	in.Time = time.Now()
	in.TTL = -1
	if err == nil && !queued && serr != nil {
		err = os.NewSyscallError("recvmsg", serr)
	}
	if err != nil {
		return in, &families.Error{Op: "read", Spec: c.spec, Err: families.Cause(err)}
	}
	if queued {
		return c.parseQueued(c.ebuf[:en], c.eoob[:eoobn], in)
	}
	in.Size = n
	data := c.buf[:min(n, len(c.buf))]
	if sa := families.SockaddrToAddr(from, "ip4"); sa != nil {
		in.From = sa.(*net.IPAddr).IP
	}
	if c.ver == 4 && c.mode == ModeRaw {
		h, err := ipv4.ParseHeader(data)
		if err != nil {
			return in, &families.Error{Op: "read", Spec: c.spec, Err: fmt.Errorf("bad IPv4 header from the raw socket: %w", err)}
		}
		in.TTL = h.TTL
		in.IPHeaderLen = h.Len
		data = data[h.Len:]
		in.Size -= h.Len
	}
	in.Data = data
	c.parseTTL(c.oob[:oobn], &in)
	return in, nil
}

func (c *ICMPConn) parseTTL(oob []byte, in *Incoming) {
	if len(oob) == 0 {
		return
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		if (m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_TTL) ||
			(m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_HOPLIMIT) {
			in.TTL = int(int32(binary.NativeEndian.Uint32(m.Data)))
		}
	}
}

// parseQueued reads a sock_extended_err: the ICMP type and code, the
// router that sent it (SO_EE_OFFENDER) and, as data, the echo we sent.
func (c *ICMPConn) parseQueued(data, oob []byte, in Incoming) (Incoming, error) {
	in.Data, in.Size = data, len(data)
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return in, &families.Error{Op: "read", Spec: c.spec, Err: fmt.Errorf("error queue: %w", err)}
	}
	for _, m := range msgs {
		isErr := (m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_RECVERR) ||
			(m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_RECVERR)
		if !isErr || len(m.Data) < sizeofSockExtendedErr {
			continue
		}
		d := m.Data
		origin := d[4]
		q := &QueuedError{Type: int(d[5]), Code: int(d[6]), Info: binary.NativeEndian.Uint32(d[8:])}
		if origin != unix.SO_EE_ORIGIN_ICMP && origin != unix.SO_EE_ORIGIN_ICMP6 {
			// A local error, such as EMSGSIZE on send: report its errno.
			errno := syscall.Errno(binary.NativeEndian.Uint32(d[0:]))
			return in, &families.Error{Op: "send", Spec: c.spec, Err: os.NewSyscallError("sendto", errno), Hint: sendHint(errno)}
		}
		off := d[sizeofSockExtendedErr:]
		if len(off) >= 8 {
			switch binary.NativeEndian.Uint16(off) {
			case unix.AF_INET:
				in.From = net.IP(append([]byte(nil), off[4:8]...))
			case unix.AF_INET6:
				if len(off) >= 24 {
					in.From = net.IP(append([]byte(nil), off[8:24]...))
				}
			}
		}
		in.Queued = q
	}
	if in.Queued == nil {
		return in, &families.Error{Op: "read", Spec: c.spec, Err: errors.New("error queue entry without IP_RECVERR data")}
	}
	return in, nil
}
