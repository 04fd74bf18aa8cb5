package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

// streamSendOpts is what a stream send command asks for.
type streamSendOpts struct {
	to, bind string
	msgs     []message
	flags    streamSendFlags
	nodelay  bool
}

// dialStream connects to peer from bind, or adopts --fd (connecting it
// when it is not connected yet), within timeout, and returns how long the
// connection took.
func dialStream(app *App, peer net.Addr, bind string, fd int, timeout time.Duration) (families.StreamConn, time.Duration, error) {
	o := families.Options{Addr: bind, Notify: func(msg string) { fmt.Fprintln(app.Stderr, "socklab:", msg) }}
	if fd >= 0 {
		if bind != "" {
			return nil, 0, fmt.Errorf("--bind %s and --fd %d: an adopted socket keeps the address it has; drop one of them", bind, fd)
		}
		o.File = os.NewFile(uintptr(fd), "fd "+strconv.Itoa(fd))
		defer o.File.Close()
	}
	ctx, cancel := context.WithTimeout(app.Ctx, timeout)
	defer cancel()
	start := time.Now()
	c, err := app.Def.Dial(ctx, peer, o)
	took := time.Since(start)
	if app.Ctx.Err() != nil {
		if c != nil {
			c.Close()
		}
		return nil, 0, errInterrupted
	}
	return c, took, err
}

func streamSend(app *App, o streamSendOpts) error {
	c, err := openStreamClient(app, o)
	if err != nil {
		return err
	}
	defer c.Close()
	x := &streamExchange{app: app, f: o.flags, c: c,
		cl: echo.NewStreamClient(c, echo.StreamClientConfig{Timeout: o.flags.Timeout, Bufsize: o.flags.Bufsize})}
	if c.Spec().Type == families.SOCK_SEQPACKET {
		x.max = families.MaxDatagram(c)
	}
	for _, m := range o.msgs {
		if err := x.exchange([]byte(m)); err != nil {
			return err
		}
	}
	if len(o.msgs) > 0 {
		return nil
	}
	if x.max > 0 {
		return streamLines(app, o.flags.JSON, x.exchange, x.max, x.tooBig)
	}
	return streamLines(app, o.flags.JSON, x.exchange, streamLineMax, x.lineTooLong)
}

// openStreamClient checks send's flags, connects, sets TCP_NODELAY and
// says so with -v or --json.
func openStreamClient(app *App, o streamSendOpts) (families.StreamConn, error) {
	f := o.flags
	switch {
	case f.Timeout <= 0:
		return nil, fmt.Errorf("--timeout %v: want a positive duration, e.g. 2s", f.Timeout)
	case f.Bufsize <= 0:
		return nil, fmt.Errorf("--bufsize %d: want a positive number of bytes", f.Bufsize)
	}
	if o.to == "" {
		o.to = app.Def.DefaultAddr
	}
	peer, err := app.Def.ResolveAddr(o.to)
	if err != nil {
		return nil, err
	}
	c, took, err := dialStream(app, peer, o.bind, f.Fd, f.Timeout)
	if err != nil {
		return nil, err
	}
	if err := families.SetNoDelay(c, o.nodelay); err != nil {
		c.Close()
		return nil, fmt.Errorf("--nodelay: %w", err)
	}
	printConnected(app, f, c, took)
	return c, nil
}

// streamExchange sends messages on one connection and prints the replies.
type streamExchange struct {
	app *App
	f   streamSendFlags
	c   families.StreamConn
	cl  *echo.StreamClient
	max int // the largest seqpacket message; 0 for a stream
}

// exchange sends msg and prints its reply.
func (x *streamExchange) exchange(msg []byte) error {
	if x.max > 0 && len(msg) > x.max {
		return x.tooBig(strconv.Itoa(len(msg)))
	}
	r, err := x.cl.Exchange(x.app.Ctx, msg)
	if x.app.Ctx.Err() != nil {
		return errInterrupted
	}
	if err != nil {
		return err
	}
	printStreamResponse(x.app, x.f, x.c, msg, r)
	return nil
}

// tooBig refuses a seqpacket message of size bytes.
func (x *streamExchange) tooBig(size string) error {
	return &families.Error{Op: "send", Spec: x.c.Spec(), Addr: addrString(x.c.RemoteAddr()),
		Err:  fmt.Errorf("message is %s bytes, more than one %s message holds", size, x.app.Def.Name),
		Hint: fmt.Sprintf("the maximum is %d bytes (SO_SNDBUF less the kernel's overhead): send less", x.max)}
}

// streamLineMax is the longest line send reads from stdin on a byte
// stream, which has no message size of its own.
const streamLineMax = 1 << 20

// lineTooLong refuses a stdin line on a byte stream longer than send reads
// as one line; a message argument has no such bound.
func (x *streamExchange) lineTooLong(size string) error {
	return &families.Error{Op: "send", Spec: x.c.Spec(), Addr: addrString(x.c.RemoteAddr()),
		Err:  fmt.Errorf("stdin has %s bytes, more than send reads as one line", size),
		Hint: "pass it as a message argument, which a stream carries whatever its length"}
}

// printConnected says, with -v or --json, that the connection is up, how
// long the handshake took, and for unix sockets who the server is.
func printConnected(app *App, f streamSendFlags, c families.StreamConn, took time.Duration) {
	cred, credErr := families.PeerCred(c)
	if f.JSON {
		ev := map[string]any{"event": "connected", "time": now(), "socket": c.Spec().String(), "from": addrString(c.LocalAddr()),
			"to": addrString(c.RemoteAddr()), "connect_us": float64(took.Nanoseconds()) / 1e3}
		if c.Spec().Family != families.AF_UNIX {
			ev["nodelay"] = families.NoDelay(c)
		}
		if credErr == nil {
			ev["peer_pid"], ev["peer_uid"], ev["peer_gid"] = cred.PID, cred.UID, cred.GID
		}
		writeJSON(app.Stdout, ev)
		return
	}
	if !f.Verbose {
		return
	}
	how := "connected"
	if c.Spec().Fileno >= 0 {
		how = fmt.Sprintf("adopted fd %d,", c.Spec().Fileno)
	}
	who := ""
	if credErr == nil {
		who = fmt.Sprintf(", the server is pid %d, uid %d, gid %d (SO_PEERCRED)", cred.PID, cred.UID, cred.GID)
	} else if c.Spec().Fileno < 0 {
		who = ": the handshake (SYN, SYN-ACK, ACK) took one round trip"
	}
	from := addrString(c.LocalAddr())
	if from == "" {
		from = "an unnamed socket"
	}
	fmt.Fprintf(app.Stderr, "socklab: %s %s to %s from %s in %v%s\n", c.Spec(), how, addrString(c.RemoteAddr()),
		from, took.Round(time.Microsecond), who)
}

func printStreamResponse(app *App, f streamSendFlags, c families.StreamConn, msg []byte, r echo.StreamResponse) {
	if f.JSON {
		ev := map[string]any{"event": "response", "time": now(), "to": addrString(c.RemoteAddr()), "sent_bytes": len(msg),
			"bytes": len(r.Data), "size": r.Size, "truncated": r.Truncated(), "reads": r.Reads, "rtt_us": float64(r.RTT.Nanoseconds()) / 1e3}
		jsonData(ev, r.Data)
		writeJSON(app.Stdout, ev)
		return
	}
	if r.Truncated() {
		fmt.Fprintf(app.Stdout, "truncated: reply was %d bytes, read %d, %d lost (raise --bufsize)\n", r.Size, len(r.Data), r.Size-len(r.Data))
	}
	fmt.Fprintln(app.Stdout, "Response:", showData(r.Data, f.Hex))
	if f.Verbose {
		fmt.Fprintf(app.Stderr, "socklab: reply of %d bytes in %d read(s), %v after the write\n", len(r.Data), r.Reads, r.RTT.Round(time.Microsecond))
	}
}

// benchConnectTimeout bounds a bench's connection handshake.
const benchConnectTimeout = 5 * time.Second

// datagramBenchFlags refuses the bench flags a stream bench does not
// have, which it would otherwise ignore: they come with the datagram
// bench's flags it shares.
func datagramBenchFlags(f benchFlags) error {
	switch {
	case f.Plain:
		return fmt.Errorf("--plain: a stream bench has one I/O path (write/read)")
	case f.ipHeaderFlags != (ipHeaderFlags{}) || f.peerIPFlags != (peerIPFlags{}):
		return fmt.Errorf("--ttl, --tos, --df, --flowlabel, --mcast-*, --broadcast: a stream bench does not set them; they are for datagram families (udp4, udp6)")
	case f.GSO != 0 || f.Timestamps:
		return fmt.Errorf("--gso and --timestamps work datagram by datagram (UDP_SEGMENT, SO_TIMESTAMPING on each reply); a stream bench has no datagrams")
	case f.Spin != 0 || f.BusyPoll:
		return fmt.Errorf("--spin and --busy-poll tune the UDP batch path; a stream bench reads with the runtime's netpoller")
	case f.Pcap != "":
		return fmt.Errorf("--pcap records datagrams, and a stream moves none: --trace shows its calls")
	}
	return nil
}

func streamBench(app *App, to, bind string, f benchFlags, nodelay bool) error {
	cfg, err := f.config()
	if err != nil {
		return err
	}
	if err := datagramBenchFlags(f); err != nil {
		return err
	}
	if to == "" {
		to = app.Def.DefaultAddr
	}
	peer, err := app.Def.ResolveAddr(to)
	if err != nil {
		return err
	}
	c, _, err := dialStream(app, peer, bind, f.Fd, benchConnectTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := families.SetNoDelay(c, nodelay); err != nil {
		return fmt.Errorf("--nodelay: %w", err)
	}
	if !f.JSON {
		streamBenchHeader(app, c, cfg, f)
	}
	showProgress(app, &cfg)
	r, err := echo.BenchStream(app.Ctx, c, cfg)
	if err != nil {
		return err
	}
	if f.JSON {
		writeJSON(app.Stdout, streamBenchJSON{Time: now(), benchJSON: benchJSON{Event: "bench", Family: app.Def.Name, Socket: c.Spec().String(), BenchReport: r}})
	} else {
		printReport(app, r)
	}
	if err := f.plot(app, r); err != nil {
		return err
	}
	if r.Received == 0 && r.Sent > 0 {
		hint := "is an echo server running there? start one with socklab " + app.Def.Name + " serve --reply echo"
		if r.Bad > 0 {
			hint = fmt.Sprintf("%d replies came back but not the bytes sent: does the server add to them (the seed's prefix, in throughput mode)? try --mode pingpong, or a server with --reply echo", r.Bad)
		}
		return &families.Error{Op: "bench", Spec: c.Spec(), Addr: peer.String(), Err: fmt.Errorf("%w to %d messages", errNoReplies, r.Sent), Hint: hint}
	}
	return nil
}

// streamBenchHeader says what the bench measures, on stderr.
func streamBenchHeader(app *App, c families.StreamConn, cfg echo.BenchConfig, f benchFlags) {
	length := cfg.Duration.String()
	if f.Count > 0 {
		length = fmt.Sprintf("%d messages", f.Count)
	}
	fmt.Fprintf(app.Stderr, "socklab: %s bench %s over %s to %s from %s: %s, %s, %d bytes, %s\n", app.Def.Name, cfg.Mode, c.Spec(),
		addrString(c.RemoteAddr()), addrString(c.LocalAddr()), length, inflightText(cfg), cfg.Size, warmupText(cfg.Warmup))
}

// streamBenchJSON is the --json report of a stream bench: the datagram
// bench's fields, and the time.
type streamBenchJSON struct {
	Time string `json:"time"`
	benchJSON
}

// streamLines sends stdin line by line, each line written on the connection: at a terminal with the seed's prompt,
// stopping at an empty line and going on after a lost reply; from a pipe one
// datagram per line (an empty line is a zero-length datagram).
func streamLines(app *App, jsonOut bool, exchange func([]byte) error, max int, tooBig func(string) error) error {
	lines, scanErr := readLines(app.Stdin, max)
	prompt(app, jsonOut)
	for {
		select {
		case <-app.Ctx.Done():
			return errInterrupted
		case line, ok := <-lines:
			if !ok {
				return endOfLines(<-scanErr, max, tooBig)
			}
			if app.StdinTerminal && len(line) == 0 {
				return nil
			}
			if err := exchange(line); err != nil {
				if !app.StdinTerminal || app.Ctx.Err() != nil {
					return err
				}
				app.note(err.Error())
			}
			prompt(app, jsonOut)
		}
	}
}
