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
// Writes are buffered. The file is bounded: past MaxBytes or MaxFrames
// datagrams are counted, not written, and Close records the count as the
// interface's dropped packets.
package pcap

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
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

// Writer writes datagrams to a pcapng file. Its methods may be called
// from several goroutines.
type Writer struct {
	mu      sync.Mutex
	o       Options
	f       *os.File
	ng      *pcapgo.NgWriter // nil until the first record, or Close
	ifaces  map[Kind]int
	dropped map[Kind]uint64
	start   time.Time
	frames  int64
	size    int64
	flushed time.Time
	srcs    map[netip.Addr]netip.Addr
	err     error // the first write error; nothing more is written after it
}

// flushEvery is how often a busy Writer flushes, so that a capture can be
// read while it is written.
const flushEvery = time.Second

// Create creates the file at path. The pcapng section header and the
// first interface are written with the first datagram, or by Close.
func Create(path string, o Options) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	w := &Writer{o: o, f: f, ifaces: map[Kind]int{}, dropped: map[Kind]uint64{}, start: now, flushed: now,
		srcs: map[netip.Addr]netip.Addr{}}
	w.size = 256 // the section header and interface, about
	return w, nil
}

// SetKind sets the interface a file no datagram came to holds.
func (w *Writer) SetKind(k Kind) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.o.Kind = k
}

// begin writes the section header and the interface of kind k.
func (w *Writer) begin(k Kind) error {
	opts := pcapgo.DefaultNgWriterOptions
	opts.SectionInfo.Application = "socklab"
	ng, err := pcapgo.NewNgWriterInterface(bufio.NewWriterSize(w.f, 64<<10), iface(k), opts)
	if err != nil {
		return err
	}
	w.ng, w.ifaces[k] = ng, 0
	return nil
}

// iface describes the pcapng interface of frames of kind k.
func iface(k Kind) pcapgo.NgInterface {
	i := pcapgo.DefaultNgInterface
	i.Name, i.LinkType = "ip", LinkTypeRaw
	i.Description = "socklab: IP datagrams; UDP and ICMP payloads in the IP and UDP headers they travelled in"
	if k == KindUnix {
		i.Name, i.LinkType = "unix", LinkTypeUpperPDU
		i.Description = "socklab: unix datagrams; the names of both ends in each comment"
	}
	return i
}

// Capture writes d: it is a families.Capture. A datagram past a bound is
// counted instead; one that cannot be framed is skipped.
func (w *Writer) Capture(d *families.Datagram) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	fr, err := w.frame(d)
	if err != nil {
		return
	}
	if w.full(fr) {
		if w.dropped[fr.kind]++; w.total() == 1 && w.o.OnLimit != nil {
			w.o.OnLimit()
		}
		return
	}
	w.err = w.write(d, fr)
}

// full reports whether fr would take the file past a bound.
func (w *Writer) full(fr frame) bool {
	est := int64(32 + (len(fr.data)+3)&^3 + 8 + 4 + (len(fr.comment)+3)&^3 + 4)
	return w.o.MaxFrames > 0 && w.frames >= w.o.MaxFrames || w.o.MaxBytes > 0 && w.size+est > w.o.MaxBytes
}

func (w *Writer) total() uint64 {
	var n uint64
	for _, v := range w.dropped {
		n += v
	}
	return n
}

// ifaceID is the interface of frames of kind k, added to the file on
// first use.
func (w *Writer) ifaceID(k Kind) (int, error) {
	if w.ng == nil {
		return 0, w.begin(k)
	}
	if id, ok := w.ifaces[k]; ok {
		return id, nil
	}
	id, err := w.ng.AddInterface(iface(k))
	if err == nil {
		w.ifaces[k] = id
	}
	return id, err
}

// writeDrops records that n datagrams of kind k were kept out.
func (w *Writer) writeDrops(k Kind, n uint64) error {
	id, err := w.ifaceID(k)
	if err != nil {
		return err
	}
	now := time.Now()
	return w.ng.WriteInterfaceStats(id, pcapgo.NgInterfaceStatistics{LastUpdate: now, StartTime: w.start, EndTime: now,
		PacketsReceived: pcapgo.NgNoValue64, PacketsDropped: n, Comment: "socklab --pcap-max kept these datagrams out"})
}

// write appends fr, the frame of d, to the file.
func (w *Writer) write(d *families.Datagram, fr frame) error {
	id, err := w.ifaceID(fr.kind)
	if err != nil {
		return err
	}
	ci := gopacket.CaptureInfo{Timestamp: d.Time, CaptureLength: len(fr.data), Length: max(fr.length, len(fr.data)), InterfaceIndex: id}
	flags := pcapgo.NgEpbFlags{Direction: pcapgo.NgEpbFlagDirectionInbound}
	if d.Sent {
		flags.Direction = pcapgo.NgEpbFlagDirectionOutbound
	}
	comment := callName(d)
	if fr.comment != "" {
		comment = fr.comment + ", " + comment
	}
	if err := w.ng.WritePacketWithOptions(ci, fr.data, pcapgo.NgPacketOptions{Comments: []string{comment}, Flags: &flags}); err != nil {
		return err
	}
	w.frames++
	w.size += int64(32 + (len(fr.data)+3)&^3 + 8 + 4 + (len(comment)+3)&^3 + 4)
	if d.Time.Sub(w.flushed) >= flushEvery {
		w.flushed = d.Time
		return w.ng.Flush()
	}
	return nil
}

// callName names the call that moved d, as the trace does:
// "recvmmsg(3) #2" for the second datagram of a batch.
func callName(d *families.Datagram) string {
	s := d.Call + "(" + strconv.Itoa(d.Fd) + ")"
	if d.Call == "recvmmsg" || d.Call == "sendmmsg" {
		s += " #" + strconv.Itoa(d.Index+1)
	}
	return s
}

// frame builds the record of d.
func (w *Writer) frame(d *families.Datagram) (frame, error) {
	switch {
	case d.Spec.Family == families.AF_UNIX:
		return unixFrame(d), nil
	case headerIncluded(d) && d.Sent:
		return hdrinclFrame(d, w.sourceFor), nil
	case headerIncluded(d):
		return frame{kind: KindIP, data: d.Data, length: d.Size}, nil
	}
	peer, _ := addrPort(d.Peer)
	local, _ := addrPort(d.Local)
	if !local.IsValid() || local.IsUnspecified() {
		local = w.sourceFor(peer)
	}
	return ipFrame(d, ipEnds(d, local), protoOf(d.Spec))
}

// protoOf is the IP protocol of a socket's datagrams.
func protoOf(s families.Spec) int {
	if s.Type == families.SOCK_DGRAM && (s.Proto == 0 || s.Proto == families.IPPROTO_UDP) {
		return families.IPPROTO_UDP
	}
	return s.Proto
}

// sourceFor is the address this host sends to peer from, asked once per
// peer; the unspecified address when that cannot be known.
func (w *Writer) sourceFor(peer netip.Addr) netip.Addr {
	if src, ok := w.srcs[peer]; ok {
		return src
	}
	src := netip.IPv4Unspecified()
	if peer.Is6() {
		src = netip.IPv6Unspecified()
	}
	if w.o.Source != nil && peer.IsValid() {
		if s, err := w.o.Source(peer); err == nil {
			src = s
		}
	}
	w.srcs[peer] = src
	return src
}

// Flush writes what is buffered to the file.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.flushed = time.Now()
	if w.ng != nil {
		w.err = w.ng.Flush()
	}
	return w.err
}

// Written is how many datagrams were written, and how many a bound kept
// out.
func (w *Writer) Written() (frames int64, dropped uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.frames, w.total()
}

// Close records the datagrams a bound kept out (each interface's dropped
// packets, which capinfos and Wireshark's statistics show), flushes and
// closes the file. Capture writes nothing after it.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.err
	if err == nil && w.ng == nil {
		err = w.begin(w.o.Kind)
	}
	for k, n := range w.dropped {
		if err == nil && n > 0 {
			err = w.writeDrops(k, n)
		}
	}
	if err == nil {
		err = w.ng.Flush()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if w.err == nil {
		w.err = fmt.Errorf("pcap: %s is closed", w.f.Name())
	}
	return err
}
