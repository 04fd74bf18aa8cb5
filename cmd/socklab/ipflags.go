package main

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

// The IP layer's flags: header fields of what a command sends, multicast
// and broadcast, per-datagram facts on serve -v. Each command embeds its
// struct once; all of them share ipHeaderFlags.

// ipHeaderFlags set the IP header fields of every datagram a command
// sends (a server's replies included).
type ipHeaderFlags struct {
	TTL string `name:"ttl" aliases:"hop-limit" placeholder:"1-255" help:"TTL (IPv4) or hop limit (IPv6) of the datagrams sent: IP_TTL, IPV6_UNICAST_HOPS (default 64)."`
	TOS string `name:"tos" aliases:"tclass" placeholder:"DSCP[,ECN]" help:"TOS byte (IPv4) or traffic class (IPv6): a DSCP name (be, le, cs0-cs7, af11-af43, ef, va), an ECN codepoint (not-ect, ect0, ect1, ce), both (ef,ect0), or a number 0-255."`
	DF  string `name:"df" placeholder:"do|want|dont|probe" help:"Don't Fragment, as ping -M (IP_MTU_DISCOVER): do sets DF and refuses datagrams past the path MTU, want sets it while they fit, dont lets routers fragment, probe sets DF past the known path MTU."`
}

// peerIPFlags are for commands that send to one peer: a group, a
// broadcast address, a flow.
type peerIPFlags struct {
	FlowLabel string `name:"flowlabel" placeholder:"1-0xfffff" help:"IPv6 flow label of the datagrams (flow label manager and IPV6_FLOWINFO_SEND)."`
	McastTTL  string `name:"mcast-ttl" aliases:"mcast-hops" placeholder:"0-255" help:"TTL or hop limit of datagrams to a group: IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS (default 1: this link only)."`
	McastLoop string `name:"mcast-loop" placeholder:"on|off" help:"Whether members of the group on this host hear what is sent to it: IP_MULTICAST_LOOP (default on)."`
	McastIf   string `name:"mcast-if" placeholder:"IFACE" help:"Interface datagrams to a group leave by: IP_MULTICAST_IF (default: the group's route)."`
	Broadcast bool   `help:"Allow sending to a broadcast address (SO_BROADCAST); every host there may answer, and each answer is shown."`
}

// serveIPFlags are serve's: header fields of its replies, groups to join.
type serveIPFlags struct {
	ipHeaderFlags `embed:""`
	Join          []string `placeholder:"GROUP[%IFACE]" sep:"none" help:"Join a multicast group (IPv4 224.0.0.0/4, IPv6 ff00::/8), on an interface or the group's route; repeat for more. Without --bind the server binds the wildcard address. Replies go from the unicast address."`
	JoinSource    string   `placeholder:"ADDR" help:"Join source-specific: hear only this sender in the groups of --join (MCAST_JOIN_SOURCE_GROUP)."`
	GRO           bool     `name:"gro" help:"Read with UDP_GRO: the kernel hands over a peer's datagrams that came together as one buffer, answered by one UDP_SEGMENT send (needs -q and --reply echo; says why not otherwise)."`
}

// sendIPFlags are send's.
type sendIPFlags struct {
	ipHeaderFlags `embed:""`
	peerIPFlags   `embed:""`
}

// pingIPFlags are ping's header flags, with iputils ping's letters: -Q,
// -M, -F (icmp6 only; icmp4's help leaves it out).
type pingIPFlags struct {
	TOS       string `short:"Q" name:"tos" aliases:"tclass" placeholder:"DSCP[,ECN]" help:"TOS byte (icmp4) or traffic class (icmp6) of the requests, as ping -Q (IP_TOS, IPV6_TCLASS): a DSCP name (be, le, cs0-cs7, af11-af43, ef, va), an ECN codepoint (not-ect, ect0, ect1, ce), both (ef,ect0), or a number 0-255."`
	DF        string `short:"M" name:"df" placeholder:"do|want|dont|probe" help:"Don't Fragment, as ping -M (IP_MTU_DISCOVER, IPV6_MTU_DISCOVER): do sets DF and refuses requests past the path MTU, want sets it while they fit, dont lets the kernel (IPv4: routers too) fragment, probe sets DF past the known path MTU."`
	FlowLabel string `short:"F" name:"flowlabel" placeholder:"1-0xfffff" help:"IPv6 flow label of the requests, as ping -F (flow label manager, IPV6_FLOWINFO_SEND)."`
}

// parse checks ping's header flags for IP version v.
func (f pingIPFlags) parse(v int) (families.IPOptions, error) {
	var s ipSetup
	if err := (ipHeaderFlags{TOS: f.TOS, DF: f.DF}).parse(&s); err != nil {
		return s.opts, err
	}
	if f.FlowLabel != "" && v == 4 {
		return s.opts, fmt.Errorf("--flowlabel: IPv4 has no flow label; it is an IPv6 header field (use icmp6)")
	}
	if err := (peerIPFlags{FlowLabel: f.FlowLabel}).parse(&s); err != nil {
		return s.opts, err
	}
	s.opts.FlowLabel = s.flow
	return s.opts, nil
}

// ipSetup is what the flags asked for, checked.
type ipSetup struct {
	opts   families.IPOptions
	groups []families.Group
	source netip.Addr
	flow   uint32
}

// any reports whether the setup changes anything on a socket.
func (s ipSetup) any() bool {
	o := s.opts
	return o.TTL != 0 || o.TOS != nil || o.DF != families.DFKernel || o.Broadcast || o.MulticastTTL != nil ||
		o.MulticastLoop != nil || o.MulticastIf != "" || s.flow != 0 || len(s.groups) > 0
}

// flagError says that --name value is wrong: the library's reason, without
// its own name for the value.
func flagError(name, value string, err error) error {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, ": "); ok {
		msg = rest
	}
	return usagef("--%s %s: %s", name, value, msg)
}

// parse checks the header flags.
func (f ipHeaderFlags) parse(s *ipSetup) error {
	var err error
	if f.TTL != "" {
		if s.opts.TTL, err = families.ParseTTL(f.TTL, false); err != nil {
			return flagError("ttl", f.TTL, err)
		}
	}
	if f.TOS != "" {
		tos, err := families.ParseTOS(f.TOS)
		if err != nil {
			return flagError("tos", f.TOS, err)
		}
		s.opts.TOS = &tos
	}
	if f.DF != "" {
		if s.opts.DF, err = families.ParseDF(f.DF); err != nil {
			return flagError("df", f.DF, err)
		}
	}
	return nil
}

// parse checks the peer flags.
func (f peerIPFlags) parse(s *ipSetup) error {
	var err error
	if f.FlowLabel != "" {
		if s.flow, err = families.ParseFlowLabel(f.FlowLabel); err != nil {
			return flagError("flowlabel", f.FlowLabel, err)
		}
	}
	if f.McastTTL != "" {
		v, err := families.ParseTTL(f.McastTTL, true)
		if err != nil {
			return flagError("mcast-ttl", f.McastTTL, err)
		}
		s.opts.MulticastTTL = &v
	}
	switch strings.ToLower(f.McastLoop) {
	case "":
	case "on", "1", "yes", "true":
		on := true
		s.opts.MulticastLoop = &on
	case "off", "0", "no", "false":
		off := false
		s.opts.MulticastLoop = &off
	default:
		return fmt.Errorf("--mcast-loop %s: want on or off", f.McastLoop)
	}
	if f.McastIf != "" {
		if _, err := families.LookupInterface(f.McastIf); err != nil {
			return fmt.Errorf("--mcast-if %s: no such interface; %s", f.McastIf, strings.TrimPrefix(err.Error(), fmt.Sprintf("no interface %q here: ", f.McastIf)))
		}
		s.opts.MulticastIf = f.McastIf
	}
	s.opts.Broadcast = f.Broadcast
	return nil
}

// parse checks serve's flags.
func (f serveIPFlags) parse() (ipSetup, error) {
	var s ipSetup
	if err := f.ipHeaderFlags.parse(&s); err != nil {
		return s, err
	}
	for _, j := range f.Join {
		g, err := families.ParseGroup(j)
		if err != nil {
			return s, flagError("join", j, err)
		}
		if g.Iface != "" {
			if _, err := families.LookupInterface(g.Iface); err != nil {
				return s, fmt.Errorf("--join %s: no interface %s; %s", j, g.Iface, strings.TrimPrefix(err.Error(), fmt.Sprintf("no interface %q here: ", g.Iface)))
			}
		}
		s.groups = append(s.groups, g)
	}
	if f.JoinSource != "" {
		a, err := netip.ParseAddr(f.JoinSource)
		if err != nil || a.IsMulticast() || a.IsUnspecified() {
			return s, fmt.Errorf("--join-source %s: want the unicast IP address of the one sender to hear", f.JoinSource)
		}
		if len(f.Join) == 0 {
			return s, fmt.Errorf("--join-source %s: name the groups to hear it in with --join", f.JoinSource)
		}
		s.source = a
	}
	return s, nil
}

// checkFamily refuses IP flags on a socket without an IP header, and the
// options one IP version lacks, naming the flag.
func (s ipSetup) checkFamily(def *families.Definition) error {
	fam := def.Spec.Family
	switch {
	case !s.any():
		return nil
	case fam != families.AF_INET && fam != families.AF_INET6:
		return fmt.Errorf("%s sockets have no IP header: --ttl, --tos, --df, --flowlabel, --join, --mcast-* and --broadcast are for udp4 and udp6", def.Name)
	case fam == families.AF_INET && s.flow != 0:
		return fmt.Errorf("--flowlabel: IPv4 has no flow label; it is an IPv6 header field (use udp6)")
	case fam == families.AF_INET6 && s.opts.Broadcast:
		return fmt.Errorf("--broadcast: IPv6 has no broadcast; send to the all-nodes group ff02::1%%IFACE instead")
	}
	v6 := fam == families.AF_INET6
	for _, g := range s.groups {
		if g.Addr.Is6() != v6 {
			return fmt.Errorf("--join %s: not an %s group, and this is a %s socket", g, ipv(v6), def.Name)
		}
	}
	if s.source.IsValid() && s.source.Is6() != v6 {
		return fmt.Errorf("--join-source %s: not an %s address, and this is a %s socket", s.source, ipv(v6), def.Name)
	}
	return nil
}

func ipv(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

// defaultAddr is where a server that joins groups binds when --bind is not
// given: the wildcard address on the family's port, where datagrams to the
// groups arrive (a socket bound to 127.0.0.1 never hears a group).
func (f serveIPFlags) defaultAddr(def *families.Definition, addr string, fd int) string {
	if addr != "" || fd >= 0 || len(f.Join) == 0 {
		return addr
	}
	_, port, err := net.SplitHostPort(def.DefaultAddr)
	if err != nil {
		return addr
	}
	if def.Spec.Family == families.AF_INET6 {
		return "[::]:" + port
	}
	return "0.0.0.0:" + port
}

// apply sets serve's IP options on its sockets and joins the groups, then
// says what it joined and where replies come from. With -v, each datagram
// carries its facts (cfg.RecvInfo).
func (f serveIPFlags) apply(app *App, conns []families.Conn, s ipSetup, cfg *echo.ServerConfig, verbose bool) error {
	cfg.RecvInfo = verbose
	if err := s.checkFamily(app.Def); err != nil {
		return err
	}
	for _, c := range conns {
		if err := s.applyTo(c); err != nil {
			return err
		}
		if verbose && app.Def.Spec.Family != families.AF_UNIX {
			// Now, before the server says it listens: the kernel notes
			// a datagram's interface as it queues it.
			families.EnableRecvInfo(c)
		}
	}
	if len(s.groups) > 0 {
		f.sayJoined(app, conns[0], s)
	}
	if f.GRO {
		cfg.GRO = enableGRO(app, conns, *cfg)
	}
	return nil
}

// enableGRO turns on UDP_GRO on every serving socket, or says why the
// server reads datagram by datagram.
func enableGRO(app *App, conns []families.Conn, cfg echo.ServerConfig) bool {
	cfg.OnEvent = func(echo.Event) {} // serve prints events: set once the server is ready
	ok, why := echo.GROReplies(conns[0], cfg)
	for i := 0; ok && i < len(conns); i++ {
		if err := families.SetGRO(conns[i]); err != nil {
			ok, why = false, err.Error()
		}
	}
	if !ok {
		fmt.Fprintf(app.Stderr, "socklab: --gro: reading datagram by datagram: %s\n", why)
		return false
	}
	fmt.Fprintln(app.Stderr, "socklab: UDP_GRO on: coalesced datagrams are answered with one UDP_SEGMENT send each")
	return true
}

// applyTo sets the options on one socket and joins its groups.
func (s ipSetup) applyTo(c families.Conn) error {
	if s.opts != (families.IPOptions{}) {
		if err := families.SetIPOptions(c, s.opts); err != nil {
			return optionError(err)
		}
	}
	for _, g := range s.groups {
		if ua, ok := c.LocalAddr().(*net.UDPAddr); ok && !ua.IP.IsUnspecified() && !ua.IP.Equal(g.Addr.AsSlice()) {
			return fmt.Errorf("--join %s: a socket bound to %s never hears datagrams sent to %s: bind the wildcard address (--bind %s) or the group's", g, ua.IP, g.Addr, wildcardOf(ua))
		}
		if err := families.JoinGroup(c, g, s.source); err != nil {
			return fmt.Errorf("--join: %w", err)
		}
	}
	return nil
}

func wildcardOf(ua *net.UDPAddr) string {
	if ua.IP.To4() == nil {
		return fmt.Sprintf("[::]:%d", ua.Port)
	}
	return fmt.Sprintf("0.0.0.0:%d", ua.Port)
}

// optionError names the flag behind a socket option the kernel refused.
func optionError(err error) error {
	return fmt.Errorf("IP options (--ttl, --tos, --df, --flowlabel, --mcast-*, --broadcast): %w", err)
}

// sayJoined tells what the server joined, and that it answers from its
// unicast address: a group is never the source of a datagram.
func (f serveIPFlags) sayJoined(app *App, c families.Conn, s ipSetup) {
	var names []string
	for _, g := range s.groups {
		names = append(names, g.String())
	}
	from := ""
	if s.source.IsValid() {
		from = " from source " + s.source.String()
	}
	fmt.Fprintf(app.Stderr, "socklab: joined %s%s on %s; replies go from this host's unicast address, never from a group\n",
		strings.Join(names, ", "), from, addrString(c.LocalAddr()))
}

// parse checks send's (and bench's) IP flags.
func (f sendIPFlags) parse() (ipSetup, error) {
	var s ipSetup
	if err := f.ipHeaderFlags.parse(&s); err != nil {
		return s, err
	}
	return s, f.peerIPFlags.parse(&s)
}

// applyPeer sets the options of a sender to peer.
func (s ipSetup) applyPeer(def *families.Definition, c families.Conn, peer net.Addr) (net.Addr, error) {
	if err := s.checkFamily(def); err != nil {
		return nil, err
	}
	ua, _ := peer.(*net.UDPAddr)
	if s.flow != 0 && ua != nil {
		s.opts.FlowLabel = s.flow
		s.opts.FlowDst, _ = netip.AddrFromSlice(ua.IP)
		peer = &families.FlowAddr{UDPAddr: ua, Label: s.flow}
	}
	if s.opts != (families.IPOptions{}) {
		if err := families.SetIPOptions(c, s.opts); err != nil {
			return nil, optionError(err)
		}
	}
	return peer, nil
}

// gathers reports whether many may answer a datagram to peer: a group, or
// a broadcast address (with --broadcast).
func (f sendIPFlags) gathers(peer net.Addr) bool { return f.Broadcast || echo.IsGroup(peer) }

// exchangeGroup sends msg to a group or broadcast address, prints every
// answer but the last, each with the address it came from, and returns the
// last for send to print as it prints any reply.
func (s *sender) exchangeGroup(msg []byte) (echo.Response, error) {
	resps, err := s.cl.ExchangeAll(s.app.Ctx, msg)
	if err != nil {
		return echo.Response{}, err
	}
	for _, r := range resps[:len(resps)-1] {
		s.printResponse(msg, r)
	}
	return resps[len(resps)-1], nil
}

// responseLabel starts a reply's line: "Response:", or, where many may
// answer, "Response from ADDR:".
func (s *sender) responseLabel(r echo.Response) string {
	if s.f.sendIPFlags.gathers(s.cl.Peer()) {
		return "Response from " + showName(addrString(r.From)) + ":"
	}
	return "Response:"
}

// open opens send's socket, as send does without IP flags, and sets them;
// with --flowlabel, *peer becomes one that carries the label.
func (f sendIPFlags) open(app *App, bind string, fd int, peer *net.Addr) (families.Conn, error) {
	s, err := f.parse() // before any socket: a wrong flag opens none
	if err != nil {
		return nil, err
	}
	c, err := open(app, bind, fd, 0)
	if err != nil {
		return nil, err
	}
	if *peer, err = s.applyPeer(app.Def, c, *peer); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
