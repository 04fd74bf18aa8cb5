package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

// udpCmd is socklab udp4|udp6.
type udpCmd struct {
	Serve udpServeCmd `cmd:"" help:"Answer datagrams like the seed's server: [ctime] message."`
	Send  udpSendCmd  `cmd:"" help:"Send messages and print each reply, like the seed's client."`
	Bench udpBenchCmd `cmd:"" help:"Measure an echo server: latency (--mode pingpong) or echoes per second (throughput), loss, reordering, jitter."`
}

// unixCmd is socklab unix.
type unixCmd struct {
	Serve unixServeCmd `cmd:"" help:"Answer datagrams on a unix socket: [ctime] message."`
	Send  unixSendCmd  `cmd:"" help:"Send messages to a unix socket and print each reply."`
	Bench unixBenchCmd `cmd:"" help:"Measure an echo server on a unix socket: latency, echoes per second, loss, reordering, jitter."`
}

// serveFlags are the flags every serve command has.
type serveFlags struct {
	Reply   string `default:"seed" enum:"seed,echo,sockperf" help:"How to answer: seed ([ctime] message), echo (the datagram unchanged) or sockperf (sockperf's server protocol, for sockperf ping-pong and under-load)."`
	Bufsize int    `default:"65536" help:"Receive buffer handed to recvfrom; longer datagrams are truncated, and said so."`
	Hex     bool   `short:"x" help:"Print data as a hex dump."`
	Quiet   bool   `short:"q" help:"Print only the summary and rare events, not every datagram: the batch path (recvmmsg/sendmmsg)."`
	JSON    bool   `name:"json" help:"Print one JSON object per event (NDJSON)."`
	Fd      int    `default:"-1" placeholder:"N" help:"Adopt open socket descriptor N instead of creating a socket (Python's fileno)."`
	Workers int    `default:"1" placeholder:"N" help:"UDP: serve with N sockets bound to the address with SO_REUSEPORT, one goroutine each (the kernel keeps each peer on one)."`
	Rcvbuf  int    `placeholder:"BYTES" help:"Set SO_RCVBUF (SO_RCVBUFFORCE as root); the kernel doubles it, and clamps it to net.core.rmem_max unless forced."`
	Sndbuf  int    `placeholder:"BYTES" help:"Set SO_SNDBUF (SO_SNDBUFFORCE as root); the kernel doubles it, and clamps it to net.core.wmem_max unless forced."`
	Batch   int    `default:"64" placeholder:"N" help:"Datagrams per recvmmsg/sendmmsg call on the batch path."`
	Plain   bool   `help:"Use one recvmsg and one sendto per datagram even where batches are possible (to compare)."`
	Verbose bool   `short:"v" help:"Say which I/O path serves and the effective SO_RCVBUF/SO_SNDBUF."`

	systemdFlags `embed:""`

	serveObserveFlags `embed:""`
}

// sendFlags are the flags every send command has.
type sendFlags struct {
	Timeout time.Duration `default:"2s" help:"How long to wait for each reply."`
	Retries int           `default:"0" help:"Send again this many times when no reply comes (the server may see a message twice)."`
	Bufsize int           `default:"65536" help:"Receive buffer for replies; longer replies are truncated, and said so."`
	Hex     bool          `short:"x" help:"Print replies as a hex dump."`
	JSON    bool          `name:"json" help:"Print one JSON object per reply (NDJSON)."`
	Fd      int           `default:"-1" placeholder:"N" help:"Adopt open socket descriptor N instead of creating a socket."`

	sendObserveFlags `embed:""`
}

type udpServeCmd struct {
	serveFlags `embed:""`
	Bind       string `placeholder:"ADDR:PORT" help:"Address to listen on (default: 127.0.0.1:8020 for udp4, [::1]:8020 for udp6)."`
}

func (c *udpServeCmd) Run(app *App) error { return serve(app, c.Bind, 0, c.serveFlags) }

type unixServeCmd struct {
	serveFlags `embed:""`
	Path       string `placeholder:"PATH" help:"Socket file to bind, or @name for a Linux abstract name (default: @socklab)."`
	Mode       string `placeholder:"OCTAL" help:"Permission bits of the socket file, e.g. 0660 (default: from umask)."`
}

func (c *unixServeCmd) Run(app *App) error {
	mode, err := parseMode(c.Mode)
	if err != nil {
		return err
	}
	return serve(app, c.Path, mode, c.serveFlags)
}

type udpSendCmd struct {
	sendFlags `embed:""`
	To        string    `placeholder:"ADDR:PORT" help:"Server address, when the first argument should not be taken for one."`
	Bind      string    `placeholder:"ADDR:PORT" help:"Local address to send from (default: any address, an ephemeral port)."`
	Args      []message `arg:"" optional:"" name:"[ADDR] MESSAGE" help:"Server address (default: the seed's 127.0.0.1:8020, [::1]:8020 for udp6), then messages, one datagram each, sent byte for byte. No message: prompt like the seed, or read lines from a pipe. Flags go before the messages."`
}

func (c *udpSendCmd) Run(app *App) error {
	to, msgs := c.To, c.Args
	if to == "" && len(msgs) > 0 && families.LooksLikeAddr(string(msgs[0])) {
		to, msgs = string(msgs[0]), msgs[1:]
	}
	return send(app, to, c.Bind, msgs, c.sendFlags)
}

type unixSendCmd struct {
	sendFlags `embed:""`
	Path      string    `placeholder:"PATH" help:"Server socket: a path or @name (default: @socklab)."`
	Bind      string    `placeholder:"PATH" help:"Own address, so replies can reach us: a path (removed on exit) or @name (default: autobind)."`
	Messages  []message `arg:"" optional:"" help:"Messages, one datagram each, sent byte for byte. None: prompt like the seed, or read lines from a pipe. Flags go before the messages."`
}

func (c *unixSendCmd) Run(app *App) error { return send(app, c.Path, c.Bind, c.Messages, c.sendFlags) }

// socketCmd is the generic form: socklab socket --family F --type T [--proto P] ACTION.
type socketCmd struct {
	Family string `placeholder:"F" help:"Address family: unix, inet, inet6 (or AF_UNIX, AF_INET, AF_INET6, or a number)."`
	Type   string `placeholder:"T" help:"Socket type: dgram or raw (or SOCK_DGRAM, SOCK_RAW, or a number)."`
	Proto  string `default:"0" placeholder:"P" help:"Protocol: 0 for the default, udp, icmp, icmpv6, or a number."`

	Serve socketServeCmd `cmd:"" help:"Answer datagrams on the socket."`
	Send  socketSendCmd  `cmd:"" help:"Send messages from the socket and print each reply."`
	Bench socketBenchCmd `cmd:"" help:"Measure an echo server from the socket: latency, echoes per second, loss, reordering, jitter."`
}

// AfterApply resolves the triple, or the descriptor of --fd on the action,
// to the family that serves it, so the action runs that family's code.
func (c *socketCmd) AfterApply(kctx *kong.Context, app *App) error {
	fd := -1
	switch cmd := kctx.Selected().Target.Addr().Interface().(type) {
	case *socketServeCmd:
		fd = cmd.Fd
	case *socketSendCmd:
		fd = cmd.Fd
	case *socketBenchCmd:
		fd = cmd.Fd
	}
	var spec families.Spec
	if fd >= 0 {
		s, err := families.Inspect(fd)
		if err != nil {
			return err
		}
		spec = s
	} else {
		if c.Family == "" || c.Type == "" {
			return errors.New("socket needs --family and --type (or --fd N on the action): e.g. socklab socket --family inet6 --type dgram serve")
		}
		var err error
		spec = families.NewSpec(0, 0, 0)
		if spec.Family, err = families.ParseFamily(c.Family); err != nil {
			return err
		}
		if spec.Type, err = families.ParseType(c.Type); err != nil {
			return err
		}
		if spec.Proto, err = families.ParseProto(c.Proto); err != nil {
			return err
		}
	}
	d, err := app.Registry.Resolve(spec)
	if err != nil {
		return err
	}
	app.Def = d
	return nil
}

type socketServeCmd struct {
	serveFlags `embed:""`
	Bind       string `placeholder:"ADDR" help:"Address to bind: HOST:PORT, a unix path or @name (default: the family's)."`
	Mode       string `placeholder:"OCTAL" help:"Permission bits of a unix socket file."`
}

func (c *socketServeCmd) Run(app *App) error {
	mode, err := parseMode(c.Mode)
	if err != nil {
		return err
	}
	return serve(app, c.Bind, mode, c.serveFlags)
}

type socketSendCmd struct {
	sendFlags `embed:""`
	To        string    `placeholder:"ADDR" help:"Server address: HOST:PORT, a unix path or @name (default: the family's)."`
	Bind      string    `placeholder:"ADDR" help:"Own address (default: ephemeral port or autobind)."`
	Messages  []message `arg:"" optional:"" help:"Messages, one datagram each, sent byte for byte. None: prompt, or read lines from a pipe. Flags go before the messages."`
}

func (c *socketSendCmd) Run(app *App) error { return send(app, c.To, c.Bind, c.Messages, c.sendFlags) }

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
		return 0, fmt.Errorf("--mode %q: want octal permission bits from 1 to 0777, e.g. 0660", s)
	}
	return os.FileMode(m), nil
}

// open opens app.Def's socket on addr, or adopts descriptor fd.
func open(app *App, addr string, fd int, mode os.FileMode, notify func(string)) (families.Conn, error) {
	if fd >= 0 && addr != "" {
		return nil, fmt.Errorf("%s and --fd %d: an adopted socket keeps the address it has; drop one of them", addr, fd)
	}
	if mode != 0 && (fd >= 0 || strings.HasPrefix(addr, "@") || app.Def.Spec.Family != families.AF_UNIX) {
		return nil, fmt.Errorf("--mode sets the permissions of a socket file this command creates; %s has none (abstract names and adopted sockets have no file of ours)", orDefault(addr, "the socket"))
	}
	o := families.Options{Addr: addr, Mode: mode, Notify: notify}
	if fd >= 0 {
		o.File = os.NewFile(uintptr(fd), "fd "+strconv.Itoa(fd))
		defer o.File.Close()
	}
	return app.Def.Open(o)
}

func serve(app *App, addr string, mode os.FileMode, f serveFlags) error {
	if app.Def.Open == nil {
		return fmt.Errorf("%s has no echo server: see socklab %s --help", app.Def.Name, app.Def.Name)
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	passed, err := f.activated(app, addr, mode, f.Fd, f.Workers)
	if err != nil {
		return err
	}
	if addr == "" && f.Fd < 0 && passed == nil {
		addr = app.Def.DefaultAddr
	}
	conns, err := openServers(app, addr, mode, f, passed)
	if err != nil {
		return err
	}
	for _, c := range conns {
		defer c.Close()
	}
	p := &serverPrinter{app: app, flags: f}
	p.listening(conns[0], cfg.Reply)
	cfg.OnEvent = p.event
	if f.Verbose {
		p.verbose(conns[0], cfg)
	}
	st, err := echo.ServeAll(app.Ctx, conns, cfg)
	p.summary(st)
	return err
}

// config checks the serve flags and converts them to an echo.ServerConfig.
func (f serveFlags) config() (echo.ServerConfig, error) {
	reply, err := echo.ParseReply(f.Reply)
	switch {
	case err != nil:
		return echo.ServerConfig{}, err
	case f.Bufsize <= 0:
		return echo.ServerConfig{}, fmt.Errorf("--bufsize %d: want a positive number of bytes", f.Bufsize)
	case f.Workers < 1:
		return echo.ServerConfig{}, fmt.Errorf("--workers %d: want 1 or more", f.Workers)
	case f.Rcvbuf < 0 || f.Sndbuf < 0 || f.Batch < 0:
		return echo.ServerConfig{}, fmt.Errorf("--rcvbuf, --sndbuf and --batch want a positive number (0 leaves the default)")
	case f.Workers > 1 && f.Fd >= 0:
		return echo.ServerConfig{}, fmt.Errorf("--workers %d with --fd %d: one descriptor is one socket; drop one of them", f.Workers, f.Fd)
	}
	return echo.ServerConfig{Reply: reply, Bufsize: f.Bufsize, Quiet: f.Quiet, Plain: f.Plain, Batch: f.Batch}, nil
}

// openServers opens the serving sockets: those systemd passed, when any,
// one, or --workers sockets sharing the address with SO_REUSEPORT, with
// --rcvbuf and --sndbuf set.
func openServers(app *App, addr string, mode os.FileMode, f serveFlags, passed []families.Conn) ([]families.Conn, error) {
	notify := func(msg string) { fmt.Fprintln(app.Stderr, "socklab:", msg) }
	conns := passed
	var err error
	switch {
	case passed != nil: // adopted already
	case f.Workers > 1:
		conns, err = families.OpenReusePort(app.Def, families.Options{Addr: addr, Mode: mode, Notify: notify}, f.Workers)
	default:
		var c families.Conn
		c, err = open(app, addr, f.Fd, mode, notify)
		conns = []families.Conn{c}
	}
	if err != nil {
		return nil, err
	}
	if f.Rcvbuf > 0 || f.Sndbuf > 0 {
		for _, c := range conns {
			if err := families.SetBuffers(c, f.Rcvbuf, f.Sndbuf); err != nil {
				closeAll(conns)
				return nil, fmt.Errorf("--rcvbuf/--sndbuf: %w", err)
			}
		}
	}
	return conns, nil
}

func closeAll(conns []families.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// errInterrupted ends a command stopped by SIGINT or SIGTERM: exit 130.
var errInterrupted = errors.New("interrupted")

func send(app *App, to, bind string, msgs []message, f sendFlags) error {
	if app.Def.Open == nil {
		return fmt.Errorf("%s has no echo client: see socklab %s --help", app.Def.Name, app.Def.Name)
	}
	if to == "" {
		to = app.Def.DefaultAddr
	}
	peer, err := app.Def.ResolveAddr(to)
	if err != nil {
		return err
	}
	if f.Timeout <= 0 {
		return fmt.Errorf("--timeout %v: want a positive duration, e.g. 2s", f.Timeout)
	}
	if f.Retries < 0 {
		return fmt.Errorf("--retries %d: want 0 or more", f.Retries)
	}
	c, err := open(app, bind, f.Fd, 0, func(msg string) { fmt.Fprintln(app.Stderr, "socklab:", msg) })
	if err != nil {
		return err
	}
	defer c.Close()
	// Hear "port unreachable" at once instead of waiting out --timeout.
	families.ReportICMPErrors(c)
	cl := echo.NewClient(c, peer, echo.ClientConfig{Timeout: f.Timeout, Retries: f.Retries, Bufsize: f.Bufsize})
	max := families.MaxDatagram(c)
	tooBig := func(size string) error {
		return &families.Error{Op: "send", Spec: c.Spec(), Addr: peer.String(),
			Err:  fmt.Errorf("message is %s bytes, more than one %s datagram holds", size, app.Def.Name),
			Hint: fmt.Sprintf("the maximum is %d bytes: send less", max)}
	}
	exchange := func(msg []byte) error {
		if max > 0 && len(msg) > max {
			return tooBig(strconv.Itoa(len(msg)))
		}
		resp, err := cl.Exchange(app.Ctx, msg)
		if app.Ctx.Err() != nil {
			return errInterrupted // the deferred Close still unlinks our socket file
		}
		if err != nil {
			return err
		}
		printResponse(app, f, peer.String(), msg, resp)
		return nil
	}
	if len(msgs) > 0 {
		for _, m := range msgs {
			if err := exchange([]byte(m)); err != nil {
				return err
			}
		}
		return nil
	}
	return sendLines(app, f, exchange, max, tooBig)
}

// sendLines sends stdin line by line: at a terminal with the seed's prompt,
// stopping at an empty line and going on after a lost reply; from a pipe one
// datagram per line (an empty line is a zero-length datagram).
func sendLines(app *App, f sendFlags, exchange func([]byte) error, max int, tooBig func(string) error) error {
	lines := make(chan []byte)
	scanErr := make(chan error, 1)
	prompt := func() {
		if app.StdinTerminal && !f.JSON {
			fmt.Fprint(app.Stdout, "Wanna send: ")
		}
	}
	go func() {
		sc := bufio.NewScanner(app.Stdin)
		// Room for a line longer than a datagram, so it is refused by name.
		sc.Buffer(make([]byte, 64*1024), max+64*1024)
		for sc.Scan() {
			line := sc.Bytes()
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			lines <- append([]byte(nil), line...)
		}
		scanErr <- sc.Err()
		close(lines)
	}()
	prompt()
	for {
		select {
		case <-app.Ctx.Done():
			return errInterrupted
		case line, ok := <-lines:
			if !ok {
				if err := <-scanErr; errors.Is(err, bufio.ErrTooLong) {
					return tooBig("a line of more than " + strconv.Itoa(max+64*1024))
				} else if err != nil {
					return fmt.Errorf("reading messages from stdin: %w", err)
				}
				return nil
			}
			if app.StdinTerminal && len(line) == 0 {
				return nil
			}
			if err := exchange(line); err != nil {
				if !app.StdinTerminal || app.Ctx.Err() != nil {
					return err
				}
				fmt.Fprintln(app.Stderr, "socklab:", err)
			}
			prompt()
		}
	}
}

func printResponse(app *App, f sendFlags, to string, msg []byte, r echo.Response) {
	if f.JSON {
		ev := map[string]any{"event": "response", "to": to, "from": addrString(r.From), "sent_bytes": len(msg),
			"bytes": len(r.Data), "size": r.Size, "truncated": r.Truncated(), "rtt_us": float64(r.RTT.Nanoseconds()) / 1e3,
			"attempts": r.Attempts, "late_replies_skipped": r.Late}
		jsonData(ev, r.Data)
		writeJSON(app.Stdout, ev)
		return
	}
	if r.Late > 0 {
		fmt.Fprintf(app.Stderr, "socklab: skipped %d late reply(s) to earlier messages\n", r.Late)
	}
	if r.Truncated() {
		fmt.Fprintf(app.Stdout, "truncated: reply was %d bytes, read %d, %d lost (raise --bufsize)\n", r.Size, len(r.Data), r.Size-len(r.Data))
	}
	fmt.Fprintln(app.Stdout, "Response:", showData(r.Data, f.Hex))
}

// serverPrinter prints a server's events as the seed does, or as NDJSON.
type serverPrinter struct {
	app   *App
	flags serveFlags
}

func (p *serverPrinter) listening(c families.Conn, reply echo.Reply) {
	if p.flags.JSON {
		writeJSON(p.app.Stdout, map[string]any{"event": "listening", "family": p.app.Def.Name, "socket": c.Spec().String(),
			"addr": addrString(c.LocalAddr()), "reply": reply.String(), "bufsize": p.flags.Bufsize})
		return
	}
	fmt.Fprintf(p.app.Stderr, "socklab: %s %s listening on %s, reply %s\n", p.app.Def.Name, c.Spec(), addrString(c.LocalAddr()), reply)
	fmt.Fprintln(p.app.Stdout, "waiting for message...")
}

func (p *serverPrinter) event(ev echo.Event) {
	if p.flags.JSON {
		if p.flags.Quiet && ev.Kind == echo.EventDatagram {
			return
		}
		m := map[string]any{"event": string(ev.Kind), "from": addrString(ev.From), "bytes": len(ev.Data), "size": ev.Size}
		if ev.PID != 0 {
			m["pid"] = ev.PID
		}
		if ev.Err != nil {
			m["error"] = ev.Err.Error()
		}
		if ev.Kind == echo.EventDatagram {
			jsonData(m, ev.Data)
		}
		writeJSON(p.app.Stdout, m)
		return
	}
	w := p.app.Stdout
	switch ev.Kind {
	case echo.EventDatagram:
		if p.flags.Quiet {
			return
		}
		fmt.Fprintln(w, "Got message from", addrString(ev.From))
		fmt.Fprintln(w, "Received message:", showData(ev.Data, p.flags.Hex))
	case echo.EventTruncated:
		fmt.Fprintf(w, "truncated: datagram was %d bytes, read %d, %d lost (raise --bufsize)\n", ev.Size, len(ev.Data), ev.Size-len(ev.Data))
	case echo.EventUnanswerable:
		fmt.Fprintf(w, "cannot reply: the sender (%s) has no address, an unbound unix socket; it must bind or autobind to get replies (told once per sender)\n", echo.PIDString(ev.PID))
	case echo.EventSendError:
		fmt.Fprintf(p.app.Stderr, "socklab: reply to %s: %v\n", addrString(ev.From), ev.Err)
	}
}

func (p *serverPrinter) summary(st echo.Stats) {
	if p.flags.JSON {
		writeJSON(p.app.Stdout, map[string]any{"event": "summary", "datagrams": st.Datagrams, "bytes": st.Bytes, "peers": st.Peers,
			"truncated": st.Truncated, "unanswerable": st.Unanswerable, "send_errors": st.SendErrors, "kernel_drops": st.Drops,
			"io": st.IO, "elapsed_s": st.Elapsed.Seconds()})
		return
	}
	fmt.Fprintf(p.app.Stdout, "summary: %d datagrams, %d bytes, %d peers, %d truncated, %d unanswerable, %d send errors in %.1fs\n",
		st.Datagrams, st.Bytes, st.Peers, st.Truncated, st.Unanswerable, st.SendErrors, st.Elapsed.Seconds())
	if st.Drops > 0 {
		fmt.Fprintf(p.app.Stdout, "kernel drops: %d datagrams never reached socklab, the receive queue was full (SO_RXQ_OVFL); raise --rcvbuf or --workers\n", st.Drops)
	}
	if p.flags.Verbose && st.Elapsed > 0 {
		fmt.Fprintf(p.app.Stderr, "socklab: %s: %.0f datagrams/s", st.IO, float64(st.Datagrams)/st.Elapsed.Seconds())
		if st.Batches > 0 {
			fmt.Fprintf(p.app.Stderr, ", %.1f per recvmmsg", float64(st.Datagrams)/float64(st.Batches))
		}
		fmt.Fprintln(p.app.Stderr)
	}
}

// verbose says how the server will run: its I/O path and socket buffers.
func (p *serverPrinter) verbose(c families.Conn, cfg echo.ServerConfig) {
	w := p.app.Stderr
	switch {
	case echo.UsesBatch(c, cfg):
		fmt.Fprintf(w, "socklab: I/O: %s, up to %d datagrams per call\n", echo.IOBatch, echo.BatchSize(cfg))
	case cfg.Plain:
		fmt.Fprintf(w, "socklab: I/O: %s per datagram (--plain)\n", echo.IOPlain)
	case !cfg.Quiet:
		fmt.Fprintf(w, "socklab: I/O: %s per datagram, to print each one (--quiet takes the batch path)\n", echo.IOPlain)
	default:
		fmt.Fprintf(w, "socklab: I/O: %s per datagram (no batch path for this socket here)\n", echo.IOPlain)
	}
	if p.flags.Workers > 1 {
		fmt.Fprintf(w, "socklab: %d workers: %d sockets with SO_REUSEPORT, one goroutine each\n", p.flags.Workers, p.flags.Workers)
	}
	if c.Spec().Family == families.AF_UNIX {
		if echo.UsesBatch(c, cfg) {
			fmt.Fprintln(w, "socklab: SO_PASSCRED off (it costs every datagram) until a sender without an address needs naming by PID")
		} else {
			fmt.Fprintln(w, "socklab: SO_PASSCRED on: senders without an address are named by PID")
		}
	}
	if rcv, snd, err := families.Buffers(c); err == nil {
		fmt.Fprintf(w, "socklab: SO_RCVBUF %d, SO_SNDBUF %d bytes (effective: the kernel doubles what is asked", rcv, snd)
		if p.flags.Rcvbuf > 0 || p.flags.Sndbuf > 0 {
			fmt.Fprintf(w, "; asked --rcvbuf %d --sndbuf %d", p.flags.Rcvbuf, p.flags.Sndbuf)
		}
		fmt.Fprintln(w, ")")
	}
}
