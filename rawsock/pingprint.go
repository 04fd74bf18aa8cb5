package rawsock

import (
	"fmt"
	"io"
	"math"
	"sync"
	"time"
)

// floodFlush is how long a flood's dots may wait in the printer's buffer:
// ping writes each dot and each erasure with its own write(2), a third of
// a flood's system calls; the eye sees no difference at 10 ms.
const floodFlush = 10 * time.Millisecond

// PingPrinter writes a ping's events and summary as iputils ping does:
//
//	PING localhost (127.0.0.1) 56(84) bytes of data.
//	64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms
//	From 10.0.0.1 icmp_seq=2 Time to live exceeded
//
// and with Flood, a dot for each request sent that a reply erases. Its
// Event method is a PingOptions.OnEvent.
type PingPrinter struct {
	W         io.Writer // where ping's text goes
	Notes     io.Writer // where the line naming the socket goes; nil: nowhere
	Host      string    // the host as given, for the first line
	IPVersion int       // 4 or 6
	Size      int       // echo data bytes
	Quiet     bool      // -q: only the first line and the summary
	Flood     bool      // -f: dots instead of lines

	mu    sync.Mutex // guards the flood's buffer
	buf   []byte     // flood output not written yet
	wrote time.Time  // when buf was last written
}

// Event prints e.
func (p *PingPrinter) Event(e PingEvent) {
	switch e.Event {
	case EventStart:
		p.start(e)
	case EventSent:
		if p.Flood && !p.Quiet {
			p.flood(".", e.Time)
		}
	case EventReply:
		p.reply(e)
	case EventError:
		p.error(e)
	}
}

func (p *PingPrinter) start(e PingEvent) {
	if p.IPVersion == 6 {
		fmt.Fprintf(p.W, "PING %s (%s) %d data bytes\n", p.Host, e.Target, p.Size)
	} else {
		fmt.Fprintf(p.W, "PING %s (%s) %d(%d) bytes of data.\n", p.Host, e.Target, p.Size, p.Size+28)
	}
	if p.Notes != nil && !p.Quiet {
		hdr := e.PingHeader.String()
		if hdr != "" {
			hdr = "; " + hdr
		}
		fmt.Fprintf(p.Notes, "socklab: %s (%s mode), echo id %d (%#04x) on the wire%s\n", e.Socket, e.Mode, e.ID, e.ID, hdr)
	}
}

func (p *PingPrinter) reply(e PingEvent) {
	switch {
	case p.Quiet:
		return
	case p.Flood:
		p.flood("\b \b", e.Time)
		return
	}
	fmt.Fprintf(p.W, "%d bytes from %s: icmp_seq=%d", e.Bytes, e.From, e.Seq)
	if e.TTL >= 0 {
		fmt.Fprintf(p.W, " ttl=%d", e.TTL)
	}
	fmt.Fprintf(p.W, " time=%s ms", pingTime(e.RTT))
	if e.Dup {
		fmt.Fprint(p.W, " (DUP!)")
	}
	if e.Late {
		fmt.Fprint(p.W, " (late)")
	}
	fmt.Fprintln(p.W)
}

func (p *PingPrinter) error(e PingEvent) {
	switch {
	case p.Quiet:
	case p.Flood:
		p.flood("\bE", e.Time)
	case e.From == "":
		fmt.Fprintf(p.W, "%s\n", e.Text)
	default:
		fmt.Fprintf(p.W, "From %s icmp_seq=%d %s\n", e.From, e.Seq, e.Text)
	}
}

// Summary prints the statistics after a blank line, or after a flood's
// dots, as ping does.
func (p *PingPrinter) Summary(s *PingStats) {
	p.Flush()
	// the newline ends a flood's line of dots; else it leaves a blank line
	fmt.Fprintf(p.W, "\n%s", s.Summary())
}

// flood adds s, the output of an event at t, to the flood's output, and
// writes it when floodFlush passed since the last write. No timer is needed for the rest: in a
// flood every reply is followed at once by the next request, a request by
// its reply or, within the interval, by the next request, and Summary
// writes what is left.
func (p *PingPrinter) flood(s string, t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, s...)
	if len(p.buf) >= 4096 || t.IsZero() || t.Sub(p.wrote) >= floodFlush {
		p.wrote = t
		p.flushLocked()
	}
}

// Flush writes what a flood has not written yet. Summary calls it.
func (p *PingPrinter) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushLocked()
}

func (p *PingPrinter) flushLocked() {
	if len(p.buf) > 0 {
		p.W.Write(p.buf)
		p.buf = p.buf[:0]
	}
}

// pingTime formats a round trip in milliseconds as iputils does: three
// significant decimals below 1 ms, fewer above.
func pingTime(ms float64) string {
	us := int64(math.Round(ms * 1000))
	switch {
	case us >= 100000:
		return fmt.Sprintf("%d", us/1000)
	case us >= 10000:
		return fmt.Sprintf("%d.%01d", us/1000, (us%1000)/100)
	case us >= 1000:
		return fmt.Sprintf("%d.%02d", us/1000, (us%1000)/10)
	}
	return fmt.Sprintf("%d.%03d", us/1000, us%1000)
}
