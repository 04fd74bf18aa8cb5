package main

import (
	"fmt"
	"io"
	"net"
	"os"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

// serveSpec is what a serve command adds to the flags every serve has.
type serveSpec struct {
	addr    string
	mode    os.FileMode
	workers int
	ip      ipFlags
	creds   credFlags
}

func serve(app *App, s serveSpec, f serveFlags) error {
	if err := noEcho(app, "server"); err != nil {
		return err
	}
	cfg, err := f.config(app, s)
	if err != nil {
		return err
	}
	ip, err := f.serveIPFlags.parse() // before any socket: a wrong flag opens none
	if err != nil {
		return err
	}
	passed, err := f.activated(app, s.addr, s.mode, f.Fd, s.workers)
	if err != nil {
		return err
	}
	if passed == nil {
		s.addr = f.serveIPFlags.defaultAddr(app.Def, s.addr, f.Fd)
	}
	if s.addr == "" && f.Fd < 0 && passed == nil {
		s.addr = app.Def.DefaultAddr
	}
	conns, err := openServers(app, s, f, passed)
	if err != nil {
		return err
	}
	// Close removes the unix socket file the server created, however
	// serving ends: a signal, or stdout lost.
	defer closeAll(conns)
	if err := f.serveIPFlags.apply(app, conns, ip, &cfg, f.Verbose); err != nil {
		return err
	}
	p := &serverPrinter{app: app, flags: f, workers: s.workers}
	p.listening(conns[0], cfg)
	cfg.OnEvent = p.event
	if f.Verbose {
		p.verbose(conns[0], cfg)
	}
	st, err := echo.ServeAll(app.Ctx, conns, cfg)
	p.summary(st)
	return err
}

// config converts the serve flags to an echo.ServerConfig. kong checked
// the ranges (see checkRanges).
func (f serveFlags) config(app *App, s serveSpec) (echo.ServerConfig, error) {
	reply, err := echo.ParseReply(f.Reply)
	if err != nil {
		return echo.ServerConfig{}, usageError{err}
	}
	if s.workers > 1 && f.Fd >= 0 {
		return echo.ServerConfig{}, usagef("--workers %d with --fd %d: one descriptor is one socket; drop one of them", s.workers, f.Fd)
	}
	policy, err := f.policy(app, s.ip, s.creds)
	if err != nil {
		return echo.ServerConfig{}, err
	}
	return echo.ServerConfig{Reply: reply, Bufsize: f.Bufsize, Quiet: f.Quiet, Plain: f.Plain, Batch: f.Batch, Policy: policy, CPUs: f.CPU, Spin: f.spin()}, nil
}

// openServers opens the serving sockets: those systemd passed, when any,
// one, or --workers sockets sharing the address with SO_REUSEPORT, with
// --rcvbuf and --sndbuf set.
func openServers(app *App, s serveSpec, f serveFlags, passed []families.Conn) ([]families.Conn, error) {
	conns := passed
	var err error
	switch {
	case passed != nil: // adopted already
	case s.workers > 1:
		conns, err = families.OpenReusePort(app.Def, families.Options{Addr: s.addr, Mode: s.mode, Notify: app.note}, s.workers)
	default:
		var c families.Conn
		c, err = open(app, s.addr, f.Fd, s.mode)
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

// serverPrinter prints a server's events as the seed does, or as NDJSON.
type serverPrinter struct {
	app     *App
	flags   serveFlags
	workers int
}

// listening says where the server listens, and warns when others can
// reach it.
func (p *serverPrinter) listening(c families.Conn, cfg echo.ServerConfig) {
	local := c.LocalAddr()
	if p.flags.JSON {
		p.app.writeJSON(map[string]any{"event": "listening", "family": p.app.Def.Name, "socket": c.Spec().String(),
			"addr": addrString(local), "reply": cfg.Reply.String(), "bufsize": p.flags.Bufsize})
	} else {
		p.app.note(fmt.Sprintf("%s %s listening on %s, reply %s", p.app.Def.Name, c.Spec(), showName(addrString(local)), cfg.Reply))
	}
	if w := exposure(local); w != "" {
		p.warn(w)
	}
	if !p.flags.JSON && !p.flags.Quiet {
		fmt.Fprintln(p.app.Stdout, "waiting for message...")
	}
}

// warn tells a warning: on stderr, or as a "warning" event with --json.
func (p *serverPrinter) warn(text string) {
	if p.flags.JSON {
		p.app.writeJSON(map[string]any{"event": "warning", "warning": text})
		return
	}
	p.app.note("warning: " + text)
}

// exposure is the warning for a server others can reach: one bound to an
// IP address that is not loopback, the wildcards included.
func exposure(local net.Addr) string {
	ua, ok := local.(*net.UDPAddr)
	if !ok || ua.IP.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("%s is reachable from other hosts. An echo server answers whatever source a datagram claims, "+
		"so forged sources can aim its replies at a third party (reflection, as with inetd's echo: CVE-1999-0103). "+
		"socklab drops sources that are well-known ports, broadcast or multicast, its own address or port, and its own replies "+
		"coming back; to others its replies are at most 1.5 times the request on the wire (short requests get the bare echo). "+
		"Limit who it answers with --allow, --deny and --rate-limit", ua)
}

func (p *serverPrinter) event(ev echo.Event) {
	if p.flags.JSON {
		if !p.flags.Quiet || ev.Kind != echo.EventDatagram {
			p.app.writeJSON(eventFields(ev))
		}
		return
	}
	switch ev.Kind {
	case echo.EventDatagram:
		p.datagram(ev)
	case echo.EventTruncated:
		fmt.Fprintf(p.app.Stdout, "truncated: datagram was %d bytes, read %d, %d lost (raise --bufsize)\n", ev.Size, len(ev.Data), ev.Size-len(ev.Data))
	case echo.EventUnanswerable:
		fmt.Fprintf(p.app.Stdout, "cannot reply: the sender (%s) has no address, an unbound unix socket; it must bind or autobind to get replies (told once per sender)\n", echo.PIDString(ev.PID))
	case echo.EventSendError:
		p.app.note(fmt.Sprintf("reply to %s: %v%s", showName(addrString(ev.From)), ev.Err, moreNotTold(ev.Suppressed)))
	case echo.EventDropped:
		p.app.note(fmt.Sprintf("dropped a datagram from %s: %s%s", showName(addrString(ev.From)), dropReasons[ev.Reason], moreNotTold(ev.Suppressed)))
	}
}

// datagram prints the seed's two lines; -v names a unix sender by its
// credentials.
func (p *serverPrinter) datagram(ev echo.Event) {
	if p.flags.Quiet {
		return
	}
	from := showName(addrString(ev.From))
	if p.flags.Verbose && ev.PID != 0 {
		from += fmt.Sprintf(" (pid %d, uid %d, gid %d)", ev.PID, ev.UID, ev.GID)
	}
	fmt.Fprintln(p.app.Stdout, "Got message from", from)
	fmt.Fprintln(p.app.Stdout, "Received message:", showData(ev.Data, p.flags.Hex))
	printInfo(p.app.Stdout, ev.Info)
}

// eventFields is a server event as JSON.
func eventFields(ev echo.Event) map[string]any {
	m := map[string]any{"event": string(ev.Kind), "from": addrString(ev.From), "bytes": len(ev.Data), "size": ev.Size}
	if ev.PID != 0 {
		m["pid"], m["uid"], m["gid"] = ev.PID, ev.UID, ev.GID
	}
	if ev.Err != nil {
		m["error"] = ev.Err.Error()
	}
	if ev.Reason != "" {
		m["reason"] = ev.Reason
	}
	if ev.Kind == echo.EventDropped || ev.Kind == echo.EventSendError {
		m["suppressed"] = ev.Suppressed
	}
	if ev.Kind == echo.EventDatagram {
		jsonData(m, ev.Data)
		addInfoJSON(m, ev.Info)
	}
	return m
}

// dropReasons words each reason the server drops a datagram for.
var dropReasons = map[string]string{
	"self":         "its source is this server's own address",
	"service":      "its source port is 0 or below 1024, a well-known service's",
	"broadcast":    "its source is a broadcast, multicast or unspecified address",
	"loop":         "it is this server's own reply coming back, or from its port elsewhere (an echo loop)",
	"denied":       "its source is not allowed (--allow, --deny, --allow-uid, --allow-gid)",
	"rate_limited": "its source is over --rate-limit",
}

// moreNotTold says how many events of the kind were held back.
func moreNotTold(n uint64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (and %s like it not told)", plural(n, "more", "more"))
}

// summary prints the server's counts: on stdout, or on stderr when stdout
// is lost.
func (p *serverPrinter) summary(st echo.Stats) {
	w := p.app.Stdout
	if p.app.out.Err() != nil {
		w = p.app.Stderr
	}
	if p.flags.JSON {
		writeJSON(w, summaryFields(st))
		return
	}
	printSummary(w, st)
	if p.flags.Verbose && st.Elapsed > 0 {
		fmt.Fprintf(p.app.Stderr, "socklab: %s: %.0f datagrams/s", st.IO, float64(st.Datagrams)/st.Elapsed.Seconds())
		if st.Batches > 0 {
			fmt.Fprintf(p.app.Stderr, ", %.1f per recvmmsg", float64(st.Datagrams)/float64(st.Batches))
		}
		fmt.Fprintln(p.app.Stderr)
	}
}

func summaryFields(st echo.Stats) map[string]any {
	return map[string]any{"event": "summary", "datagrams": st.Datagrams, "bytes": st.Bytes, "peers": st.Peers, "peers_capped": st.PeersCapped,
		"truncated": st.Truncated, "unanswerable": st.Unanswerable, "send_errors": st.SendErrors, "queue_full": st.QueueFull,
		"dropped": st.Dropped, "dropped_total": st.Dropped.Total(), "kernel_drops": st.Drops, "io": st.IO, "elapsed_s": st.Elapsed.Seconds()}
}

// printSummary writes the summary line, and a line for each kind of loss
// there was.
func printSummary(w io.Writer, st echo.Stats) {
	peers := plural(uint64(st.Peers), "peer", "peers")
	if st.PeersCapped {
		peers = fmt.Sprintf("%d+ peers (more are not counted)", st.Peers)
	}
	fmt.Fprintf(w, "summary: %s, %s, %s, %d truncated, %d unanswerable, %s in %.1fs\n",
		plural(st.Datagrams, "datagram", "datagrams"), plural(st.Bytes, "byte", "bytes"), peers,
		st.Truncated, st.Unanswerable, plural(st.SendErrors, "send error", "send errors"), st.Elapsed.Seconds())
	if d := st.Dropped; d.Total() > 0 {
		fmt.Fprintf(w, "dropped: %s not answered: %d self, %d service port, %d broadcast, %d loop, %d denied, %d rate limited\n",
			plural(d.Total(), "datagram", "datagrams"), d.Self, d.Service, d.Broadcast, d.Loop, d.Denied, d.RateLimited)
	}
	if st.QueueFull > 0 {
		fmt.Fprintf(w, "queue full: %s dropped because the peer's receive queue stayed full (among the send errors)\n", plural(st.QueueFull, "reply", "replies"))
	}
	if st.Drops > 0 {
		fmt.Fprintf(w, "kernel drops: %d datagrams never reached socklab, the receive queue was full (SO_RXQ_OVFL); raise --rcvbuf or --workers\n", st.Drops)
	}
}

// plural is n and the noun, singular for 1.
func plural(n uint64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// verboseWait says how a batch read that finds nothing waits.
func (p *serverPrinter) verboseWait(c families.Conn, cfg echo.ServerConfig) {
	w := p.app.Stderr
	_, bare := families.AsBatch(c)
	switch {
	case cfg.Spin == 0:
	case !bare || c.Spec().Family == families.AF_UNIX || !echo.UsesBatch(c, cfg):
		fmt.Fprintln(w, "socklab: --spin and --busy-poll apply to a UDP socket's batch path only (-q): ignored here")
	case cfg.Spin < 0:
		fmt.Fprintln(w, "socklab: busy polling: reads never sleep (one core spent on them), SO_BUSY_POLL asked for")
	default:
		fmt.Fprintf(w, "socklab: a read that finds nothing tries again for %v before it sleeps in ppoll\n", cfg.Spin)
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
	if p.workers > 1 {
		fmt.Fprintf(w, "socklab: %d workers: %d sockets with SO_REUSEPORT, one goroutine each\n", p.workers, p.workers)
	}
	p.verboseWait(c, cfg)
	if c.Spec().Family == families.AF_UNIX {
		if echo.UsesBatch(c, cfg) && len(cfg.Policy.AllowUID)+len(cfg.Policy.AllowGID) == 0 {
			fmt.Fprintln(w, "socklab: SO_PASSCRED off (it costs every datagram) until a sender without an address needs naming by PID")
		} else {
			fmt.Fprintln(w, "socklab: SO_PASSCRED on: every sender is named by pid, uid and gid")
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
