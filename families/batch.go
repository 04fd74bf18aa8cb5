package families

// Batches: recvmmsg(2) and sendmmsg(2) move many datagrams per system call,
// on buffers allocated once. A RecvBatch holds the slots one ReadBatch
// fills: data, the full length of each datagram (MSG_TRUNC), the sender's
// address as the kernel wrote it, and room for control messages
// (credentials, destination addresses). A SendBatch holds the
// messages one WriteBatch sends: each up to two buffers (a reply prefix and
// the data), addressed to one peer, to the sender of a RecvBatch slot
// (answered without building a Go address), or to nobody on a connected
// socket. Reading, writing and reporting a batch allocate nothing.
//
// Batching is optional: a Conn offers it when it implements BatchConn,
// found with AsBatch, and callers keep a plain path (ReadMsg, WriteTo) for
// the Conns and systems that do not.

// BatchConn is implemented by the Conns of datagram families on Linux (UDP
// and unix datagram sockets).
type BatchConn interface {
	Conn
	// ReadBatch waits until the read deadline for at least one datagram,
	// then reads as many as b has slots and are queued, and returns how
	// many. Errors are *net.OpError, as from ReadMsg.
	ReadBatch(b *RecvBatch) (int, error)
	// WriteBatch sends b's pending messages in order, advancing b.Sent().
	// It returns nil when all went out. When the send buffer is full it
	// returns syscall.EAGAIN; with wait set, a call that has sent nothing
	// yet first waits for room until the write deadline (then an
	// *net.OpError with os.ErrDeadlineExceeded). When the message at
	// b.Sent() fails it returns the bare syscall.Errno (no allocation):
	// Skip it to go on.
	WriteBatch(b *SendBatch, wait bool) error
}

// AsBatch returns c as a BatchConn when it moves datagrams in batches.
func AsBatch(c Conn) (BatchConn, bool) {
	bc, ok := c.(BatchConn)
	if !ok || !batchSpec(c.Spec()) {
		return nil, false
	}
	return bc, true
}

// batchSpec reports whether batches work for s: UDP over IPv4 and IPv6,
// and unix datagram sockets. Raw and ICMP sockets read one message at a
// time.
func batchSpec(s Spec) bool {
	switch s.Family {
	case AF_INET, AF_INET6:
		return s.Type == SOCK_DGRAM && (s.Proto == 0 || s.Proto == IPPROTO_UDP)
	case AF_UNIX:
		return s.Type == SOCK_DGRAM
	}
	return false
}

// BatchControlSpace is the control space per RecvBatch slot that holds
// SCM_CREDENTIALS of a unix sender (32 bytes on 64-bit Linux) or the
// IP_PKTINFO/IPV6_PKTINFO of RecvDestination (32 or 40).
const BatchControlSpace = 48
