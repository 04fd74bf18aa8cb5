package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

// sender is one run of send: the client, its socket, and the tally.
type sender struct {
	app  *App
	f    sendFlags
	c    families.Conn
	cl   *echo.Client
	peer string
	max  int // the largest datagram the socket sends, 0 when unknown
	// numbering names the messages in errors: "message", "line", or ""
	// when there is one message, or the user just typed it.
	numbering     string
	count, failed int
}

func send(app *App, to, bind string, args []message, f sendFlags) error {
	if err := noEcho(app, "client"); err != nil {
		return err
	}
	addr, msgs, positional := splitPeer(app, to, args)
	p, err := resolvePeer(app.Def, orDefault(addr, app.Def.DefaultAddr))
	if err != nil {
		return peerError(app, err, addr, positional, "send")
	}
	c, err := f.sendIPFlags.open(app, bind, f.Fd, &p.addr)
	if err != nil {
		return err
	}
	defer c.Close() // removes a --bind socket file, however send ends
	// Hear "port unreachable" at once instead of waiting out --timeout.
	families.ReportICMPErrors(c)
	s := &sender{app: app, f: f, c: c, max: families.MaxDatagram(c)}
	s.cl = echo.NewClient(c, p.addr, echo.ClientConfig{Timeout: f.Timeout, Retries: f.Retries, Bufsize: f.Bufsize, OnNotice: s.notice})
	s.peer = s.cl.Peer().String()
	s.resolved(addr, p)
	if len(msgs) > 0 {
		if len(msgs) > 1 {
			s.numbering = "message"
		}
		err = s.messages(msgs)
	} else {
		err = s.lines()
	}
	return s.finish(err)
}

// splitPeer takes the peer's address from --to, or from the first
// positional argument when it looks like an address of the family and came
// before any "--"; the rest are messages.
func splitPeer(app *App, to string, args []message) (addr string, msgs []message, positional bool) {
	if to != "" {
		return to, args, false
	}
	if len(args) > 0 && app.argv.beforeDash > 0 && looksLikeAddr(app.Def, string(args[0])) {
		return string(args[0]), args[1:], true
	}
	return "", args, false
}

// peerError is a refused peer address: a usage error, which for an
// address that was the first argument says how to send it as a message.
func peerError(app *App, err error, addr string, positional bool, cmd string) error {
	var ae *addrError
	if errors.As(err, &ae) {
		if positional && cmd == "send" {
			ae.asMessage = "socklab " + app.Def.Name + " send -- " + shellWord(addr)
		}
		return err
	}
	var re *families.AddrError
	if errors.As(err, &re) {
		return err // the resolver's answer: a runtime failure
	}
	return usageError{err}
}

// resolved tells what socklab made of the peer address, if anything.
func (s *sender) resolved(addr string, p peer) {
	switch {
	case p.note == "":
	case s.f.JSON:
		s.app.writeJSON(map[string]any{"event": "resolved", "addr": addr, "to": s.peer, "note": p.note})
	default:
		s.app.note(p.note)
	}
}

// messages sends the command line's messages in turn.
func (s *sender) messages(msgs []message) error {
	for i, m := range msgs {
		if stop, err := s.one(i+1, []byte(m)); stop {
			return err
		}
	}
	return nil
}

// one sends message n and prints its reply. A failure is told and
// counted; it ends the run (stop) with --stop-on-error, or with err when a
// signal or lost output ended it.
func (s *sender) one(n int, msg []byte) (stop bool, err error) {
	s.count++
	resp, err := s.exchange(msg)
	if err == nil {
		s.printResponse(msg, resp)
		return false, nil
	}
	if s.app.Ctx.Err() != nil {
		return true, s.app.stopped()
	}
	s.failed++
	prefix := ""
	if s.numbering != "" {
		prefix = fmt.Sprintf("%s %d: ", s.numbering, n)
	}
	s.app.report(err, prefix, map[string]any{s.numberingField(): n, "sent_bytes": len(msg)})
	return s.f.StopOnError, nil
}

func (s *sender) numberingField() string {
	if s.numbering == "line" {
		return "line"
	}
	return "message"
}

// exchange sends msg and waits for its reply; a message larger than a
// datagram is refused before it is sent.
func (s *sender) exchange(msg []byte) (echo.Response, error) {
	if s.max > 0 && len(msg) > s.max {
		return echo.Response{}, s.tooBig(strconv.Itoa(len(msg)))
	}
	if s.f.sendIPFlags.gathers(s.cl.Peer()) {
		return s.exchangeGroup(msg)
	}
	return s.cl.Exchange(s.app.Ctx, msg)
}

func (s *sender) tooBig(size string) error {
	return &families.Error{Op: "send", Spec: s.c.Spec(), Addr: s.peer,
		Err:  fmt.Errorf("message is %s bytes, more than one %s datagram holds", size, s.app.Def.Name),
		Hint: fmt.Sprintf("the maximum is %d bytes: send less", s.max)}
}

// lines sends stdin line by line: at a terminal with the seed's prompt,
// stopping at an empty line; from a pipe one datagram per line (an empty
// line is a zero-length datagram).
func (s *sender) lines() error {
	if !s.app.StdinTerminal {
		s.numbering = "line"
	}
	lines, scanErr := readLines(s.app.Stdin, s.max)
	prompt(s.app, s.f.JSON)
	for n := 1; ; n++ {
		var line []byte
		var ok bool
		select {
		case <-s.app.Ctx.Done():
			return s.app.stopped()
		case line, ok = <-lines:
		}
		switch {
		case !ok:
			return endOfLines(<-scanErr, s.max, s.tooBig)
		case s.app.StdinTerminal && len(line) == 0:
			return nil
		}
		if stop, err := s.one(n, line); stop {
			return err
		}
		prompt(s.app, s.f.JSON)
	}
}

// readLines reads r in the background, one line at a time, a trailing \r
// dropped: send's and the stream send's stdin. A line longer than max+64
// KiB ends it with bufio.ErrTooLong (see endOfLines).
func readLines(r io.Reader, max int) (<-chan []byte, <-chan error) {
	lines := make(chan []byte)
	scanErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(r)
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
	return lines, scanErr
}

// endOfLines is the end of readLines(stdin, max): a line too long to read
// is refused by tooBig, given its size.
func endOfLines(err error, max int, tooBig func(size string) error) error {
	switch {
	case errors.Is(err, bufio.ErrTooLong):
		return tooBig("a line of more than " + strconv.Itoa(max+64*1024))
	case err != nil:
		return fmt.Errorf("reading messages from stdin: %w", err)
	}
	return nil
}

// prompt asks for a message as the seed does, when stdin is a terminal
// and the output is not --json.
func prompt(app *App, jsonOut bool) {
	if app.StdinTerminal && !jsonOut {
		fmt.Fprint(app.Stdout, "Wanna send: ")
	}
}

// finish ends the run: the JSON summary, and the exit status, which says
// whether any message failed.
func (s *sender) finish(err error) error {
	if s.f.JSON {
		s.app.writeJSON(map[string]any{"event": "summary", "to": s.peer, "messages": s.count, "answered": s.count - s.failed, "failed": s.failed})
	}
	if err != nil || s.failed == 0 {
		return err
	}
	failed := fmt.Errorf("%d of %s failed", s.failed, plural(uint64(s.count), "message", "messages"))
	if s.count > 1 {
		s.app.note(failed.Error())
	}
	return reportedError{failed}
}

func (s *sender) printResponse(msg []byte, r echo.Response) {
	if s.f.JSON {
		ev := map[string]any{"event": "response", "to": s.peer, "from": addrString(r.From), "sent_bytes": len(msg),
			"bytes": len(r.Data), "size": r.Size, "truncated": r.Truncated(), "rtt_us": float64(r.RTT.Nanoseconds()) / 1e3,
			"attempts": r.Attempts, "late_replies_skipped": r.Late, "duplicates_skipped": r.Duplicates, "strangers_skipped": r.Strangers}
		jsonData(ev, r.Data)
		s.app.writeJSON(ev)
		return
	}
	if r.Truncated() {
		fmt.Fprintf(s.app.Stdout, "truncated: reply was %d bytes, read %d, %d lost (raise --bufsize)\n", r.Size, len(r.Data), r.Size-len(r.Data))
	}
	fmt.Fprintln(s.app.Stdout, s.responseLabel(r), showData(r.Data, s.f.Hex))
}

// notice tells a datagram the client skipped: a reply from another
// address, a late or a duplicate reply.
func (s *sender) notice(n echo.Notice) {
	if s.f.JSON {
		ev := map[string]any{"event": "skipped", "reason": string(n.Kind), "from": addrString(n.From), "bytes": len(n.Data), "size": n.Size}
		jsonData(ev, n.Data)
		if n.Message != nil {
			ev["reply_to"] = string(n.Message)
		}
		s.app.writeJSON(ev)
		return
	}
	switch n.Kind {
	case echo.NoticeStranger:
		s.app.note(fmt.Sprintf("skipped a datagram from %s, which is not the server (%s)", showName(addrString(n.From)), showName(s.peer)))
	case echo.NoticeLate:
		s.app.note("skipped a late reply to the earlier message " + quoteShort(n.Message))
	case echo.NoticeDuplicate:
		s.app.note("skipped a duplicate reply to the earlier message " + quoteShort(n.Message))
	}
}

// quoteShort quotes a message for a notice, cut to 60 bytes.
func quoteShort(b []byte) string {
	if len(b) > 60 {
		return strconv.Quote(string(b[:60])) + "..."
	}
	return strconv.Quote(string(b))
}

// shellWord quotes s for a shell when it needs it.
func shellWord(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-:@%+,", r)) {
			return "'" + strings.ReplaceAll(termSafe(s), "'", `'\''`) + "'"
		}
	}
	return s
}
