// Package pcap writes the datagrams socklab's sockets send and receive to
// a pcapng file that Wireshark and tshark open, with gopacket's pcapgo.
//
// A Writer's Capture method is a families.Capture. IP datagrams go in
// one interface of link type LINKTYPE_RAW (101): a raw IPv4 socket's
// packets as they were read or sent (what Linux fills in of an IP_HDRINCL
// header filled in), and around a UDP or ICMP payload the IPv4 or IPv6
// header, and UDP header, it travelled in, with the real addresses and
// ports and correct checksums. Unix datagrams go in another, of link type
// LINKTYPE_WIRESHARK_UPPER_PDU (252), which Wireshark shows as data under
// the protocol name UNIX, with the names of both ends in each record's
// comment. Every record's comment names the system call that moved it.
//
// Capture copies the datagram into a queue and returns; a goroutine of
// the Writer frames and writes it, buffered, so the sockets' goroutines
// never wait for the disk (a datagram that finds the queue full is
// counted, as a kernel counts the packets a capture could not take). The
// file is bounded: past MaxBytes or MaxFrames datagrams are counted, not
// written. Close records both counts as the interface's dropped packets.
package pcap

import (
	"io"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socklab/socklab/families"
)

// Options say what a Writer writes, and how much.
type Options struct {
	// Kind is the interface a file that no datagram came to holds, so
	// that it is a valid capture all the same (see SetKind). Otherwise
	// the file begins with the interface of its first datagram.
	Kind Kind
	// MaxBytes and MaxFrames bound the file: a datagram that would take
	// it past either is not written (0: no bound).
	MaxBytes, MaxFrames int64
	// Source is the address a socket bound to a wildcard address sends
	// from to dst, and so is reached at (families.RouteSource).
	Source func(dst netip.Addr) (netip.Addr, error)
	// OnLimit, when set, is called once, when a bound first stops a
	// datagram being written.
	OnLimit func()
}

// Stats say what a Writer did with the datagrams it was given.
type Stats struct {
	Frames    int64  // written
	OverLimit uint64 // not written: past MaxBytes or MaxFrames
	Overflow  uint64 // not written: the queue was full
}

// queueLen is how many datagrams wait for the writer at most.
const queueLen = 4096

// Writer writes datagrams to a pcapng file. Its methods may be called
// from several goroutines.
type Writer struct {
	queue chan item
	done  chan struct{}
	once  sync.Once
	// overflow counts, by Kind, the datagrams that found the queue full.
	// Capture counts them without a lock: the writer's goroutine may hold
	// mu while it asks the route of a wildcard socket (a socket of its
	// own), and Capture's caller holds a socket the close of which may be
	// waiting for that.
	overflow [2]atomic.Uint64

	mu   sync.Mutex // guards file
	file *file
}

// item is a datagram for the writer's goroutine, or a flush request.
type item struct {
	d     families.Datagram
	flush chan error
}

// Create creates (or empties) the file at path and starts the writer, as
// New does.
func Create(path string, o Options) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return New(f, path, o), nil
}

// New starts a writer into f, named name in errors. The pcapng section
// header and the first interface are written with the first datagram, or
// by Close; nothing before, so a writer Abandoned at once writes nothing.
func New(f io.WriteCloser, name string, o Options) *Writer {
	w := &Writer{queue: make(chan item, queueLen), done: make(chan struct{}), file: newFile(f, name, o)}
	go w.run()
	return w
}

// run writes what comes through the queue until it is closed.
func (w *Writer) run() {
	defer close(w.done)
	for it := range w.queue {
		w.mu.Lock()
		if it.flush != nil {
			it.flush <- w.file.flush()
		} else {
			w.file.capture(&it.d)
		}
		w.mu.Unlock()
	}
}

// Capture queues a copy of d for writing: it is a families.Capture. A
// datagram that finds the queue full is counted instead.
func (w *Writer) Capture(d *families.Datagram) {
	c := *d
	c.Data = append([]byte(nil), d.Data...)
	c.Control = append([]byte(nil), d.Control...)
	c.Conn = nil
	select {
	case w.queue <- item{d: c}:
	default:
		w.overflow[KindOf(d.Spec)].Add(1)
	}
}

// SetKind sets the interface a file no datagram came to holds.
func (w *Writer) SetKind(k Kind) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.file.o.Kind = k
}

// Flush writes what was captured so far to the file. It must not be
// called after Close.
func (w *Writer) Flush() error {
	ch := make(chan error, 1)
	w.queue <- item{flush: ch}
	return <-ch
}

// Stats say what the Writer did with the datagrams so far.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.file.stats()
	s.Overflow = w.overflow[KindIP].Load() + w.overflow[KindUnix].Load()
	return s
}

// Close writes what is queued, records the datagrams left out (each
// interface's dropped packets, which capinfos and Wireshark's statistics
// show), flushes and closes the file. Capture must not be called after it.
func (w *Writer) Close() error {
	w.stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closeFile()
}

// Abandon stops the writer of a capture that is not wanted (its command
// was refused before it ran) and closes the file, having written nothing
// if no datagram came; if one did, it closes as Close does. Capture must
// not be called after it.
func (w *Writer) Abandon() error {
	w.stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.file.ng != nil {
		return w.closeFile()
	}
	return w.file.f.Close()
}

// stop closes the queue and waits for the writer's goroutine to end.
func (w *Writer) stop() {
	w.once.Do(func() { close(w.queue) })
	<-w.done
}

// closeFile is Close's work on the file, under w.mu.
func (w *Writer) closeFile() error {
	for k := range w.overflow {
		w.file.overflow[Kind(k)] = w.overflow[k].Load()
	}
	return w.file.close(time.Now())
}
