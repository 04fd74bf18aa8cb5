package rawsock

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/socklab/socklab/families"
)

// ownCopies recognises, on a raw ICMP socket, the copies of its own
// messages that come back to it: a raw socket reads every ICMP message the
// host receives, and a message sent to an address of this host is
// received, by the sender's socket too. Without this, a client reads its
// own request as the answer, and a server answers its own replies for
// ever.
//
// The socket's copy is queued while the message is sent, before anyone
// else can have read it, let alone answered: so the first message read
// that equals one sent to a local address (checksums aside: the kernel
// fills in ICMPv6's) within ownCopyWithin is the socket's copy, and only
// that first one. An echo server that sends the message back unchanged is
// heard.
type ownCopies struct {
	mu   sync.Mutex
	host *families.HostAddrs
	ring [64]ownCopy
	next int
}

type ownCopy struct {
	sum uint64
	at  int64 // 0: no copy expected
}

// ownCopyWithin is how long a copy is expected after the send: loopback
// queues it at once.
const ownCopyWithin = time.Second

func newOwnCopies() *ownCopies { return &ownCopies{host: families.NewHostAddrs()} }

// sent notes that msg went to dst; a copy comes back when dst is local.
func (o *ownCopies) sent(msg []byte, dst net.IP, now time.Time) {
	a, ok := netip.AddrFromSlice(dst)
	o.mu.Lock()
	defer o.mu.Unlock()
	if !ok || o.host.Kind(a, now) != families.AddrLocal {
		return
	}
	o.ring[o.next] = ownCopy{sum: messageSum(msg), at: now.UnixNano()}
	o.next = (o.next + 1) % len(o.ring)
}

// isOwn reports whether msg, just read at now, is the copy of a message
// the socket sent, and if so expects that copy no more.
func (o *ownCopies) isOwn(msg []byte, now time.Time) bool {
	sum := messageSum(msg)
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range o.ring {
		c := &o.ring[i]
		if c.at != 0 && c.sum == sum && now.UnixNano()-c.at <= int64(ownCopyWithin) {
			c.at = 0
			return true
		}
	}
	return false
}

// messageSum is FNV-1a over an ICMP message without its checksum field,
// and its length.
func messageSum(msg []byte) uint64 {
	h := uint64(14695981039346656037)
	add := func(b []byte) {
		for _, c := range b {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(msg)))
	add(n[:])
	if len(msg) < 4 {
		add(msg)
		return h
	}
	add(msg[:2])
	add(msg[4:])
	return h
}
