package pcap

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/socklab/socklab/families"
)

// file is the pcapng file a Writer's goroutine writes.
type file struct {
	o        Options
	f        io.WriteCloser
	name     string           // the file's name, for errors
	ng       *pcapgo.NgWriter // nil until the first record, or close
	ifaces   map[Kind]int
	limited  map[Kind]uint64 // datagrams past a bound
	overflow map[Kind]uint64 // datagrams that found the queue full, set by close
	start    time.Time
	frames   int64
	size     int64
	flushed  time.Time
	srcs     map[netip.Addr]netip.Addr
	err      error // the first write error; nothing more is written after it
}

// flushEvery is how often a busy file is flushed, so that a capture can be
// read while it is written.
const flushEvery = time.Second

func newFile(f io.WriteCloser, name string, o Options) *file {
	now := time.Now()
	return &file{o: o, f: f, name: name, ifaces: map[Kind]int{}, limited: map[Kind]uint64{}, overflow: map[Kind]uint64{},
		start: now, flushed: now, srcs: map[netip.Addr]netip.Addr{}, size: 256} // the section header and interface, about
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

// capture writes d, or counts it when it is past a bound. A datagram that
// cannot be framed is skipped.
func (f *file) capture(d *families.Datagram) {
	if f.err != nil {
		return
	}
	fr, err := f.frame(d)
	if err != nil {
		return
	}
	if f.full(fr) {
		if f.limited[fr.kind]++; f.stats().OverLimit == 1 && f.o.OnLimit != nil {
			f.o.OnLimit()
		}
		return
	}
	f.err = f.write(d, fr)
}

// recordSize is about what a record of fr with comment takes in the file.
func recordSize(fr frame, comment string) int64 {
	return int64(32 + (len(fr.data)+3)&^3 + 8 + 4 + (len(comment)+3)&^3 + 4)
}

// full reports whether fr would take the file past a bound.
func (f *file) full(fr frame) bool {
	return f.o.MaxFrames > 0 && f.frames >= f.o.MaxFrames || f.o.MaxBytes > 0 && f.size+recordSize(fr, fr.comment+"recvmmsg(999) #999") > f.o.MaxBytes
}

func (f *file) stats() Stats {
	s := Stats{Frames: f.frames}
	for _, n := range f.limited {
		s.OverLimit += n
	}
	return s
}

// begin writes the section header and the interface of kind k.
func (f *file) begin(k Kind) error {
	opts := pcapgo.DefaultNgWriterOptions
	opts.SectionInfo.Application = "socklab"
	ng, err := pcapgo.NewNgWriterInterface(bufio.NewWriterSize(f.f, 64<<10), iface(k), opts)
	if err != nil {
		return err
	}
	f.ng, f.ifaces[k] = ng, 0
	return nil
}

// ifaceID is the interface of frames of kind k, added to the file on
// first use.
func (f *file) ifaceID(k Kind) (int, error) {
	if f.ng == nil {
		return 0, f.begin(k)
	}
	if id, ok := f.ifaces[k]; ok {
		return id, nil
	}
	id, err := f.ng.AddInterface(iface(k))
	if err == nil {
		f.ifaces[k] = id
	}
	return id, err
}

// write appends fr, the frame of d, to the file.
func (f *file) write(d *families.Datagram, fr frame) error {
	id, err := f.ifaceID(fr.kind)
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
	if err := f.ng.WritePacketWithOptions(ci, fr.data, pcapgo.NgPacketOptions{Comments: []string{comment}, Flags: &flags}); err != nil {
		return err
	}
	f.frames++
	f.size += recordSize(fr, comment)
	if d.Time.Sub(f.flushed) >= flushEvery {
		return f.flush()
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
func (f *file) frame(d *families.Datagram) (frame, error) {
	switch {
	case d.Spec.Family == families.AF_UNIX:
		return unixFrame(d), nil
	case headerIncluded(d) && d.Sent:
		return hdrinclFrame(d, f.sourceFor), nil
	case headerIncluded(d):
		return frame{kind: KindIP, data: d.Data, length: d.Size}, nil
	}
	return ipFrame(d, ipEnds(d, f.sourceFor), protoOf(d.Spec))
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
func (f *file) sourceFor(peer netip.Addr) netip.Addr {
	if src, ok := f.srcs[peer]; ok {
		return src
	}
	src := netip.IPv4Unspecified()
	if peer.Is6() {
		src = netip.IPv6Unspecified()
	}
	if f.o.Source != nil && peer.IsValid() {
		if s, err := f.o.Source(peer); err == nil {
			src = s
		}
	}
	f.srcs[peer] = src
	return src
}

// flush writes what is buffered to the file.
func (f *file) flush() error {
	f.flushed = time.Now()
	if f.err == nil && f.ng != nil {
		f.err = f.ng.Flush()
	}
	return f.err
}

// writeDrops records that n datagrams of kind k were left out.
func (f *file) writeDrops(k Kind, n uint64, now time.Time) error {
	id, err := f.ifaceID(k)
	if err != nil {
		return err
	}
	return f.ng.WriteInterfaceStats(id, pcapgo.NgInterfaceStatistics{LastUpdate: now, StartTime: f.start, EndTime: now,
		PacketsReceived: pcapgo.NgNoValue64, PacketsDropped: n, Comment: "datagrams socklab left out: past --pcap-max, or the writer fell behind"})
}

// close records what was left out, flushes and closes the file.
func (f *file) close(now time.Time) error {
	err := f.err
	if err == nil && f.ng == nil {
		err = f.begin(f.o.Kind)
	}
	for _, k := range []Kind{KindIP, KindUnix} {
		if n := f.limited[k] + f.overflow[k]; err == nil && n > 0 {
			err = f.writeDrops(k, n, now)
		}
	}
	if err == nil {
		err = f.ng.Flush()
	}
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if f.err == nil {
		f.err = fmt.Errorf("pcap: %s is closed", f.name)
	}
	return err
}
