package echo

import (
	"time"
)

// This file holds the pieces of the server's hot path beside the I/O: the
// seed's timestamp, cached per second, and the peer set.

// ctimeCache holds the seed's reply prefix, "[" + ctime + "] ", formatted
// once per second instead of once per datagram.
type ctimeCache struct {
	sec   int64
	valid bool
	n     int
	b     [64]byte
}

// prefix returns "[" + ctime(t) + "] ". The slice is valid until the next
// call with a time in another second.
func (c *ctimeCache) prefix(t time.Time) []byte {
	if s := t.Unix(); !c.valid || s != c.sec {
		c.n = len(appendSeedPrefix(c.b[:0], t))
		c.sec, c.valid = s, true
	}
	return c.b[:c.n]
}

// maxPeers bounds the peer set: past it, Stats.Peers stops growing and
// Stats.PeersCapped says so, rather than the set growing without end.
const maxPeers = 1 << 16

// peerKey is a sender's raw address as the kernel wrote it (a sockaddr_in,
// sockaddr_in6 or sockaddr_un), zero-padded: a map key that needs no
// allocation to build.
type peerKey struct {
	n uint8
	b [110]byte
}

// peerSet counts distinct senders by their raw address without allocating
// per datagram: the last sender is remembered, so a run of datagrams from one
// peer costs a comparison, and only a new sender touches the map.
type peerSet struct {
	m      map[peerKey]struct{}
	last   peerKey
	capped bool
}

func newPeerSet() *peerSet { return &peerSet{m: make(map[peerKey]struct{}, 64)} }

// newPeerKey is the key of the raw address sa (cut to the key's size).
func newPeerKey(sa []byte) peerKey {
	var k peerKey
	k.n = uint8(copy(k.b[:], sa))
	return k
}

// add records the sender whose raw address is sa.
func (p *peerSet) add(sa []byte) {
	if len(sa) > len(p.last.b) {
		sa = sa[:len(p.last.b)]
	}
	if int(p.last.n) == len(sa) && string(p.last.b[:len(sa)]) == string(sa) {
		return
	}
	k := newPeerKey(sa)
	p.last = k
	if _, ok := p.m[k]; ok {
		return
	}
	if len(p.m) >= maxPeers {
		p.capped = true
		return
	}
	p.m[k] = struct{}{}
}

func (p *peerSet) len() int { return len(p.m) }

// Merge adds the counts of o, another worker's Stats, to s: sums, the longer
// Elapsed, and the peers of both (exact with SO_REUSEPORT, which sends every
// datagram of one peer to the same worker).
func (s *Stats) Merge(o Stats) {
	s.Datagrams += o.Datagrams
	s.Bytes += o.Bytes
	s.Peers += o.Peers
	s.PeersCapped = s.PeersCapped || o.PeersCapped
	s.Truncated += o.Truncated
	s.Unanswerable += o.Unanswerable
	s.SendErrors += o.SendErrors
	s.QueueFull += o.QueueFull
	s.Dropped.add(o.Dropped)
	s.Drops += o.Drops
	s.Batches += o.Batches
	s.Elapsed = max(s.Elapsed, o.Elapsed)
	if s.IO == "" {
		s.IO = o.IO
	}
}
