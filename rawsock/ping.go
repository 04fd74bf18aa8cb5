package rawsock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/socklab/socklab/families"
)

// MinUserInterval is the shortest interval that ping allows without
// privilege (2 ms in iputils 20221126; older ones said 200 ms); a flood that
// is given no interval sends as fast as replies come, and needs privilege
// too. socklab asks for the same, CAP_NET_RAW, found by opening a raw
// socket.
const MinUserInterval = 2 * time.Millisecond

// PingOptions are ping's options.
type PingOptions struct {
	IPVersion int  // 4 or 6
	Mode      Mode // auto, dgram or raw socket
	Count     int  // -c: stop after this many echoes (0: until cancelled); with Deadline, after this many replies
	// Interval is -i, the time between echoes (0: 1 s; with Flood, as
	// fast as replies come, at least every 10 ms). Below MinUserInterval,
	// and a flood without one, it needs CAP_NET_RAW.
	Interval time.Duration
	Size     int           // -s: echo data bytes (default 56 when negative)
	TTL      int           // -t: IP TTL or IPv6 hop limit (0: the system's)
	Timeout  time.Duration // -W: how long to wait for each reply; a later one is late
	Deadline time.Duration // -w: stop after this long, whatever else
	Flood    bool          // -f: send as soon as the reply comes, at least every Interval
	ID       int           // -e: the echo identifier (a datagram socket binds it as its port)
	Source   string        // -I: a local address to send from
	// IP are the header fields of the requests: -Q (TOS, traffic class),
	// -M (DF) and, over IPv6, -F (flow label; Ping fills in FlowDst). Ping sets them on its socket; PingOn sends to a
	// families.FlowAddr with the flow label, and reports them.
	IP families.IPOptions
	// OnEvent receives every event as it happens, one at a time.
	OnEvent func(PingEvent)
}

// PingConn is an ICMP socket as PingOn and ServeICMP use it: an *ICMPConn,
// or in tests a fake that plays the network's part.
type PingConn interface {
	ReadICMP(b []byte) (*ICMPMessage, error)
	WriteTo(b []byte, addr net.Addr) (int, error)
	SetReadDeadline(t time.Time) error
	Spec() families.Spec
	Mode() Mode
	ID() int
}

// ErrNoReply is returned by Ping when no echo reply came back at all, so a
// command can exit 1 as ping does.
var ErrNoReply = errors.New("no reply")

// ResolveHost resolves host to an address of ipVersion.
func ResolveHost(ctx context.Context, ipVersion int, host string) (*net.IPAddr, error) {
	network := "ip4"
	if ipVersion == 6 {
		network = "ip6"
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, network, host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("%s: no IPv%d address (%v): give an IPv%d address or a name that has one", host, ipVersion, err, ipVersion)
	}
	a := ips[0].Unmap()
	return &net.IPAddr{IP: net.IP(a.AsSlice()), Zone: a.Zone()}, nil
}

// Ping opens an ICMP socket as o says, sends echo requests to dst and
// matches the replies, calling o.OnEvent for each event, until o.Count,
// o.Deadline or ctx ends it. It returns the statistics; the error is
// ErrNoReply when nothing came back, or why the socket did not open or
// send.
func Ping(ctx context.Context, dst *net.IPAddr, o PingOptions) (*PingStats, error) {
	if err := o.checkPrivilege(dst); err != nil { // before the flood's default interval
		return nil, err
	}
	o = o.withDefaults()
	if err := o.check(dst); err != nil {
		return nil, err
	}
	if o.IP.FlowLabel != 0 {
		o.IP.FlowDst, _ = netip.AddrFromSlice(dst.IP)
	}
	c, err := ListenICMP(ICMPConfig{IPVersion: o.IPVersion, Mode: o.Mode, ID: o.ID, Bind: o.Source, TTL: o.TTL, IP: o.IP})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return PingOn(ctx, c, dst, o)
}

// PingOn is Ping on c, a socket the caller opened and still owns; o's
// Mode, ID, Source, TTL and IP options are c's business, but with
// o.IP.FlowLabel PingOn sends to dst with the label. PingOn does not
// apply ping's rule that flooding and intervals below MinUserInterval
// need CAP_NET_RAW, as Ping does. It stops its reads with a read deadline, which it clears
// before it returns.
func PingOn(ctx context.Context, c PingConn, dst *net.IPAddr, o PingOptions) (*PingStats, error) {
	o = o.withDefaults()
	if err := o.check(dst); err != nil {
		return nil, err
	}
	p := newPinger(c, dst, o)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.readLoop()
	}()
	serr := p.sendLoop(ctx)
	p.stopReading()
	<-done
	c.SetReadDeadline(time.Time{})
	st := p.finish()
	if serr != nil {
		return st, serr
	}
	if st.Received == 0 && st.Transmitted > 0 {
		return st, ErrNoReply
	}
	return st, nil
}

func (o PingOptions) withDefaults() PingOptions {
	if o.IPVersion != 6 {
		o.IPVersion = 4
	}
	if o.Interval == 0 {
		o.Interval = time.Second
		if o.Flood {
			o.Interval = 10 * time.Millisecond
		}
	}
	if o.Size < 0 {
		o.Size = 56
	}
	return o
}

// check refuses what no ICMP socket can send.
func (o PingOptions) check(dst *net.IPAddr) error {
	maxSize := 65535 - 20 - 8
	if o.IPVersion == 6 {
		maxSize = 65535 - 8
	}
	fail := func(err error, hint string, term families.Term) error {
		return &families.Error{Op: "ping", Spec: ICMPSpec(o.IPVersion, ModeRaw), Addr: dst.String(), Err: err, Hint: hint, Terms: []families.Term{term}}
	}
	switch {
	case o.Size > maxSize:
		return fail(fmt.Errorf("packet size %d is too large", o.Size), fmt.Sprintf("the packet size is at most %d for IPv%d", maxSize, o.IPVersion), families.TermPacketSize)
	case o.TTL < 0 || o.TTL > 255:
		return fail(fmt.Errorf("ttl %d out of range", o.TTL), "the TTL is 1 to 255", families.TermTTL)
	case o.Interval < 0:
		return fail(fmt.Errorf("interval %v is negative", o.Interval), "the interval is in seconds, e.g. 0.5", families.TermInterval)
	}
	return nil
}

// checkPrivilege applies ping's rule: only a privileged user sends more
// often than MinUserInterval, or floods without an interval. The
// privilege is CAP_NET_RAW, found by opening a raw socket.
func (o PingOptions) checkPrivilege(dst *net.IPAddr) error {
	what := ""
	switch {
	case o.Flood && o.Interval == 0:
		what = "flooding without an interval"
	case o.Interval > 0 && o.Interval < MinUserInterval:
		what = fmt.Sprintf("an interval of %v (below %v)", o.Interval, MinUserInterval)
	default:
		return nil
	}
	spec := ICMPSpec(o.IPVersion, ModeRaw)
	err := families.ProbeSpec(spec)
	if err == nil {
		return nil
	}
	var fe *families.Error
	if errors.As(err, &fe) {
		err = families.Cause(fe.Err) // the errno: the hint below replaces fe's
	}
	return &families.Error{Op: "ping", Spec: spec, Addr: dst.String(), Err: fmt.Errorf("%s needs CAP_NET_RAW, as with ping: %w", what, err),
		Hint: families.RawHint() + fmt.Sprintf("; or an interval of %v or more", MinUserInterval), Terms: []families.Term{families.TermInterval}}
}
