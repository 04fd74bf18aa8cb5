package echo

import (
	"errors"
	"net"
	"os"
	"syscall"

	"github.com/socklab/socklab/families"
)

// batchIO sends and receives up to a batch of datagrams per system call
// with families' sendmmsg/recvmmsg engine, on buffers allocated once, so
// that the Conn's deadlines apply. Sends never wait: when the socket would
// block they report what went out, so the bench can read replies meanwhile
// (a unix peer may be waiting for us to read before it reads again).
type batchIO struct {
	c         families.BatchConn
	tx        *families.SendBatch
	rx        *families.RecvBatch
	connected bool
	off       offload // GSO and GRO, when the bench asked for them
}

// newBatchIO returns a batchIO for c, or nil when c has no batch path or
// peer's address cannot be used with sendmmsg (the caller takes the plain
// path). With connect it connects c to peer: a connected socket sends
// without a route lookup per datagram, gets UDP early demux on receive,
// and hears only the peer.
func newBatchIO(c families.Conn, peer net.Addr, batch, rxsize int, connect bool) benchIO {
	bc, ok := families.AsBatch(c)
	if !ok {
		return nil
	}
	b := &batchIO{c: bc, tx: families.NewSendBatch(batch), rx: families.NewRecvBatch(batch, rxsize, 0)}
	family := c.Spec().Family
	if err := b.tx.SetPeer(family, peer); err != nil {
		return nil
	}
	if connect && families.Control(c, func(fd int) error { return families.Connect(fd, family, peer) }) == nil {
		b.tx.SetPeer(family, nil)
		b.connected = true
	}
	return b
}

func (b *batchIO) name() string {
	if b.connected {
		return "sendmmsg/recvmmsg connected"
	}
	return "sendmmsg/recvmmsg"
}

func (b *batchIO) send(bufs [][]byte) (int, error) {
	if b.off.gso > 1 {
		return b.sendGSO(bufs)
	}
	b.tx.Reset()
	for _, buf := range bufs {
		b.tx.Add(nil, buf)
	}
	err := b.c.WriteBatch(b.tx, false)
	switch err {
	case nil, syscall.EAGAIN, syscall.ENOBUFS:
		return b.tx.Sent(), nil
	}
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError("sendmmsg", errno)
	}
	return b.tx.Sent(), err
}

func (b *batchIO) recv() (int, error) {
	n, err := b.c.ReadBatch(b.rx)
	switch {
	case err == nil && b.off.gro:
		return b.split(n), nil
	case err == nil:
		return n, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, nil
	}
	return 0, err
}

func (b *batchIO) reply(i int) ([]byte, bool) {
	if b.off.gro {
		return b.segment(i)
	}
	return b.rx.Data(i), b.rx.Truncated(i)
}
