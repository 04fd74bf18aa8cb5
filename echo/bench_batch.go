package echo

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
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
// and hears only the peer. window is how many datagrams the bench keeps
// in flight.
func newBatchIO(c families.Conn, peer net.Addr, batch, rxsize, window int, connect bool) benchIO {
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
		b.rx.SetConnected(family, peer)
		b.connected = true
	}
	if family == families.AF_UNIX && !(b.connected && window > unixQueueLen()) {
		// Only a window that can fill the peer's queue needs to wake
		// for room (see send); otherwise a unix socket's waits measured
		// faster in the netpoller (ping-pong p99 0.85x cload's, against
		// 1.13x in ppoll).
		families.WaitInNetpoller(c)
	}
	return b
}

// unixQueueLen is how many datagrams a unix datagram socket's receive
// queue holds (net.unix.max_dgram_qlen, 10 unless set), as the kernel
// counts them: a sender blocks when the queue holds more.
func unixQueueLen() int {
	b, err := os.ReadFile("/proc/sys/net/unix/max_dgram_qlen")
	if n, err2 := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && err2 == nil {
		return n
	}
	return 10
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
	// On a connected socket, a send that would block has the next read
	// wait also end when there is room (the peer read, for unix) instead
	// of only when a reply comes, as cload's poll does. An unconnected
	// unix socket would say room at once: its own buffer is not full.
	b.rx.SetWakeOnRoom(b.connected && err == syscall.EAGAIN)
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
