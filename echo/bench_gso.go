package echo

import (
	"os"
	"strconv"
	"syscall"

	"github.com/socklab/socklab/families"
)

// offload is a batchIO's GSO and GRO: datagrams sent gso at a time with
// UDP_SEGMENT, replies read coalesced with UDP_GRO and split here.
type offload struct {
	gso   int    // datagrams per send; 0 or 1: one each
	size  int    // bytes of each datagram
	arena []byte // the bench's tx buffers, back to back
	gro   bool
	segs  []segRef // the replies of the last recv, when gro
}

// segRef is one datagram of a coalesced buffer: slot, offset, length.
type segRef struct{ slot, off, n int }

// groSegmentsMax is the most datagrams the kernel coalesces in one buffer
// (UDP_GRO_CNT_MAX).
const groSegmentsMax = 64

// offload turns on GSO and GRO for a bench that asked for them, and says
// in the report what it got. Without the batch path, or where the kernel
// refuses, the bench sends and reads datagram by datagram.
func (b *bench) offload(batch int) {
	if b.cfg.GSO <= 1 {
		return
	}
	bio, ok := b.io.(*batchIO)
	if !ok {
		b.offloadNote = "GSO off: UDP_SEGMENT needs the batch path (sendmmsg), and this bench is plain"
		return
	}
	if err := families.CanGSO(b.c); err != nil {
		b.offloadNote = "GSO off: " + err.Error()
		return
	}
	bio.off = offload{gso: b.cfg.GSO, size: b.cfg.Size, arena: b.arena}
	b.offloadNote = "UDP_SEGMENT, " + strconv.Itoa(b.cfg.GSO) + " datagrams per send"
	if err := families.SetGRO(b.c); err != nil {
		b.offloadNote += "; GRO off: " + err.Error()
		return
	}
	bio.off.gro = true
	bio.rx = families.NewRecvBatch(batch, 65536, families.GROControlSpace)
	bio.off.segs = make([]segRef, 0, batch*groSegmentsMax)
	b.offloadNote += "; replies read with UDP_GRO"
}

// sendGSO sends bufs, which start the arena, gso datagrams per message. A
// device that cannot segment (EIO) turns GSO off, as wireguard-go does,
// and the datagrams go one by one.
func (b *batchIO) sendGSO(bufs [][]byte) (int, error) {
	o := &b.off
	b.tx.Reset()
	for j := 0; j < len(bufs); j += o.gso {
		k := min(o.gso, len(bufs)-j)
		b.tx.Add(nil, o.arena[j*o.size:(j+k)*o.size])
		if k > 1 {
			b.tx.SetSegment(o.size)
		}
	}
	err := b.c.WriteBatch(b.tx, false)
	sent := min(b.tx.Sent()*o.gso, len(bufs))
	switch {
	case err == nil, err == syscall.EAGAIN, err == syscall.ENOBUFS:
		return sent, nil
	case families.IsGSOError(err) && sent == 0:
		o.gso = 0
		return b.send(bufs)
	}
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError("sendmmsg", errno)
	}
	return sent, err
}

// split lists the datagrams in the n buffers a GRO read returned, and
// returns how many there are.
func (b *batchIO) split(n int) int {
	o := &b.off
	o.segs = o.segs[:0]
	for i := range n {
		size := len(b.rx.Data(i))
		seg := families.GROSegment(b.rx.Control(i))
		if seg <= 0 || seg >= size {
			o.segs = append(o.segs, segRef{i, 0, size})
			continue
		}
		for off := 0; off < size; off += seg {
			o.segs = append(o.segs, segRef{i, off, min(seg, size-off)})
		}
	}
	return len(o.segs)
}

// segment is datagram i of the last GRO read.
func (b *batchIO) segment(i int) ([]byte, bool) {
	s := b.off.segs[i]
	return b.rx.Data(s.slot)[s.off : s.off+s.n], b.rx.Truncated(s.slot)
}
