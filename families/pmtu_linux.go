package families

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// PathMTU is the path MTU the kernel holds for peer: IP_MTU (IPV6_MTU) of
// a UDP socket connected to it, which is the route's MTU lowered by any
// "fragmentation needed" or "packet too big" the kernel has heard for the
// destination.
func PathMTU(family int, peer net.Addr) (int, error) {
	spec := NewSpec(family, SOCK_DGRAM, IPPROTO_UDP)
	fd, err := sysSocket(spec)
	if err != nil {
		return 0, os.NewSyscallError("socket", err)
	}
	defer sysClose(fd)
	if err := Connect(fd, family, peer); err != nil {
		return 0, os.NewSyscallError("connect", err)
	}
	level, opt, name := unix.IPPROTO_IP, unix.IP_MTU, "getsockopt IP_MTU"
	if family == AF_INET6 {
		level, opt, name = unix.IPPROTO_IPV6, unix.IPV6_MTU, "getsockopt IPV6_MTU"
	}
	mtu, err := GetsockoptInt(fd, level, opt)
	return mtu, os.NewSyscallError(name, err)
}

// IPOverhead is the IP and UDP header bytes of a datagram of family: 28
// over IPv4, 48 over IPv6. An MTU less this is the largest payload.
func IPOverhead(family int) int {
	if family == AF_INET6 {
		return 48
	}
	return 28
}

// ReadErrQueue takes one report from c's error queue (MSG_ERRQUEUE), with
// IP_RECVERR or IPV6_RECVERR on; false when the queue is empty.
func ReadErrQueue(c MsgConn) (ErrReport, bool) {
	var buf [2048]byte
	var oob [256]byte
	m, err := c.RecvMsg(buf[:], oob[:], unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
	if err != nil {
		return ErrReport{}, false
	}
	return parseErrReport(oob[:m.OOBN])
}

// parseErrReport reads struct sock_extended_err and the offender's
// address that follows it.
func parseErrReport(oob []byte) (ErrReport, bool) {
	d := Cmsg(oob, unix.IPPROTO_IP, unix.IP_RECVERR)
	if d == nil {
		d = Cmsg(oob, unix.IPPROTO_IPV6, unix.IPV6_RECVERR)
	}
	if len(d) < sizeofExtendedErr {
		return ErrReport{}, false
	}
	r := ErrReport{Errno: syscall.Errno(binary.NativeEndian.Uint32(d)), Origin: d[4], Type: d[5], Code: d[6],
		Info: binary.NativeEndian.Uint32(d[8:])}
	off := d[sizeofExtendedErr:]
	switch {
	case len(off) >= 8 && binary.NativeEndian.Uint16(off) == unix.AF_INET:
		r.Offender = netip.AddrFrom4([4]byte(off[4:8]))
	case len(off) >= 24 && binary.NativeEndian.Uint16(off) == unix.AF_INET6:
		r.Offender = netip.AddrFrom16([16]byte(off[8:24])).Unmap()
	}
	return r, true
}

// ProbePathMTU discovers the path MTU to peer with a socket of def, UDP
// over IPv4 or IPv6: see PMTUConfig. It fails only when the socket cannot
// be made; what the path says is in the result.
func ProbePathMTU(ctx context.Context, def *Definition, peer *net.UDPAddr, cfg PMTUConfig) (PMTUResult, error) {
	c, err := def.Open(Options{})
	if err != nil {
		return PMTUResult{}, err
	}
	defer c.Close()
	p := &prober{c: c.(MsgConn), peer: peer, cfg: cfg.withDefaults(), family: def.Spec.Family}
	if err := p.setUp(); err != nil {
		return PMTUResult{}, &Error{Op: "pmtu", Spec: def.Spec, Addr: peer.String(), Err: err}
	}
	return p.run(ctx), nil
}

func (cfg PMTUConfig) withDefaults() PMTUConfig {
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	if cfg.Tries <= 0 {
		cfg.Tries = 2
	}
	return cfg
}

// prober is one discovery: a socket connected to the peer, DF set.
type prober struct {
	c      MsgConn
	peer   *net.UDPAddr
	cfg    PMTUConfig
	family int
	buf    []byte
}

// setUp turns on error reports and DF probing, and connects.
func (p *prober) setUp() error {
	if err := ReportICMPErrors(p.c); err != nil {
		return err
	}
	if err := SetIPOptions(p.c, IPOptions{DF: DFProbe}); err != nil {
		return err
	}
	return Control(p.c, func(fd int) error { return os.NewSyscallError("connect", Connect(fd, p.family, p.peer)) })
}

// mtu reads the path MTU the connected socket's route has.
func (p *prober) mtu() int {
	level, opt := unix.IPPROTO_IP, unix.IP_MTU
	if p.family == AF_INET6 {
		level, opt = unix.IPPROTO_IPV6, unix.IPV6_MTU
	}
	var v int
	Control(p.c, func(fd int) error {
		var err error
		v, err = GetsockoptInt(fd, level, opt)
		return err
	})
	return v
}

// run probes from the route's MTU down until a probe reaches the peer or
// no router answers.
func (p *prober) run(ctx context.Context) PMTUResult {
	size := p.mtu()
	r := PMTUResult{Dest: p.peer.String(), RouteMTU: size, PMTU: size}
	p.buf = make([]byte, max(size, 65536))
	for len(r.Steps) < 64 && ctx.Err() == nil {
		st := p.probe(ctx, size)
		r.Steps = append(r.Steps, st)
		switch {
		case st.Outcome == "reached":
			r.PMTU, r.Reached = size, true
			return r
		case (st.Outcome == "too-big" || st.Outcome == "local") && st.MTU > 0 && st.MTU < size:
			size, r.PMTU = st.MTU, st.MTU
		default:
			return r
		}
	}
	return r
}

// probe sends one datagram making a packet of size bytes, up to Tries
// times, and reports what came of it.
func (p *prober) probe(ctx context.Context, size int) PMTUStep {
	st := PMTUStep{Size: size, Outcome: "no-answer"}
	payload := p.buf[:max(size-IPOverhead(p.family), 0)]
	for try := 0; try < p.cfg.Tries && ctx.Err() == nil; try++ {
		if _, err := p.c.WriteTo(payload, p.peer); err != nil {
			return p.failed(st, err)
		}
		p.c.SetReadDeadline(time.Now().Add(p.cfg.Timeout))
		stop := context.AfterFunc(ctx, func() { p.c.SetReadDeadline(time.Unix(1, 0)) })
		_, err := p.c.RecvMsg(p.buf, nil, 0)
		stop()
		if err == nil {
			st.Outcome, st.From = "reached", addrOf(p.peer)
			return st
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return p.failed(st, err)
		}
	}
	return st
}

// failed reads what the kernel reported of a probe that failed.
func (p *prober) failed(st PMTUStep, err error) PMTUStep {
	rep, ok := ReadErrQueue(p.c)
	errno, _ := Errno(err)
	if ok {
		errno = rep.Errno
	}
	switch {
	case errno == unix.EMSGSIZE && ok && rep.Origin == unix.SO_EE_ORIGIN_LOCAL:
		st.Outcome, st.MTU = "local", int(rep.Info)
	case errno == unix.EMSGSIZE && ok:
		st.Outcome, st.MTU, st.From = "too-big", int(rep.Info), rep.Offender
	case errno == unix.EMSGSIZE:
		st.Outcome, st.MTU = "local", p.mtu()
	case errno == unix.ECONNREFUSED:
		st.Outcome, st.From = "reached", rep.Offender
	default:
		st.Outcome, st.From, st.Error = "error", rep.Offender, Cause(err).Error()
	}
	return st
}

func addrOf(a *net.UDPAddr) netip.Addr {
	ip, _ := netip.AddrFromSlice(a.IP)
	return ip.Unmap()
}

// sizeofExtendedErr is the size of struct sock_extended_err.
const sizeofExtendedErr = 16
