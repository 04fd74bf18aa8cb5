package main

import (
	"fmt"
	"syscall"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

// streamPrinter prints a stream server's events as the seed prints its
// datagrams, with a line when a connection comes and one when it ends, or
// as NDJSON.
type streamPrinter struct {
	app   *App
	flags streamServeFlags
}

// listening says where the server serves: a listening socket's address,
// or the one connection it was given.
func (p *streamPrinter) listening(s families.Sock, addr, what string, o streamServeOpts, cfg echo.StreamConfig) {
	if p.flags.JSON {
		ev := map[string]any{"event": "listening", "time": now(), "family": p.app.Def.Name, "socket": s.Spec().String(),
			"addr": addr, "reply": cfg.Reply.String(), "bufsize": cfg.Bufsize, "max_conns": cfg.MaxConns,
			"idle_timeout_s": p.flags.IdleTimeout.Seconds(), "write_timeout_s": p.flags.WriteTimeout.Seconds()}
		if s.Spec().Family != families.AF_UNIX {
			ev["nodelay"], ev["reuseaddr"] = families.NoDelay(s), o.reuse
		}
		writeJSON(p.app.Stdout, ev)
	} else {
		fmt.Fprintf(p.app.Stderr, "socklab: %s %s %s, reply %s\n", p.app.Def.Name, s.Spec(), what, cfg.Reply)
		fmt.Fprintln(p.app.Stdout, "waiting for connection...")
	}
	if p.flags.Verbose {
		p.verbose(s, o, cfg)
	}
}

// verbose says how the server runs: its I/O, limits and socket options.
func (p *streamPrinter) verbose(s families.Sock, o streamServeOpts, cfg echo.StreamConfig) {
	w := p.app.Stderr
	fmt.Fprintf(w, "socklab: I/O: a goroutine per connection, recvfrom/sendmsg; reads of up to %d bytes into buffers lent per read (an idle connection holds none)\n", cfg.Bufsize)
	fmt.Fprintf(w, "socklab: limits: --max-conns %d, --evict-idle %v, --idle-timeout %v, --write-timeout %v (0: never)\n",
		cfg.MaxConns, p.flags.EvictIdle, p.flags.IdleTimeout, p.flags.WriteTimeout)
	if s.Spec().Family != families.AF_UNIX {
		nagle := "Nagle's algorithm off"
		if !families.NoDelay(s) {
			nagle = "Nagle's algorithm on: small writes wait for the ACK of the one before"
		}
		fmt.Fprintf(w, "socklab: TCP_NODELAY %v (%s), SO_REUSEADDR %v\n", families.NoDelay(s), nagle, o.reuse)
	}
	if rcv, snd, err := families.SockBuffers(s); err == nil {
		fmt.Fprintf(w, "socklab: SO_RCVBUF %d, SO_SNDBUF %d bytes, which accepted connections inherit (effective: the kernel doubles what is asked; TCP grows them as it goes unless set)\n", rcv, snd)
	}
}

// peerLabel names a connection's peer in lines: its address, or for an
// unnamed unix client its connection number and process.
func peerLabel(ev echo.StreamEvent) string {
	if name := addrString(ev.Peer); name != "" {
		return name
	}
	return fmt.Sprintf("#%d (pid %d)", ev.Conn, ev.Cred.PID)
}

func (p *streamPrinter) event(ev echo.StreamEvent) {
	switch ev.Kind {
	case echo.StreamRefused, echo.StreamAcceptError:
		p.rare(ev)
		return
	}
	if p.flags.Quiet && !serverEnded(ev) && ev.Kind != echo.StreamTruncated {
		return
	}
	if p.flags.JSON {
		p.eventJSON(ev)
		return
	}
	w := p.app.Stdout
	switch ev.Kind {
	case echo.StreamAccepted:
		from := addrString(ev.Peer)
		if from == "" {
			from = fmt.Sprintf("#%d", ev.Conn)
		}
		fmt.Fprintf(w, "Connection from %s%s\n", from, credText(ev.Cred))
	case echo.StreamData:
		fmt.Fprintln(w, "Got message from", peerLabel(ev))
		fmt.Fprintln(w, "Received message:", showData(ev.Data, p.flags.Hex))
	case echo.StreamTruncated:
		fmt.Fprintf(w, "truncated: message was %d bytes, read %d, %d lost (raise --bufsize)\n", ev.Size, len(ev.Data), ev.Size-len(ev.Data))
	case echo.StreamClosed:
		fmt.Fprintf(w, "Closed %s after %d reads, %d bytes: %s\n", peerLabel(ev), ev.Reads, ev.Bytes, p.closedText(ev))
	}
}

// serverEnded reports a connection the server ended itself, for a limit:
// what -q still tells, one line each.
func serverEnded(ev echo.StreamEvent) bool {
	if ev.Kind != echo.StreamClosed {
		return false
	}
	switch ev.Reason {
	case echo.ReasonEOF, echo.ReasonReset, echo.ReasonBrokenPipe, echo.ReasonShutdown:
		return false
	}
	return true
}

// credText is a unix peer's process, as SO_PEERCRED gives it.
func credText(c families.Cred) string {
	if c.PID == 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d, uid %d, gid %d)", c.PID, c.UID, c.GID)
}

// closedText says why a connection ended, naming the flag behind the
// server's own reasons.
func (p *streamPrinter) closedText(ev echo.StreamEvent) string {
	switch ev.Reason {
	case echo.ReasonEOF:
		return "the peer closed it (EOF)"
	case echo.ReasonReset:
		return "the peer reset it (ECONNRESET)"
	case echo.ReasonBrokenPipe:
		return "the peer was gone when the reply was written (EPIPE)"
	case echo.ReasonIdle:
		return fmt.Sprintf("nothing to read for %v (--idle-timeout %v)", ev.Idle.Round(time.Millisecond), p.flags.IdleTimeout)
	case echo.ReasonWriteTimeout:
		return fmt.Sprintf("the peer does not read: a reply waited %v for room (--write-timeout)", p.flags.WriteTimeout)
	case echo.ReasonEvicted:
		return fmt.Sprintf("evicted after %v idle, for a new connection (--max-conns %d reached)", ev.Idle.Round(time.Millisecond), p.flags.MaxConns)
	case echo.ReasonShutdown:
		return "the server stopped"
	}
	return fmt.Sprintf("error: %v", ev.Err)
}

// rare prints the events told at most once a second, on stderr (or as
// JSON), whatever -q says.
func (p *streamPrinter) rare(ev echo.StreamEvent) {
	if p.flags.JSON {
		p.eventJSON(ev)
		return
	}
	held := ""
	if ev.Suppressed > 0 {
		held = fmt.Sprintf(" (and %d more not told in the last second)", ev.Suppressed)
	}
	if ev.Kind == echo.StreamRefused {
		fmt.Fprintf(p.app.Stderr, "socklab: refused a connection from %s: %d open, the --max-conns limit, and none idle --evict-idle %v to make room; it was reset%s\n",
			addrString(ev.Peer), ev.Open, p.flags.EvictIdle, held)
		return
	}
	fmt.Fprintf(p.app.Stderr, "socklab: accept: %v: %d connections open%s; raise it, or lower --max-conns; retrying%s\n",
		families.Cause(ev.Err), ev.Open, fileLimit(), held)
}

// fileLimit names the descriptor limit, for an accept out of descriptors.
func fileLimit() string {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) != nil {
		return ", ulimit -n"
	}
	return fmt.Sprintf(", ulimit -n is %d", rl.Cur)
}

func (p *streamPrinter) eventJSON(ev echo.StreamEvent) {
	m := map[string]any{"event": string(ev.Kind), "time": now(), "open": ev.Open}
	if ev.Conn != 0 {
		m["conn"] = ev.Conn
	}
	if ev.Peer != nil {
		m["peer"] = addrString(ev.Peer)
	}
	if ev.Cred.PID != 0 {
		m["pid"], m["uid"], m["gid"] = ev.Cred.PID, ev.Cred.UID, ev.Cred.GID
	}
	switch ev.Kind {
	case echo.StreamData, echo.StreamTruncated:
		m["bytes"], m["size"] = len(ev.Data), ev.Size
		jsonData(m, ev.Data)
	case echo.StreamClosed:
		m["reason"], m["reads"], m["bytes"] = ev.Reason, ev.Reads, ev.Bytes
		if ev.Idle > 0 {
			m["idle_s"] = ev.Idle.Seconds()
		}
	case echo.StreamRefused, echo.StreamAcceptError:
		m["suppressed"] = ev.Suppressed
	}
	if ev.Err != nil {
		m["error"] = ev.Err.Error()
	}
	writeJSON(p.app.Stdout, m)
}

func (p *streamPrinter) summary(st echo.StreamStats) {
	if p.flags.JSON {
		writeJSON(p.app.Stdout, streamSummaryJSON{Event: "summary", Time: now(), StreamStats: st, ElapsedS: st.Elapsed.Seconds()})
		return
	}
	w := p.app.Stdout
	fmt.Fprintf(w, "summary: %d connections (peak %d open), %d refused, %d reads, %d bytes, %d truncated in %.1fs\n",
		st.Connections, st.PeakOpen, st.Refused, st.Reads, st.Bytes, st.Truncated, st.Elapsed.Seconds())
	c := st.Closed
	fmt.Fprintf(w, "closed: %d eof, %d reset, %d broken-pipe, %d idle, %d write-timeout, %d evicted, %d shutdown, %d error\n",
		c.EOF, c.Reset, c.BrokenPipe, c.Idle, c.WriteTimeout, c.Evicted, c.Shutdown, c.Error)
	if p.flags.Verbose && st.Elapsed > 0 {
		fmt.Fprintf(p.app.Stderr, "socklab: %.0f reads/s; %d read buffers of %d bytes for %d connections at the peak\n",
			float64(st.Reads)/st.Elapsed.Seconds(), st.ReadBuffers, p.flags.Bufsize, st.PeakOpen)
	}
}

// streamSummaryJSON is the --json summary: the StreamStats fields.
type streamSummaryJSON struct {
	Event string `json:"event"`
	Time  string `json:"time"`
	echo.StreamStats
	ElapsedS float64 `json:"elapsed_s"`
}
