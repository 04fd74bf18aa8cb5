package echo

import (
	"context"
	"errors"
	"net"
	"syscall"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/socklab/socklab/families"
)

// benchIO moves datagrams for a bench: sendmmsg/recvmmsg, or the Conn.
type benchIO interface {
	// send sends bufs in order and returns how many went out. It returns
	// fewer, with a nil error, when the socket would block.
	send(bufs [][]byte) (int, error)
	// recv waits until the read deadline set on the Conn for at least one
	// datagram and returns how many it read: 0 at the deadline, or, after
	// a send that would block, when there is room to send again.
	recv() (int, error)
	// reply returns datagram i of the last recv, and whether it was
	// truncated.
	reply(i int) ([]byte, bool)
	name() string
}

// benchNoServer reports a send error that means no server is there.
func benchNoServer(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}

// Bench sends datagrams from c to an echo server at peer and measures the
// replies, as cfg says, until the duration or count is done or ctx ends.
// It works with any server that echoes the payload, even after a prefix.
// It does not close c.
func Bench(ctx context.Context, c families.Conn, peer net.Addr, cfg BenchConfig) (BenchReport, error) {
	b, err := newBench(c, peer, cfg)
	if err != nil {
		return BenchReport{}, err
	}
	return b.run(ctx)
}

// bench is one run: configuration, buffers, and the tracker.
type bench struct {
	c    families.Conn
	peer net.Addr
	cfg  BenchConfig
	io   benchIO

	tx     [][]byte // one buffer per datagram of a send batch
	arena  []byte   // the tx buffers, back to back: a UDP_SEGMENT send takes several at once
	filler []byte   // what every datagram carries after its header
	tr     benchTracker

	hist, ihist *hdrhistogram.Histogram // whole run, this second

	offloadNote string   // what GSO and GRO became, for the report
	stamps      *stampIO // the I/O, with BenchConfig.Timestamps
}

// newBench checks cfg, fills in its defaults, and makes the buffers and the
// I/O a run on c needs.
func newBench(c families.Conn, peer net.Addr, cfg BenchConfig) (*bench, error) {
	b, err := prepareBench(c, peer, cfg, families.MaxDatagram(c))
	if err != nil {
		return nil, err
	}
	// The bench reads no credentials, and with SO_PASSCRED on the
	// kernel takes a reference on the sender's PID for every datagram
	// either way, the server's replies included.
	families.PassCred(c, false)
	batch := len(b.tx)
	// Replies may carry a prefix (the seed's "[ctime] "): leave room, and
	// call anything longer truncated.
	b.io = b.openIO(batch, b.cfg.Size+1024)
	b.offload(batch)
	b.growRcvBuf()
	return b, nil
}

// prepareBench checks cfg for a socket whose datagrams hold at most
// maxDatagram bytes (no limit when 0), fills in its defaults, and makes
// what every bench has: the send buffers, the histograms and the tracker.
// The caller gives it its I/O.
func prepareBench(c families.Conn, peer net.Addr, cfg BenchConfig, maxDatagram int) (*bench, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(maxDatagram); err != nil {
		return nil, err
	}
	b := &bench{c: c, peer: peer, cfg: cfg,
		hist:  newLatencyHist(),
		ihist: newLatencyHist(),
	}
	b.makeTx(min(cfg.Batch, cfg.Inflight))
	b.tr.init(cfg.Inflight, int64(cfg.Timeout))
	return b, nil
}

// makeTx makes the filler and one send buffer per datagram of a batch, on
// one arena. Each buffer holds the magic and the filler; fillHeader writes
// the rest of the header before each send.
func (b *bench) makeTx(batch int) {
	size := b.cfg.Size
	b.filler = make([]byte, size)
	for i := BenchHeaderLen; i < size; i++ {
		b.filler[i] = 'a' + byte(i%26)
	}
	arena := make([]byte, batch*size)
	for i := range batch {
		buf := arena[i*size : (i+1)*size : (i+1)*size]
		copy(buf, b.filler)
		copy(buf, BenchMagic)
		b.tx = append(b.tx, buf)
	}
	b.arena = arena
}

// openIO returns sendmmsg/recvmmsg where c and peer allow them and cfg does
// not ask for the plain path, and the plain path otherwise.
func (b *bench) openIO(batch, rxsize int) benchIO {
	if b.cfg.Timestamps {
		if b.stamps = newStampIO(b.c, b.peer, b.cfg.Size, rxsize); b.stamps != nil {
			return b.stamps
		}
	}
	if !b.cfg.Plain {
		if io := newBatchIO(b.c, b.peer, batch, rxsize, b.cfg.Inflight, b.cfg.Connect); io != nil {
			if b.cfg.Spin != 0 {
				families.SetSpin(b.c, b.cfg.Spin)
			}
			return io
		}
	}
	return newPlainIO(b.c, b.peer, rxsize, b.cfg.Connect)
}

// growRcvBuf makes room in the receive buffer for a full window of replies
// (the kernel charges about a kilobyte of overhead per datagram), so that
// the bench does not drop its own replies. Best effort: the kernel caps it
// at net.core.rmem_max.
func (b *bench) growRcvBuf() {
	want := b.cfg.Inflight * (b.cfg.Size + 1024)
	if want <= 0 {
		return
	}
	if rcv, _, err := families.Buffers(b.c); err == nil && rcv < want {
		families.SetBuffers(b.c, want, 0)
	}
}

// filled reports whether a reply repeats the filler after its header.
func (b *bench) filled(reply []byte) bool {
	tail := reply[len(reply)-(b.cfg.Size-BenchHeaderLen):]
	return string(tail) == string(b.filler[BenchHeaderLen:])
}

// sendError is the error that ends a bench whose send failed, with a hint
// for the causes a user can fix.
func (b *bench) sendError(err error) error {
	return families.SendError("send", b.c, b.peer, b.cfg.Size, err)
}
