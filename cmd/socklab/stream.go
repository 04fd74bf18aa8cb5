package main

import (
	"fmt"
	"time"

	"github.com/alecthomas/kong"
)

// tcpCmd is socklab tcp4|tcp6.
type tcpCmd struct {
	Serve tcpServeCmd `cmd:"" help:"Listen, and answer every read of every connection like the seed's server: [ctime] message."`
	Send  tcpSendCmd  `cmd:"" help:"Connect, send each message and print its reply, like the seed's client over one connection."`
	Bench tcpBenchCmd `cmd:"" help:"Measure an echo server over one connection: latency (--mode pingpong) or echoes per second (throughput)."`
}

// unixConnCmd is socklab unixstream|seqpacket.
type unixConnCmd struct {
	Serve unixConnServeCmd `cmd:"" help:"Listen on a unix socket, and answer every read of every connection: [ctime] message."`
	Send  unixConnSendCmd  `cmd:"" help:"Connect to a unix socket, send each message and print its reply."`
	Bench unixConnBenchCmd `cmd:"" help:"Measure an echo server over one unix connection: latency, echoes per second."`
}

// streamServeFlags are the flags every stream serve command has.
type streamServeFlags struct {
	Reply      string `default:"seed" enum:"seed,echo" help:"How to answer each read: seed ([ctime] data, like the Python seed) or echo (the bytes unchanged)."`
	Bufsize    int    `default:"65536" help:"The most one read takes. Buffers are lent per read: an idle connection holds none. Seqpacket messages longer than this are truncated, and said so."`
	Hex        bool   `short:"x" help:"Print data as a hex dump."`
	Quiet      bool   `short:"q" help:"Print nothing per read or ordinary connection: only the connections the server ended (--idle-timeout, --write-timeout, eviction), refusals, truncation and the summary."`
	JSON       bool   `name:"json" help:"Print one JSON object per event (NDJSON)."`
	Fd         int    `default:"-1" placeholder:"N" help:"Adopt open socket descriptor N instead of creating one: a listening socket (serve it), or a connected one (serve that connection, then exit)."`
	connLimits `embed:""`
	Rcvbuf     int  `placeholder:"BYTES" help:"Set SO_RCVBUF on the listening socket, which its connections inherit (the kernel doubles it)."`
	Sndbuf     int  `placeholder:"BYTES" help:"Set SO_SNDBUF on the listening socket, which its connections inherit (the kernel doubles it)."`
	Verbose    bool `short:"v" help:"Say how the server runs: its limits, socket options and buffers."`
}

// connLimits are the limits a stream server holds its connections to,
// which the generic form's serve takes too.
type connLimits struct {
	MaxConns     int           `name:"max-conns" default:"10000" min:"1" placeholder:"N" help:"Streams: at most N connections at once. Past it a new one takes the place of the connection idle longest, if idle --evict-idle or more, or is reset at once."`
	EvictIdle    time.Duration `name:"evict-idle" default:"1s" min:"0" help:"Streams: when the server is full, a connection idle this long makes room for a new one (a slowloris client's are); 0: never, refuse new ones."`
	IdleTimeout  time.Duration `name:"idle-timeout" default:"5m" min:"0" help:"Streams: close a connection with nothing to read for this long (0: never)."`
	WriteTimeout time.Duration `name:"write-timeout" default:"10s" min:"0" help:"Streams: close a connection whose peer does not read: a reply that waits this long for room (0: never)."`
	Backlog      int           `min:"0" placeholder:"N" help:"Streams: listen(2) backlog, connections the kernel completes before they are accepted (default: net.core.somaxconn)."`
}

type tcpServeCmd struct {
	streamServeFlags `embed:""`
	Bind             string `placeholder:"ADDR:PORT" help:"Address to listen on (default: 127.0.0.1:8020 for tcp4, [::1]:8020 for tcp6)."`
	Nodelay          bool   `default:"true" negatable:"" help:"TCP_NODELAY on every connection (the default, as in Go and most servers); --no-nodelay leaves Nagle's algorithm on: a small write waits for the ACK of the one before."`
	Reuseaddr        bool   `default:"true" negatable:"" help:"SO_REUSEADDR (the default): bind even while connections of a server that stopped wait in TIME_WAIT; --no-reuseaddr shows the wait."`
	Split            bool   `help:"Write each seed reply in two writes, prefix then data, as a naive server does: with --no-nodelay the second waits for the client's delayed ACK (about 40ms)."`
}

// Run serves TCP connections.
func (c *tcpServeCmd) Run(app *App) error {
	return streamServe(app, streamServeOpts{addr: c.Bind, flags: c.streamServeFlags, nodelay: c.Nodelay, reuse: c.Reuseaddr, split: c.Split})
}

type unixConnServeCmd struct {
	streamServeFlags `embed:""`
	Path             string `placeholder:"PATH" help:"Socket file to listen on, or @name for a Linux abstract name (default: @socklab)."`
	Mode             string `placeholder:"OCTAL" help:"Permission bits of the socket file, e.g. 0660: connecting needs write permission (default: from umask)."`
}

// Run serves unix stream or seqpacket connections.
func (c *unixConnServeCmd) Run(app *App) error {
	mode, err := parseMode(c.Mode)
	if err != nil {
		return err
	}
	return streamServe(app, streamServeOpts{addr: c.Path, mode: mode, flags: c.streamServeFlags, reuse: true})
}

// streamSendFlags are the flags every stream send command has.
type streamSendFlags struct {
	Timeout time.Duration `default:"2s" help:"How long to wait for the connection, and for each whole reply."`
	Bufsize int           `default:"65536" help:"Each read's buffer; a longer seqpacket reply is truncated, and said so."`
	Hex     bool          `short:"x" help:"Print replies as a hex dump."`
	JSON    bool          `name:"json" help:"Print one JSON object per event (NDJSON): connected, response."`
	Fd      int           `default:"-1" placeholder:"N" help:"Adopt open socket descriptor N: a connected socket, or one to connect."`
	Verbose bool          `short:"v" help:"Say when connected and how long the handshake took, and how many reads each reply took."`
}

type tcpSendCmd struct {
	streamSendFlags `embed:""`
	To              string    `placeholder:"ADDR:PORT" help:"Server address, when the first argument should not be taken for one."`
	Bind            string    `placeholder:"ADDR:PORT" help:"Local address to connect from (default: an ephemeral port)."`
	Nodelay         bool      `default:"true" negatable:"" help:"TCP_NODELAY (the default); --no-nodelay leaves Nagle's algorithm on."`
	Args            []message `arg:"" optional:"" name:"[ADDR] MESSAGE" help:"Server address (default: 127.0.0.1:8020, [::1]:8020 for tcp6), then messages, each written on the connection and its reply read. No message: prompt like the seed, or read lines from a pipe. Flags go before the messages."`
}

// Run sends the messages over one TCP connection.
func (c *tcpSendCmd) Run(app *App) error {
	to, msgs, _ := splitPeer(app, c.To, c.Args)
	return streamSend(app, streamSendOpts{to: to, bind: c.Bind, msgs: msgs, flags: c.streamSendFlags, nodelay: c.Nodelay})
}

type unixConnSendCmd struct {
	streamSendFlags `embed:""`
	Path            string    `placeholder:"PATH" help:"Server socket: a path or @name (default: @socklab)."`
	Bind            string    `placeholder:"PATH" help:"Own address: a path (removed on exit) or @name (default: none, an unnamed socket; replies come back on the connection)."`
	Messages        []message `arg:"" optional:"" help:"Messages, each written on the connection and its reply read. None: prompt like the seed, or read lines from a pipe. Flags go before the messages."`
}

// Run sends the messages over one unix connection.
func (c *unixConnSendCmd) Run(app *App) error {
	return streamSend(app, streamSendOpts{to: c.Path, bind: c.Bind, msgs: c.Messages, flags: c.streamSendFlags})
}

type tcpBenchCmd struct {
	benchFlags `embed:""`
	Bind       string `placeholder:"ADDR:PORT" help:"Local address to connect from (default: an ephemeral port)."`
	Nodelay    bool   `default:"true" negatable:"" help:"TCP_NODELAY (the default); --no-nodelay leaves Nagle's algorithm on, which holds small writes back."`
	Addr       string `arg:"" optional:"" name:"ADDR" help:"Server address (default: 127.0.0.1:8020, [::1]:8020 for tcp6)."`
}

// Help is the detailed help of the stream bench commands.
func (tcpBenchCmd) Help() string { return streamBenchHelp }

// Run measures an echo server over one TCP connection.
func (c *tcpBenchCmd) Run(app *App) error {
	return streamBench(app, c.Addr, c.Bind, c.benchFlags, c.Nodelay)
}

type unixConnBenchCmd struct {
	benchFlags `embed:""`
	Path       string `placeholder:"PATH" help:"Server socket: a path or @name (default: @socklab)."`
	Bind       string `placeholder:"PATH" help:"Own address: a path (removed on exit) or @name (default: an unnamed socket)."`
}

// Help is the detailed help of the stream bench commands.
func (unixConnBenchCmd) Help() string { return streamBenchHelp }

// Run measures an echo server over one unix connection.
func (c *unixConnBenchCmd) Run(app *App) error {
	return streamBench(app, c.Path, c.Bind, c.benchFlags, true)
}

const streamBenchHelp = `Connects to an echo server and measures the replies over that one
connection, with the datagram bench's messages and report: each message
starts with a 36-byte ASCII header, "~sLb" + 16 hex digits of sequence number
+ 16 of send time. On seqpacket a message is one write and one read. A stream
has no messages: bench writes them back to back (a writer of its own, so it
never stops reading) and finds each reply by its header in what it reads, so
any server that echoes bytes works: socklab serve --reply echo,
socat TCP-LISTEN:PORT,fork EXEC:cat, ncat -l -k --exec /bin/cat. The seed's
reply works in pingpong, where each read is one message; in throughput its
"[ctime] " lands inside messages a read cut, which count as bad.

A progress line goes to stderr once a second when stderr is a terminal. The
exit status is 1 when no reply came back at all.

--json prints one object with the fields of the datagram bench (socklab udp4
bench --help); io is "write/read" on a stream, "sendto/recvfrom" on
seqpacket; "lost" on a stream means no reply within --timeout.`

// runCommand runs the command kong selected. The generic form's actions
// (socklab socket ... serve|send|bench) resolve to a family; for a
// connection-oriented one they run the stream commands with the flags they
// share, and for one socklab only probes (sctp) they say why not.
func runCommand(kctx *kong.Context, app *App) error {
	d := app.Def
	if d == nil || d.Open != nil {
		return kctx.Run(app)
	}
	switch cmd := kctx.Selected().Target.Addr().Interface().(type) {
	case *socketServeCmd:
		return genericStream(app, func() error { return socketStreamServe(app, cmd) })
	case *socketSendCmd:
		return genericStream(app, func() error {
			flags, err := streamSendFlagsOf(cmd.sendFlags)
			if err != nil {
				return err
			}
			to, msgs, _ := splitPeer(app, cmd.To, cmd.Args)
			return streamSend(app, streamSendOpts{to: to, bind: cmd.Bind, msgs: msgs, nodelay: true, flags: flags})
		})
	case *socketBenchCmd:
		return genericStream(app, func() error { return streamBench(app, cmd.To, cmd.Bind, cmd.benchFlags, true) })
	}
	return kctx.Run(app)
}

// datagramServeFlags refuses the serve flags a stream server does not
// have, which it would otherwise ignore: above all the ones that decide
// who is answered, since ignoring them would answer everyone.
func datagramServeFlags(c *socketServeCmd) error {
	f := c.serveFlags
	switch {
	case len(c.Allow) > 0 || len(c.Deny) > 0 || len(c.AllowUID) > 0 || len(c.AllowGID) > 0 || f.RateLimit != "":
		return fmt.Errorf("--allow, --deny, --allow-uid, --allow-gid and --rate-limit filter datagrams; a stream server does not have them: bound it with --max-conns and --evict-idle, or filter in a firewall")
	case f.ipHeaderFlags != (ipHeaderFlags{}) || len(f.Join) > 0 || f.JoinSource != "" || f.GRO:
		return fmt.Errorf("--ttl, --tos, --df, --join, --join-source and --gro are for datagram servers (udp4, udp6); a stream server does not set them")
	case len(f.CPU) > 0 || f.Spin != 0 || f.BusyPoll:
		return fmt.Errorf("--cpu, --spin and --busy-poll tune the UDP batch path; a stream server serves each connection in a goroutine of its own")
	case f.Pcap != "" || f.Diagram != "":
		return fmt.Errorf("--pcap and --diagram record datagrams, and a stream moves none: --trace shows its calls")
	}
	return nil
}

// streamSendFlagsOf takes what a stream send does of the generic send's
// flags, -v included, and refuses the datagram flags it would ignore.
func streamSendFlagsOf(f sendFlags) (streamSendFlags, error) {
	switch {
	case f.Retries > 0:
		return streamSendFlags{}, fmt.Errorf("--retries %d: a stream delivers its bytes or fails the connection; there is nothing to send again", f.Retries)
	case f.sendIPFlags != (sendIPFlags{}):
		return streamSendFlags{}, fmt.Errorf("--ttl, --tos, --df, --flowlabel, --mcast-*, --broadcast: a stream send does not set them; they are for datagram families (udp4, udp6)")
	case f.Pcap != "" || f.Diagram != "":
		return streamSendFlags{}, fmt.Errorf("--pcap and --diagram record datagrams, and a stream moves none: --trace shows its calls")
	}
	// --stop-on-error is what a stream send does anyway: its first failure
	// ends the run.
	return streamSendFlags{Timeout: f.Timeout, Bufsize: f.Bufsize, Hex: f.Hex, JSON: f.JSON, Fd: f.Fd, Verbose: f.Verbose}, nil
}

// genericStream runs a generic action on app.Def when socklab has a server
// and client for it, and says why not otherwise.
func genericStream(app *App, run func() error) error {
	if app.Def.Connected() {
		return run()
	}
	if err := app.Def.Usable(); err != nil {
		return err
	}
	return fmt.Errorf("%s (%s) opens here, but socklab has no server or client for it", app.Def.Name, app.Def.Spec)
}

// socketStreamServe is socklab socket ... serve on a stream family: the
// datagram serve's flags that mean something on a stream, and the stream
// defaults for the rest.
func socketStreamServe(app *App, c *socketServeCmd) error {
	f := c.serveFlags
	switch {
	case f.Reply == "sockperf":
		return fmt.Errorf("--reply sockperf: sockperf's protocol is for datagrams; a stream server answers seed or echo")
	case c.Workers > 1:
		return fmt.Errorf("--workers %d: a stream server serves every connection in its own goroutine already", c.Workers)
	case f.Plain:
		return fmt.Errorf("--plain: a stream server has one I/O path")
	}
	if err := datagramServeFlags(c); err != nil {
		return err
	}
	mode, err := parseMode(c.Mode)
	if err != nil {
		return err
	}
	flags := streamServeFlags{Reply: f.Reply, Bufsize: f.Bufsize, Hex: f.Hex, Quiet: f.Quiet, JSON: f.JSON, Fd: f.Fd,
		connLimits: c.connLimits, Rcvbuf: f.Rcvbuf, Sndbuf: f.Sndbuf, Verbose: f.Verbose}
	return streamServe(app, streamServeOpts{addr: c.Bind, mode: mode, flags: flags, nodelay: true, reuse: true})
}
