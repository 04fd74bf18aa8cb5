package rawsock

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/socklab/socklab/families"
	"golang.org/x/sys/unix"
)

// listenICMP opens the ICMP socket of mode: validate, bind, wrap, set the
// options.
func listenICMP(cfg ICMPConfig, mode Mode) (*ICMPConn, error) {
	spec := ICMPSpec(cfg.IPVersion, mode)
	ip, err := cfg.check(spec)
	if err != nil {
		return nil, err
	}
	fd, err := families.Socket(spec)
	if err != nil {
		return nil, withOpenHint(err)
	}
	if err := bindICMP(fd, spec, cfg, ip); err != nil {
		families.Close(fd)
		return nil, err
	}
	conn, err := families.NewConn(fd, spec)
	if err != nil {
		return nil, err
	}
	c := wrapICMP(conn)
	if mode == ModeRaw {
		c.id = cfg.ID
	}
	if err := c.setOptions(cfg); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// icmpNetwork is the Go network of ICMP addresses: a datagram socket's
// peers have no port either.
func icmpNetwork(ipVersion int) string {
	if ipVersion == 6 {
		return "ip6:ipv6-icmp"
	}
	return "ip4:icmp"
}

// bindICMP binds a datagram socket to its echo ID, which is its port (0:
// the kernel picks one), and either kind to the address ip. A raw socket
// without an address stays unbound.
func bindICMP(fd int, spec families.Spec, cfg ICMPConfig, ip net.IP) error {
	port := cfg.ID
	if spec.Type == families.SOCK_RAW {
		if ip == nil {
			return nil
		}
		port = 0
	}
	err := families.Bind(fd, spec.Family, &net.UDPAddr{IP: ip, Port: port})
	if err == nil {
		return nil
	}
	e := &families.Error{Op: "bind", Spec: spec, Addr: cfg.Bind, Err: os.NewSyscallError("bind", err), Hint: families.Hint(spec, err)}
	if e.Addr == "" {
		e.Addr = fmt.Sprintf("id %d", cfg.ID)
	}
	if errors.Is(err, unix.EADDRINUSE) {
		e.Hint = fmt.Sprintf("another ICMP datagram socket uses echo id %d: choose another echo id or leave it to the kernel", cfg.ID)
		e.Terms = []families.Term{families.TermEchoID}
	}
	return e
}

// wrapICMP wraps conn, a new or adopted ICMP socket, and reads from the
// socket what it is set to: the port a datagram socket is bound to (its
// echo ID), and whether IP_RECVERR queues its errors.
func wrapICMP(conn families.Conn) *ICMPConn {
	c := newICMPConn(conn)
	families.Control(conn, func(fd int) error {
		if ap, err := families.Sockname(fd); err == nil && c.mode == ModeDgram {
			c.id = int(ap.Port())
		}
		level, opt := recvErrOption(c.ver)
		v, err := families.GetsockoptInt(fd, level, opt)
		c.errq = err == nil && v != 0 && c.mode == ModeDgram
		return nil
	})
	return c
}

var recvErrName = map[int]string{4: "IP_RECVERR", 6: "IPV6_RECVERR"}

func recvErrOption(ipVersion int) (level, opt int) {
	if ipVersion == 6 {
		return unix.IPPROTO_IPV6, unix.IPV6_RECVERR
	}
	return unix.IPPROTO_IP, unix.IP_RECVERR
}

// setOptions sets what cfg asks of a new socket, and what ReadICMP needs:
// the TTL as ancillary data, and on a datagram socket the error queue, the
// only way it hears of ICMP errors (a raw socket reads them as messages).
func (c *ICMPConn) setOptions(cfg ICMPConfig) error {
	if cfg.TTL > 0 {
		if err := c.SetTTL(cfg.TTL); err != nil {
			return err
		}
	}
	if cfg.IP != (families.IPOptions{}) {
		if err := c.SetIPOptions(cfg.IP); err != nil {
			return err
		}
	}
	if err := c.receiveTTL(); err != nil {
		return err
	}
	if cfg.RecvDst && c.ver == 6 {
		if err := c.setsockopt("IPV6_RECVPKTINFO", unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1, ""); err != nil {
			return err
		}
	}
	if c.mode == ModeDgram {
		level, opt := recvErrOption(c.ver)
		if err := c.setsockopt(recvErrName[c.ver], level, opt, 1, ""); err != nil {
			return err
		}
		c.errq = true
	}
	if c.mode == ModeRaw && !cfg.AllTypes {
		return c.FilterTypes(replyTypes(c.ver)...)
	}
	return nil
}

// SetTTL sets the IP TTL (IPv6: the unicast hop limit) of the messages c
// sends, 1 to 255.
func (c *ICMPConn) SetTTL(ttl int) error {
	const hint = "a TTL or hop limit is 1 to 255"
	if c.ver == 6 {
		return c.setsockopt("IPV6_UNICAST_HOPS", unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, ttl, hint)
	}
	return c.setsockopt("IP_TTL", unix.IPPROTO_IP, unix.IP_TTL, ttl, hint)
}

// SetIPOptions sets the IP header fields of the messages c sends, as
// families.SetIPOptions does: TOS or traffic class, DF, TTL, and the IPv6
// flow label (o.FlowLabel, for o.FlowDst) of messages sent to a
// families.FlowAddr that carries it, on datagram and raw sockets alike.
func (c *ICMPConn) SetIPOptions(o families.IPOptions) error {
	return families.SetIPOptions(c.Conn, o)
}

// receiveTTL asks for the TTL of each message as ancillary data; a raw
// IPv4 socket has it in the header it delivers.
func (c *ICMPConn) receiveTTL() error {
	switch {
	case c.ver == 6:
		return c.setsockopt("IPV6_RECVHOPLIMIT", unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1, "")
	case c.mode == ModeDgram:
		return c.setsockopt("IP_RECVTTL", unix.IPPROTO_IP, unix.IP_RECVTTL, 1, "")
	}
	return nil
}

// replyTypes are the ICMP types a pinger reads: the echo reply and the
// errors that come back instead of one.
func replyTypes(ipVersion int) []int {
	if ipVersion == 6 {
		return []int{1, 2, 3, 4, 129} // unreachable, too big, time exceeded, parameter problem, echo reply
	}
	return []int{0, 3, 4, 5, 11, 12} // echo reply, unreachable, quench, redirect, time exceeded, parameter problem
}

// FilterTypes lets only the ICMP types given through to a raw socket
// (ICMP_FILTER, ICMPV6_FILTER), so that a pinger on loopback does not read
// its own echo requests, or other pingers' requests, at all; no types lets
// every type through. A datagram socket reads only replies and errors for
// its own echoes anyway, and has no filter.
func (c *ICMPConn) FilterTypes(types ...int) error {
	if c.mode != ModeRaw {
		return &families.Error{Op: "setsockopt ICMP_FILTER", Spec: c.Spec(), Err: errors.New("a datagram ICMP socket has no type filter"), Hint: "open a raw socket"}
	}
	var blocked [8]uint32 // a set bit blocks the type
	if len(types) > 0 {
		blocked = [8]uint32{^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0)}
	}
	for _, t := range types {
		blocked[t>>5&7] &^= 1 << (uint(t) & 31)
	}
	if c.ver == 6 {
		f := unix.ICMPv6Filter{Data: blocked}
		return c.control("ICMPV6_FILTER", func(fd int) error { return families.SetsockoptICMPv6Filter(fd, &f) })
	}
	return c.setsockopt("ICMP_FILTER", unix.SOL_RAW, unix.ICMP_FILTER, int(int32(blocked[0])), "")
}

func (c *ICMPConn) setsockopt(name string, level, opt, value int, hint string) error {
	err := c.control(name, func(fd int) error { return families.SetsockoptInt(fd, level, opt, value) })
	if fe, ok := err.(*families.Error); ok && hint != "" {
		fe.Hint = hint
	}
	return err
}

// control runs fn on c's descriptor; its error is the failure of
// setsockopt name, with the fix for its errno.
func (c *ICMPConn) control(name string, fn func(fd int) error) error {
	err := families.Control(c.Conn, fn)
	if err == nil {
		return nil
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		err = os.NewSyscallError("setsockopt", errno)
	}
	return &families.Error{Op: "setsockopt " + name, Spec: c.Spec(), Addr: addrText(c.LocalAddr()), Err: err, Hint: families.Hint(c.Spec(), err)}
}

// addrText is a as text, "" for nil.
func addrText(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
