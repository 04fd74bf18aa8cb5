package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/rawsock"
)

// icmpCmd is socklab icmp4|icmp6.
type icmpCmd struct {
	Ping  pingCmd      `cmd:"" help:"Send ICMP echo requests and print the replies as iputils ping does."`
	Serve icmpServeCmd `cmd:"" help:"Print every ICMP message that arrives (raw socket); --reply answers echo requests from user space."`
}

// pingCmd is socklab icmp4|icmp6 ping.
type pingCmd struct {
	Host     string       `arg:"" help:"Host name or address to ping."`
	Count    pingCount    `short:"c" placeholder:"COUNT" help:"Stop after COUNT echo requests (with -w: after COUNT replies)."`
	Interval pingInterval `short:"i" placeholder:"SECONDS" help:"Seconds between echo requests (default 1; with -f, as replies come and at least 100 a second); below 0.002, and -f without -i, need CAP_NET_RAW, as with ping."`
	Size     int          `short:"s" default:"56" placeholder:"BYTES" help:"Echo data bytes (ICMP adds 8)."`
	TTL      int          `short:"t" placeholder:"TTL" help:"IP TTL (IPv6 hop limit) of the requests."`
	Timeout  float64      `short:"W" placeholder:"SECONDS" help:"Seconds to wait for each reply; later ones are reported as late. Also how long to wait after the last request."`
	Deadline float64      `short:"w" placeholder:"SECONDS" help:"Stop after SECONDS, whatever else."`
	Flood    bool         `short:"f" help:"Flood: send as soon as each reply comes (at least every 10 ms, or every -i); without -i it needs CAP_NET_RAW."`
	Quiet    bool         `short:"q" help:"Print only the first line and the summary."`
	ID       int          `short:"e" placeholder:"ID" help:"Echo identifier; on a dgram socket it is bound as the socket's port (default: the kernel's choice, or random for raw)."`
	Source   string       `short:"I" placeholder:"ADDR" help:"Local address to send from."`
	Mode     string       `default:"auto" enum:"auto,dgram,raw" help:"ICMP socket: dgram (unprivileged, SOCK_DGRAM), raw (SOCK_RAW, CAP_NET_RAW), or auto (dgram, then raw)."`
	JSON     bool         `name:"json" help:"Print one JSON object per event (NDJSON), then the summary object."`

	pingIPFlags     `embed:""`
	rawObserveFlags `embed:""`
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// ipVersion is 6 for the icmp6 family, 4 otherwise.
func ipVersion(app *App) int {
	if app.Def != nil && app.Def.Name == "icmp6" {
		return 6
	}
	return 4
}

func (c *pingCmd) Run(app *App) error {
	o, err := c.options(ipVersion(app))
	if err != nil {
		return err
	}
	dst, err := rawsock.ResolveHost(app.Ctx, o.IPVersion, c.Host)
	if err != nil {
		return err
	}
	pr := &rawsock.PingPrinter{W: app.Stdout, Notes: app.Stderr, Host: c.Host, IPVersion: o.IPVersion, Size: c.Size, Quiet: c.Quiet, Flood: c.Flood}
	o.OnEvent = pr.Event
	if c.JSON {
		o.OnEvent = func(e rawsock.PingEvent) { writeJSON(app.Stdout, e) }
	}
	st, err := rawsock.Ping(app.Ctx, dst, o)
	if st == nil {
		return err
	}
	if c.JSON {
		writeJSON(app.Stdout, st)
	} else {
		pr.Summary(st)
	}
	if errors.Is(err, rawsock.ErrNoReply) {
		return fmt.Errorf("no reply from %s (%d sent)", st.Target, st.Transmitted)
	}
	return err
}

// options converts ping's flags.
func (c *pingCmd) options(v int) (rawsock.PingOptions, error) {
	mode, err := rawsock.ParseMode(c.Mode)
	if err != nil {
		return rawsock.PingOptions{}, err
	}
	if c.Timeout < 0 || c.Deadline < 0 {
		return rawsock.PingOptions{}, fmt.Errorf("-W and -w take positive numbers")
	}
	ip, err := c.pingIPFlags.parse(v)
	if err != nil {
		return rawsock.PingOptions{}, err
	}
	o := rawsock.PingOptions{IPVersion: v, Mode: mode, Count: int(c.Count), Interval: c.Interval.duration(c.Flood), Size: c.Size, TTL: c.TTL,
		Timeout: seconds(c.Timeout), Deadline: seconds(c.Deadline), Flood: c.Flood, ID: c.ID, Source: c.Source, IP: ip}
	return o, nil
}

// icmpServeCmd is socklab icmp4|icmp6 serve.
type icmpServeCmd struct {
	Reply bool   `help:"Answer echo requests from user space, those the kernel would answer: unicast to this host, valid checksum. The kernel answers too unless its echo_ignore_all sysctl is 1."`
	Bind  string `placeholder:"ADDR" help:"Local address to listen on (default: all)."`
	Quiet bool   `short:"q" help:"Print nothing per message, only the summary."`
	JSON  bool   `name:"json" help:"Print one JSON object per event (NDJSON): listening, icmp, summary."`

	rawObserveFlags `embed:""`
}

// echoSysctl is the sysctl that stops the kernel answering echo requests.
var echoSysctl = map[int]string{4: "net.ipv4.icmp_echo_ignore_all", 6: "net.ipv6.icmp.echo_ignore_all"}

// nameEchoSysctls names each ICMP family's own sysctl in its serve
// --reply help, and hides ping's -F on icmp4: icmp4 and icmp6 share the
// command's type, and so the help text of its tag. It runs once on the
// parser's model, so --help and help --all say the same.
func nameEchoSysctls(app *kong.Application) {
	for _, fam := range app.Children {
		v := map[string]int{"icmp4": 4, "icmp6": 6}[fam.Name]
		if v == 0 {
			continue
		}
		for _, cmd := range fam.Children {
			for _, f := range cmd.Flags {
				if cmd.Name == "serve" && f.Name == "reply" {
					f.Help = fmt.Sprintf("Answer echo requests from user space, those the kernel would answer: unicast to this host, valid checksum. The kernel answers too unless %s=1.", echoSysctl[v])
				}
				if cmd.Name == "ping" && f.Name == "flowlabel" && v == 4 {
					f.Hidden = true // IPv4 has none; pingIPFlags.parse says so
				}
			}
		}
	}
}

// Run serves until SIGINT or SIGTERM, then prints the summary.
func (c *icmpServeCmd) Run(app *App) error {
	v := ipVersion(app)
	o := rawsock.ICMPServeOptions{IPVersion: v, Bind: c.Bind, Reply: c.Reply,
		OnListen:  func(spec families.Spec) { c.listening(app, spec) },
		OnMessage: func(e rawsock.ICMPEvent) { c.print(app.Stdout, v, e) }}
	st, err := rawsock.ServeICMP(app.Ctx, o)
	if err == nil || st.Messages > 0 {
		c.summary(app.Stdout, st)
	}
	return err
}

// listening says the socket is open: a line on stderr, or a JSON event.
func (c *icmpServeCmd) listening(app *App, spec families.Spec) {
	switch {
	case c.JSON:
		writeJSON(app.Stdout, map[string]any{"event": "listening", "time": now(), "family": app.Def.Name, "socket": spec.String(), "reply": c.Reply})
	case !c.Quiet:
		what := "listening"
		if c.Reply {
			what = "listening and answering echo requests"
		}
		fmt.Fprintf(app.Stderr, "socklab: %s on %s\n", what, spec)
	}
}

// print writes one line (or JSON object) per message; v is the IP
// version, whose TTL is IPv6's hop limit.
func (c *icmpServeCmd) print(w io.Writer, v int, e rawsock.ICMPEvent) {
	switch {
	case c.Quiet:
		return
	case c.JSON:
		writeJSON(w, e)
		return
	case e.Err != "" && e.TypeName == "":
		fmt.Fprintf(w, "from %s: %d bytes, not ICMP: %s\n", e.From, e.Size, e.Err)
		return
	}
	ttl := "ttl"
	if v == 6 {
		ttl = "hop limit"
	}
	fmt.Fprintf(w, "from %s %s %d: %s (type %d code %d)", e.From, ttl, e.TTL, e.TypeName, e.Type, e.Code)
	if isEchoType(v, e.Type) || e.ID != 0 || e.Seq != 0 {
		fmt.Fprintf(w, " id %d seq %d", e.ID, e.Seq)
	}
	fmt.Fprintf(w, " size %d", e.Size)
	if e.Text != "" {
		fmt.Fprintf(w, ": %s", e.Text)
	}
	c.printOutcome(w, e)
	fmt.Fprintln(w)
}

// printOutcome ends a message's line with what became of it.
func (c *icmpServeCmd) printOutcome(w io.Writer, e rawsock.ICMPEvent) {
	if e.BadChecksum {
		fmt.Fprint(w, ", bad checksum")
	}
	switch {
	case e.Replied:
		fmt.Fprint(w, ", replied")
	case e.NotAnswered != "":
		fmt.Fprintf(w, ", not answered: %s", dropReason[e.NotAnswered])
	}
	if e.Err != "" {
		fmt.Fprintf(w, ", reply failed: %s", e.Err)
	}
}

// isEchoType reports whether typ is an echo request or reply of ICMP v.
func isEchoType(v, typ int) bool {
	if v == 6 {
		return typ == 128 || typ == 129
	}
	return typ == 0 || typ == 8
}

// dropReason words the reasons rawsock's servers give for not answering.
var dropReason = map[string]string{
	"broadcast":    "sent to a broadcast or multicast address",
	"not_local":    "sent to an address that is not this host's",
	"bad_checksum": "bad checksum",
	"bad_source":   "from an address no reply can go to",
	"echo":         "an echo (it carries ip4 serve's mark)",
	"loop":         "the same payload from the same source too often, a loop",
}

// summary writes the server's last line, or JSON object.
func (c *icmpServeCmd) summary(w io.Writer, st rawsock.ICMPServeStats) {
	if c.JSON {
		writeJSON(w, st)
		return
	}
	fmt.Fprintf(w, "summary: %s", plural(st.Messages, "message", "messages"))
	if c.Reply {
		d := st.Dropped
		fmt.Fprintf(w, ", %s, %d replied, %d not answered%s, %s", plural(st.Requests, "echo request", "echo requests"), st.Replied, d.Total(),
			reasons([]uint64{d.Broadcast, d.NotLocal, d.BadChecksum, d.BadSource}, []string{"broadcast", "not_local", "bad_checksum", "bad_source"}),
			plural(st.SendErrors, "send error", "send errors"))
	}
	fmt.Fprintf(w, " in %.1fs\n", st.Elapsed.Seconds())
}

// dropCount words the reasons in a summary, after a count.
var dropCount = map[string]string{
	"broadcast":    "to broadcast/multicast",
	"not_local":    "not to this host",
	"bad_checksum": "bad checksum",
	"bad_source":   "from a bad source",
	"echo":         "echo of a server",
	"loop":         "loop",
}

// reasons lists the non-zero counts with their reasons, in parentheses:
// " (1 bad checksum, 2 to broadcast/multicast)".
func reasons(counts []uint64, names []string) string {
	var parts []string
	for i, n := range counts {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, dropCount[names[i]]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// now is the time of a JSON event.
func now() string { return time.Now().Format(time.RFC3339Nano) }

// ip4Cmd is socklab ip4 (IP_HDRINCL).
type ip4Cmd struct {
	Send  ip4SendCmd  `cmd:"" help:"Build a whole IPv4 packet, header included, and send it on socket(AF_INET, SOCK_RAW, IPPROTO_RAW)."`
	Serve ip4ServeCmd `cmd:"" help:"Receive raw IPv4 packets of one protocol, print each header, and echo it back with a header built here."`
}

// ip4SendCmd is socklab ip4 send.
type ip4SendCmd struct {
	Dst         string        `arg:"" help:"IPv4 destination address."`
	Payload     string        `arg:"" optional:"" help:"Payload after the IP (and UDP/ICMP) header."`
	Src         string        `placeholder:"ADDR" help:"Source address (default 0.0.0.0: the kernel fills in the route's)."`
	TTL         int           `default:"64" help:"TTL, 0 to 255."`
	TOS         int           `name:"tos" help:"Type of service byte (DSCP<<2 | ECN), 0 to 255."`
	ID          int           `name:"id" default:"-1" help:"Identification, 0 to 65535 (default: random; 0 with DF clear lets the kernel pick)."`
	DF          bool          `name:"df" help:"Set Don't Fragment."`
	MF          bool          `name:"mf" help:"Set More Fragments."`
	FragOffset  int           `name:"frag-offset" help:"Fragment offset in units of 8 bytes, 0 to 8191."`
	Proto       string        `default:"253" help:"IP protocol: a number or a name (udp, icmp, gre, experimental = 253)."`
	Sport       int           `help:"UDP source port (default: an ephemeral one)."`
	Dport       int           `default:"8020" help:"UDP destination port."`
	EchoID      int           `name:"echo-id" default:"-1" help:"ICMP echo identifier (default: random)."`
	EchoSeq     int           `name:"echo-seq" default:"1" help:"ICMP echo sequence number."`
	Size        int           `default:"-1" help:"Payload size in bytes when no PAYLOAD is given (pattern bytes)."`
	Dump        bool          `help:"Print the bytes sent as an annotated hex dump, field by field, with what the kernel overrides."`
	ExpectReply bool          `name:"expect-reply" help:"Wait for the answer: the UDP reply to --sport, the ICMP echo reply, or ip4 serve's echo."`
	Timeout     time.Duration `default:"2s" help:"How long --expect-reply waits."`
	JSON        bool          `name:"json" help:"Print JSON objects (fields of the packet, the reply) instead of text."`

	rawObserveFlags `embed:""`
}

func (c *ip4SendCmd) Run(app *App) error {
	p, err := c.packet()
	if err != nil {
		return err
	}
	o := rawsock.IP4SendOptions{ExpectReply: c.ExpectReply, Timeout: c.Timeout}
	if c.Dump {
		o.BeforeSend = func(b []byte) { c.printDump(app.Stdout, b) }
	}
	sent, reply, err := rawsock.SendIP4(app.Ctx, p, o)
	if sent != nil && (err == nil || reply == nil && c.ExpectReply) {
		c.printSent(app.Stdout, p, sent)
	}
	if err != nil {
		return err
	}
	if reply != nil {
		c.printReply(app.Stdout, reply)
	}
	return nil
}

// packet builds the packet the flags describe; rawsock fills in the
// random IDs and the pattern payload.
func (c *ip4SendCmd) packet() (rawsock.IPv4Packet, error) {
	dst, err := netip.ParseAddr(c.Dst)
	if err != nil || !dst.Is4() {
		return rawsock.IPv4Packet{}, &families.Error{Op: "send", Spec: rawsock.IP4Spec, Addr: c.Dst, Err: fmt.Errorf("not an IPv4 address"),
			Hint: "ip4 send takes a numeric IPv4 destination such as 127.0.0.1 (IPv6: use icmp6)"}
	}
	proto, err := rawsock.ParseIPProto(c.Proto)
	if err != nil {
		return rawsock.IPv4Packet{}, err
	}
	p := rawsock.IPv4Packet{Dst: dst, TTL: c.TTL, TOS: c.TOS, ID: c.ID, DF: c.DF, MF: c.MF, FragOffset: c.FragOffset, Proto: proto,
		SrcPort: c.Sport, DstPort: c.Dport, EchoID: c.EchoID, EchoSeq: c.EchoSeq, Payload: []byte(c.Payload)}
	if c.Src != "" {
		if p.Src, err = netip.ParseAddr(c.Src); err != nil || !p.Src.Is4() {
			return rawsock.IPv4Packet{}, &families.Error{Op: "send", Spec: rawsock.IP4Spec, Addr: c.Src, Err: fmt.Errorf("--src is not an IPv4 address"), Hint: "give a numeric IPv4 address"}
		}
	}
	p.FillDefaults(c.Size)
	return p, nil
}

func (c *ip4SendCmd) printDump(w io.Writer, b []byte) {
	if c.JSON {
		writeJSON(w, map[string]any{"event": rawsock.EventDump, "time": now(), "bytes": hex.EncodeToString(b), "fields": rawsock.Fields(b)})
		return
	}
	fmt.Fprint(w, rawsock.Dump(b))
}

func (c *ip4SendCmd) printSent(w io.Writer, p rawsock.IPv4Packet, sent []byte) {
	if c.JSON {
		writeJSON(w, map[string]any{"event": rawsock.EventSent, "time": now(), "dst": p.Dst.String(), "bytes": len(sent), "proto": p.Proto, "id": p.ID})
		return
	}
	fmt.Fprintf(w, "sent %d bytes to %s: %s\n", len(sent), p.Dst, describe(sent))
}

func (c *ip4SendCmd) printReply(w io.Writer, reply *rawsock.IP4Reply) {
	rtt := float64(reply.RTT) / float64(time.Millisecond)
	if c.JSON {
		ev := map[string]any{"event": rawsock.EventReply, "time": now(), "from": reply.From.String(), "bytes": len(reply.Payload), "time_ms": rtt}
		if reply.Port != 0 {
			ev["port"] = reply.Port
		}
		if reply.Header != nil {
			ev["summary"] = reply.Header.String()
		}
		jsonData(ev, reply.Payload)
		writeJSON(w, ev)
		return
	}
	from := reply.From.String()
	if reply.Port != 0 {
		from = netip.AddrPortFrom(reply.From, uint16(reply.Port)).String()
	}
	fmt.Fprintf(w, "reply from %s: %d bytes in %.3f ms: %s\n", from, len(reply.Payload), rtt, showData(reply.Payload, false))
	if reply.Header != nil {
		fmt.Fprintf(w, "  %s\n", reply.Header)
	}
}

func describe(b []byte) string {
	d, err := rawsock.ParseIPv4(b)
	if err != nil {
		return err.Error()
	}
	return d.String()
}

// ip4ServeCmd is socklab ip4 serve.
type ip4ServeCmd struct {
	Proto  string `default:"253" help:"IP protocol to receive: a number 1-254 or a name (default 253, RFC 3692's experimental)."`
	TTL    int    `default:"64" help:"TTL of the echoed packets."`
	NoEcho bool   `name:"no-echo" help:"Only print what arrives."`
	Quiet  bool   `short:"q" help:"Print nothing per packet, only the summary."`
	JSON   bool   `name:"json" help:"Print one JSON object per event (NDJSON): listening, packet, summary."`

	rawObserveFlags `embed:""`
}

// Run serves until SIGINT or SIGTERM, then prints the summary.
func (c *ip4ServeCmd) Run(app *App) error {
	proto, err := rawsock.ParseIPProto(c.Proto)
	if err != nil {
		return err
	}
	o := rawsock.IP4ServeOptions{Proto: proto, TTL: c.TTL, NoEcho: c.NoEcho,
		OnListen: func(spec families.Spec) { c.listening(app, proto, spec) },
		OnPacket: func(e rawsock.IP4Event) { c.print(app.Stdout, e) }}
	st, err := rawsock.ServeIP4(app.Ctx, o)
	if err == nil || st.Packets > 0 {
		c.summary(app.Stdout, st)
	}
	return err
}

// listening says the sockets are open: a line on stderr, or a JSON event.
func (c *ip4ServeCmd) listening(app *App, proto int, spec families.Spec) {
	switch {
	case c.JSON:
		writeJSON(app.Stdout, map[string]any{"event": "listening", "time": now(), "family": "ip4", "socket": spec.String(), "proto": proto, "echo": !c.NoEcho})
	case !c.Quiet:
		fmt.Fprintf(app.Stderr, "socklab: receiving protocol %d (%s) on %s\n", proto, rawsock.IPProtoName(proto), spec)
	}
}

// print writes one line (or JSON object) per packet.
func (c *ip4ServeCmd) print(w io.Writer, e rawsock.IP4Event) {
	switch {
	case c.Quiet:
		return
	case c.JSON:
		writeJSON(w, e)
		return
	case e.Packet == nil:
		fmt.Fprintf(w, "%d bytes, not a valid IPv4 packet: %s\n", e.Len, e.Err)
		return
	}
	fmt.Fprint(w, e.Summary)
	switch {
	case e.Echoed:
		fmt.Fprintf(w, ", echoed with id %d", e.ReplyID)
	case e.NotEchoed != "":
		fmt.Fprintf(w, ", not echoed: %s", dropReason[e.NotEchoed])
	}
	if e.Err != "" {
		fmt.Fprintf(w, ", echo failed: %s", e.Err)
	}
	fmt.Fprintln(w)
}

// summary writes the server's last line, or JSON object.
func (c *ip4ServeCmd) summary(w io.Writer, st rawsock.IP4ServeStats) {
	if c.JSON {
		writeJSON(w, st)
		return
	}
	fmt.Fprintf(w, "summary: %s", plural(st.Packets, "packet", "packets"))
	if !c.NoEcho {
		d := st.Dropped
		fmt.Fprintf(w, ", %d echoed, %d not echoed%s, %s", st.Echoed, d.Total(),
			reasons([]uint64{d.Echo, d.Broadcast, d.NotLocal, d.BadSource, d.Loop}, []string{"echo", "broadcast", "not_local", "bad_source", "loop"}),
			plural(st.SendErrors, "send error", "send errors"))
	}
	fmt.Fprintf(w, ", %d malformed, %d own echoes skipped in %.1fs\n", st.Malformed, st.OwnEchoes, st.Elapsed.Seconds())
}

// doctorCmd is socklab doctor.
type doctorCmd struct {
	JSON bool `name:"json" help:"Print the report as one JSON object."`
}

func (c *doctorCmd) Run(app *App) error {
	r := rawsock.Doctor(app.Registry.All())
	if c.JSON {
		writeJSON(app.Stdout, r)
		return nil
	}
	r.WriteText(app.Stdout)
	return nil
}
