package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/socklab/socklab/families"
)

// The echo commands of the datagram families: serve, send and bench, for
// udp4, udp6, unix and the generic socket form. One flag name per role:
// --bind is the local address, the positional ADDR or --to the peer's
// (unix keeps --path as an alias of the server's address).

// udpCmd is socklab udp4|udp6.
type udpCmd struct {
	Serve udpServeCmd `cmd:"" help:"Answer datagrams like the seed's server: [ctime] message."`
	Send  udpSendCmd  `cmd:"" help:"Send messages and print each reply, like the seed's client."`
	Bench udpBenchCmd `cmd:"" help:"Measure an echo server: latency (--mode pingpong) or echoes per second (throughput), loss, reordering, jitter."`
	Pmtu  udpPMTUCmd  `cmd:"" name:"pmtu" help:"Discover the path MTU to a host by DF probing, like tracepath."`
}

// unixCmd is socklab unix.
type unixCmd struct {
	Serve unixServeCmd `cmd:"" help:"Answer datagrams on a unix socket: [ctime] message."`
	Send  unixSendCmd  `cmd:"" help:"Send messages to a unix socket and print each reply."`
	Bench unixBenchCmd `cmd:"" help:"Measure an echo server on a unix socket: latency, echoes per second, loss, reordering, jitter."`
}

// serveFlags are the flags every serve command has.
type serveFlags struct {
	Reply     string `default:"seed" enum:"seed,echo,sockperf" help:"How to answer: seed ([ctime] message), echo (the datagram unchanged) or sockperf (sockperf's server protocol, for sockperf ping-pong and under-load)."`
	Bufsize   int    `default:"65536" min:"1" help:"Receive buffer handed to recvfrom; longer datagrams are truncated, and said so."`
	Hex       bool   `short:"x" help:"Print data as a hex dump."`
	Quiet     bool   `short:"q" help:"Print only the summary and rare events, not every datagram: the batch path (recvmmsg/sendmmsg)."`
	JSON      bool   `name:"json" help:"Print one JSON object per event (NDJSON)."`
	Fd        int    `default:"-1" min:"0" placeholder:"N" help:"Adopt open socket descriptor N instead of creating a socket (Python's fileno)."`
	Rcvbuf    int    `min:"0" placeholder:"BYTES" help:"Set SO_RCVBUF (SO_RCVBUFFORCE as root); the kernel doubles it, and clamps it to net.core.rmem_max unless forced."`
	Sndbuf    int    `min:"0" placeholder:"BYTES" help:"Set SO_SNDBUF (SO_SNDBUFFORCE as root); the kernel doubles it, and clamps it to net.core.wmem_max unless forced."`
	Batch     int    `default:"64" min:"1" placeholder:"N" help:"Datagrams per recvmmsg/sendmmsg call on the batch path."`
	Plain     bool   `help:"Use one recvmsg and one sendto per datagram even where batches are possible (to compare)."`
	Verbose   bool   `short:"v" help:"Say which I/O path serves and the effective SO_RCVBUF/SO_SNDBUF; name each unix sender by pid, uid and gid; show each IP datagram's TTL, TOS, destination, interface and kernel receive time."`
	RateLimit string `name:"rate-limit" placeholder:"N/s[:BURST]" help:"Answer each source (an IP address, a unix sender) at most N datagrams a second, in bursts of up to BURST (default N); the rest are dropped and counted."`

	systemdFlags `embed:""`
	serveIPFlags `embed:""`
	cpuFlags     `embed:""`
	spinFlags    `embed:""`

	serveObserveFlags `embed:""`
}

// ipFlags filter IP senders by their source address.
type ipFlags struct {
	Allow []string `placeholder:"CIDR" help:"Answer only IP sources in this prefix (repeatable; an address alone is one host)."`
	Deny  []string `placeholder:"CIDR" help:"Drop IP sources in this prefix (repeatable), even when --allow lets them in."`
}

// credFlags filter unix senders by their credentials (SO_PASSCRED).
type credFlags struct {
	AllowUID []string `name:"allow-uid" placeholder:"UID" help:"Answer only unix senders of this user, a number or a name (repeatable)."`
	AllowGID []string `name:"allow-gid" placeholder:"GID" help:"Answer only unix senders of this group, a number or a name (repeatable)."`
}

// sendFlags are the flags every send command has.
type sendFlags struct {
	Timeout     time.Duration `default:"2s" min:">0" want:"a positive duration, e.g. 2s" help:"How long each message may take, its send included, before it counts as lost."`
	Retries     int           `default:"0" min:"0" help:"Send again this many times when no reply comes (the server may see a message twice)."`
	Bufsize     int           `default:"65536" min:"1" help:"Receive buffer for replies; longer replies are truncated, and said so."`
	Hex         bool          `short:"x" help:"Print replies as a hex dump."`
	JSON        bool          `name:"json" help:"Print one JSON object per event (NDJSON): response, skipped, error, summary."`
	Fd          int           `default:"-1" min:"0" placeholder:"N" help:"Adopt open socket descriptor N instead of creating a socket."`
	StopOnError bool          `name:"stop-on-error" help:"Stop at the first message that fails; without it send goes on with the next, and exits 1 if any failed."`

	sendIPFlags `embed:""`

	sendObserveFlags `embed:""`
}

// Help is the detailed help of every send command.
func (sendFlags) Help() string {
	return `The first argument is the server's address when it looks like one: for
IP families HOST:PORT, [IPv6]:PORT, :PORT, or an IP address alone (which
then lacks its port); for unix @name or a path with a /. An argument that
looks like an address and is not a valid one is refused, never sent as a
message. Anything else is a message. Flags go anywhere; -- ends them, and
what follows is messages only: send 127.0.0.1:8020 -- -hello 10:30.

A host name is looked up, and send says which address it took; 0.0.0.0,
:: and an empty host mean this host (the loopback address), as for
connect(2).

Each message is one datagram, and its reply is matched by content: a late
or duplicate reply to an earlier message, or a datagram from another
address, is told and skipped. A message with no reply within --timeout is
reported, and send goes on with the next (--stop-on-error stops). Exit
status: 0 when every message was answered, 1 when any failed, 2 for a
command line send refuses, 130 when interrupted.`
}

// messagesHelp is the help of send's positional arguments.
const messagesHelp = "The server's address if it looks like one (a message that does too goes after --), then messages, " +
	"one datagram each, sent byte for byte. No message: prompt like the seed, or read lines from a pipe."

type udpServeCmd struct {
	serveFlags `embed:""`
	ipFlags    `embed:""`
	Workers    int    `default:"1" min:"1" placeholder:"N" help:"Serve with N sockets bound to the address with SO_REUSEPORT, one goroutine each (the kernel keeps each peer on one)."`
	Bind       string `placeholder:"ADDR:PORT" help:"Address to listen on (default: 127.0.0.1:8020 for udp4, [::1]:8020 for udp6)."`
}

func (c *udpServeCmd) Run(app *App) error {
	return serve(app, serveSpec{addr: c.Bind, workers: c.Workers, ip: c.ipFlags}, c.serveFlags)
}

type unixServeCmd struct {
	serveFlags `embed:""`
	credFlags  `embed:""`
	Bind       string `aliases:"path" placeholder:"PATH" help:"Socket file to bind, or @name for a Linux abstract name (default: @socklab); also --path."`
	Mode       string `placeholder:"OCTAL" help:"Permission bits of the socket file, e.g. 0660 (default: from umask)."`
}

func (c *unixServeCmd) Run(app *App) error {
	mode, err := parseMode(c.Mode)
	if err != nil {
		return err
	}
	return serve(app, serveSpec{addr: c.Bind, mode: mode, workers: 1, creds: c.credFlags}, c.serveFlags)
}

type udpSendCmd struct {
	sendFlags `embed:""`
	To        string    `placeholder:"ADDR:PORT" help:"Server address, so that every argument is a message."`
	Bind      string    `placeholder:"ADDR:PORT" help:"Local address to send from (default: any address, an ephemeral port)."`
	Args      []message `arg:"" optional:"" name:"[ADDR] MESSAGE" help:"${messages} Default address: the seed's 127.0.0.1:8020, [::1]:8020 for udp6."`
}

func (c *udpSendCmd) Run(app *App) error { return send(app, c.To, c.Bind, c.Args, c.sendFlags) }

type unixSendCmd struct {
	sendFlags `embed:""`
	To        string    `aliases:"path" placeholder:"PATH" help:"Server socket, a path or @name, so that every argument is a message; also --path."`
	Bind      string    `placeholder:"PATH" help:"Own address, so replies can reach us: a path (removed on exit) or @name (default: autobind)."`
	Args      []message `arg:"" optional:"" name:"[ADDR] MESSAGE" help:"${messages} An address is @name or a path with a /. Default address: @socklab."`
}

func (c *unixSendCmd) Run(app *App) error { return send(app, c.To, c.Bind, c.Args, c.sendFlags) }

// socketCmd is the generic form: socklab socket --family F --type T [--proto P] ACTION.
type socketCmd struct {
	Family string `placeholder:"F" help:"Address family: unix, inet, inet6 (or AF_UNIX, AF_INET, AF_INET6, or a number)."`
	Type   string `placeholder:"T" help:"Socket type: dgram, raw, stream or seqpacket (or SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, SOCK_SEQPACKET, or a number)."`
	Proto  string `default:"0" placeholder:"P" help:"Protocol: 0 for the default, udp, icmp, icmpv6, or a number."`

	Serve socketServeCmd `cmd:"" help:"Answer datagrams on the socket."`
	Send  socketSendCmd  `cmd:"" help:"Send messages from the socket and print each reply."`
	Bench socketBenchCmd `cmd:"" help:"Measure an echo server from the socket: latency, echoes per second, loss, reordering, jitter."`
}

// AfterApply resolves the triple, or the descriptor of --fd on the action,
// to the family that serves it, so the action runs that family's code.
func (c *socketCmd) AfterApply(kctx *kong.Context, app *App) error {
	var spec families.Spec
	if fd := actionFd(kctx); fd >= 0 {
		s, err := families.Inspect(fd)
		if err != nil {
			return err
		}
		spec = s
	} else {
		if c.Family == "" || c.Type == "" {
			return usagef("socket needs --family and --type (or --fd N on the action): e.g. socklab socket --family inet6 --type dgram serve")
		}
		var err error
		if spec, err = c.spec(); err != nil {
			return usageError{err}
		}
	}
	d, err := app.Registry.Resolve(spec)
	if err != nil {
		return usageError{err}
	}
	app.Def = d
	return nil
}

// actionFd is the --fd of the socket command's action, -1 when none.
func actionFd(kctx *kong.Context) int {
	switch cmd := kctx.Selected().Target.Addr().Interface().(type) {
	case *socketServeCmd:
		return cmd.Fd
	case *socketSendCmd:
		return cmd.Fd
	case *socketBenchCmd:
		return cmd.Fd
	}
	return -1
}

// spec reads the triple of --family, --type and --proto.
func (c *socketCmd) spec() (families.Spec, error) {
	var err error
	s := families.NewSpec(0, 0, 0)
	if s.Family, err = families.ParseFamily(c.Family); err != nil {
		return s, err
	}
	if s.Type, err = families.ParseType(c.Type); err != nil {
		return s, err
	}
	s.Proto, err = families.ParseProto(c.Proto)
	return s, err
}

type socketServeCmd struct {
	serveFlags `embed:""`
	ipFlags    `embed:""`
	credFlags  `embed:""`
	connLimits `embed:""`
	Workers    int    `default:"1" min:"1" placeholder:"N" help:"UDP: serve with N sockets bound to the address with SO_REUSEPORT, one goroutine each."`
	Bind       string `placeholder:"ADDR" help:"Address to bind: HOST:PORT, a unix path or @name (default: the family's)."`
	Mode       string `placeholder:"OCTAL" help:"Permission bits of a unix socket file."`
}

func (c *socketServeCmd) Run(app *App) error {
	mode, err := parseMode(c.Mode)
	if err != nil {
		return err
	}
	return serve(app, serveSpec{addr: c.Bind, mode: mode, workers: c.Workers, ip: c.ipFlags, creds: c.credFlags}, c.serveFlags)
}

type socketSendCmd struct {
	sendFlags `embed:""`
	To        string    `placeholder:"ADDR" help:"Server address: HOST:PORT, a unix path or @name, so that every argument is a message."`
	Bind      string    `placeholder:"ADDR" help:"Own address (default: ephemeral port or autobind)."`
	Args      []message `arg:"" optional:"" name:"[ADDR] MESSAGE" help:"${messages} Default address: the family's."`
}

func (c *socketSendCmd) Run(app *App) error { return send(app, c.To, c.Bind, c.Args, c.sendFlags) }

// message is a command-line argument sent as it is. kong decodes plain
// strings through JSON, which replaces invalid UTF-8 with U+FFFD; a message
// must reach the wire byte for byte, so it has its own mapper.
type message string

// Decode takes the argument's bytes unchanged.
func (m *message) Decode(ctx *kong.DecodeContext) error {
	t, err := ctx.Scan.PopValue("message")
	if err != nil {
		return err
	}
	s, ok := t.Value.(string)
	if !ok {
		return fmt.Errorf("message %v is not a string", t.Value)
	}
	*m = message(s)
	return nil
}

func parseMode(s string) (os.FileMode, error) {
	if s == "" {
		return 0, nil
	}
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o777 || m == 0 {
		return 0, usagef("--mode %q: want octal permission bits from 1 to 0777, e.g. 0660", s)
	}
	return os.FileMode(m), nil
}

// open opens app.Def's socket on addr, or adopts descriptor fd.
func open(app *App, addr string, fd int, mode os.FileMode) (families.Conn, error) {
	if fd >= 0 && addr != "" {
		return nil, usagef("%s and --fd %d: an adopted socket keeps the address it has; drop one of them", showName(addr), fd)
	}
	if mode != 0 && (fd >= 0 || strings.HasPrefix(addr, "@") || app.Def.Spec.Family != families.AF_UNIX) {
		return nil, usagef("--mode sets the permissions of a socket file this command creates; %s has none (abstract names and adopted sockets have no file of ours)", showName(orDefault(addr, "the socket")))
	}
	o := families.Options{Addr: addr, Mode: mode, Notify: app.note}
	if fd >= 0 {
		o.File = os.NewFile(uintptr(fd), "fd "+strconv.Itoa(fd))
		defer o.File.Close()
	}
	return app.Def.Open(o)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// noEcho is the error of an echo command on a family that has none.
func noEcho(app *App, what string) error {
	if app.Def.Open != nil {
		return nil
	}
	return usagef("%s has no echo %s: see socklab %s --help", app.Def.Name, what, app.Def.Name)
}

// errBothAddrs refuses a peer given twice.
var errBothAddrs = errors.New("the server address is given twice, as ADDR and with --to: give it once")
